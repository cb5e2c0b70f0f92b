"""The local stack's defaults (docs/reference/configuration.md), in one place.

The development JWT secret and the broker URL are the services' own defaults from
`shared.settings`, so a token minted here is accepted by a service started with no variables.
"""

from typing import Final

from shared.settings import (
    DEFAULT_AMQP_URL,
    DEFAULT_GATEWAY_PORT,
    DEV_JWT_SECRET,
    default_database_url,
)

__all__ = [
    "ADMIN_TOKEN_TTL_S",
    "DEFAULT_AMQP_URL",
    "DEFAULT_FRONT_END_PORT",
    "DEFAULT_GATEWAY_HOST",
    "DEFAULT_GATEWAY_PORT",
    "DEFAULT_SERVICE_PORTS",
    "DEV_JWT_SECRET",
    "FRONT_END",
    "GATEWAY_RATE_DEFAULTS",
    "SERVICES",
    "default_database_url",
]

SERVICES: Final = ("catalog", "registration", "notification")
DEFAULT_SERVICE_PORTS: Final = {"catalog": 8001, "registration": 8002, "notification": 8003}
DEFAULT_GATEWAY_HOST: Final = "127.0.0.1"

# The web console (services/console): a client of the API like any other, served by the gateway
# at `/`. Not one of SERVICES: no database, no broker, no health of its own through the gateway.
FRONT_END: Final = "console"
DEFAULT_FRONT_END_PORT: Final = 8004

# Generous: the platform may send all its traffic with one service token, and benchmarks push
# thousands of requests per second from many tokens (bench/peak.py lifts them all). Every request
# counts against its client address, with a higher bound than a token's, so that made-up tokens
# from one address are limited too; the paths served without a token (health checks,
# documentation, calendar feeds, unsubscribe links) also against a tighter one.
GATEWAY_RATE_DEFAULTS: Final = {
    "GATEWAY_TOKEN_RATE": "1000r/s",
    "GATEWAY_TOKEN_BURST": "2000",
    "GATEWAY_ADDRESS_RATE": "2000r/s",
    "GATEWAY_ADDRESS_BURST": "4000",
    "GATEWAY_PUBLIC_RATE": "200r/s",
    "GATEWAY_PUBLIC_BURST": "400",
}

ADMIN_TOKEN_TTL_S: Final = 7 * 24 * 3600
