"""devstack's console: its port among the stack's (checked for clashes like the others), the
gateway's upstream for `/`, and an environment that reaches the API through the gateway and
holds none of the services' secrets nor their database and broker URLs."""

import pytest

from devstack.config import ConfigError, StackConfig
from devstack.defaults import DEFAULT_FRONT_END_PORT, FRONT_END, SERVICES
from devstack.ports import free_ports_env

pytestmark = pytest.mark.unit

GIVEN = {
    "GATEWAY_PORT": "18080",
    "CONSOLE_PORT": "18004",
    "JWT_SECRET": "a-secret-of-the-services-0123456789",
    "AMQP_URL": "amqp://admin:admin@127.0.0.1:5672/",
    "CATALOG_DATABASE_URL": "postgresql://postgres:pw@127.0.0.1:5432/c",
    "CONSOLE_TIME_ZONE": "America/Montreal",
    "LOG_LEVEL": "DEBUG",
    "SMTP_URL": "smtps://user:pw@mail:465",
}


def test_the_console_calls_the_api_through_the_stacks_gateway_and_gets_no_secret() -> None:
    env = StackConfig.from_env(GIVEN).console_env()
    assert env["HOST"] == "127.0.0.1"
    assert env["CONSOLE_PORT"] == "18004"
    assert env["CONSOLE_API_URL"] == "http://127.0.0.1:18080"
    assert env["CONSOLE_TIME_ZONE"] == "America/Montreal"
    assert env["LOG_LEVEL"] == "DEBUG"
    for withheld in ("JWT_SECRET", "AMQP_URL", "CATALOG_DATABASE_URL", "SMTP_URL"):
        assert withheld not in env
    assert not [value for value in env.values() if "pw@" in value or "secret" in value]


def test_the_console_listens_on_its_default_port_and_the_gateway_sends_it_there() -> None:
    config = StackConfig.from_env({})
    assert config.console_port == DEFAULT_FRONT_END_PORT == 8004
    assert config.gateway_variables()["CONSOLE_UPSTREAM"] == "127.0.0.1:8004"
    # the gateway listening on every interface: the console still calls it on loopback
    everywhere = StackConfig.from_env({"GATEWAY_HOST": "0.0.0.0", "GATEWAY_PORT": "18081"})
    assert everywhere.console_env()["CONSOLE_API_URL"] == "http://127.0.0.1:18081"


@pytest.mark.parametrize("other", ["GATEWAY_PORT", *(f"{s.upper()}_PORT" for s in SERVICES)])
def test_the_consoles_port_may_not_be_another_ones(other: str) -> None:
    with pytest.raises(ConfigError, match=f"CONSOLE_PORT and {other} are both 18555"):
        StackConfig.from_env({other: "18555", "CONSOLE_PORT": "18555"})
    with pytest.raises(ConfigError, match="CONSOLE_PORT='x' is not a port number"):
        StackConfig.from_env({"CONSOLE_PORT": "x"})


def test_a_stack_of_its_own_gets_a_free_port_for_the_console_too() -> None:
    ports = free_ports_env()
    assert f"{FRONT_END.upper()}_PORT" in ports
    assert len(set(ports.values())) == len(ports) == len(SERVICES) + 2
