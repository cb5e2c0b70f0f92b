"""The running system as the system tests see it: the stack, an HTTP client on the gateway, and
the proxies that stand between the services and their servers."""

import socket
from dataclasses import dataclass
from typing import Any

import httpx

from devstack.stack import Stack
from testsupport.proxy import TcpProxy

SERVICES = ("catalog", "registration", "notification")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class System:
    stack: Stack
    http: httpx.AsyncClient
    amqp_url: str  # straight to the run's vhost, for the tests' own subscribers
    amqp_proxy: TcpProxy
    postgres_proxy: TcpProxy

    def token(self, sub: str, **claims: Any) -> str:
        return self.stack.token(sub, **claims)

    def auth(self, sub: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub, **claims)}"}

    async def healthy(self) -> bool:
        for service in SERVICES:
            if (await self.http.get(f"/health/{service}")).status_code != 200:
                return False
        return True
