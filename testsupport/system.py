"""The running system as the system tests see it: the stack, an HTTP client on the gateway, and
the proxies that stand between the services and their servers."""

import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from devstack.processes import print_sink
from devstack.stack import Stack
from testsupport.infra import Servers, create_vhost, delete_vhost, drop_databases, unique_name
from testsupport.proxy import TcpProxy, proxy_to, through

if TYPE_CHECKING:  # the mail server module uses this one's free_port
    from testsupport.mailbox import MailServer

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
    logs: list[str] = field(default_factory=list)
    """Every line the stack's processes wrote, as `<process> | <line>`."""

    def token(self, sub: str, **claims: Any) -> str:
        return self.stack.token(sub, **claims)

    def auth(self, sub: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub, **claims)}"}

    async def healthy(self) -> bool:
        for service in SERVICES:
            if (await self.http.get(f"/health/{service}")).status_code != 200:
                return False
        return True


@asynccontextmanager
async def running_system(
    servers: Servers, mail_server: "MailServer", prefix: str, env: Mapping[str, str] | None = None
) -> AsyncIterator[System]:
    """A whole stack on databases and a RabbitMQ vhost of its own, dropped afterwards; `env`
    adds to (or overrides) the environment of its processes."""
    run = unique_name(prefix)
    amqp_url = create_vhost(servers, run)
    amqp_proxy = await proxy_to(amqp_url, 5672)
    postgres_proxy = await proxy_to(servers.postgres_url, 5432)
    stack_env = {
        "GATEWAY_PORT": str(free_port()),
        "AMQP_URL": through(amqp_proxy, amqp_url),
        "JWT_SECRET": "system-test-secret-" + run,
        "SMTP_URL": mail_server.url,
        # retries quick enough for an SMTP outage within a test's deadline
        "NOTIFICATION_SEND_BACKOFF_SECONDS": "0.2",
        "NOTIFICATION_SEND_BACKOFF_MAX_SECONDS": "1",
        "NOTIFICATION_SEND_POLL_SECONDS": "0.5",
        "NOTIFICATION_SEND_MAX_ATTEMPTS": "120",
        **{f"{s.upper()}_PORT": str(free_port()) for s in SERVICES},
        "CONSOLE_PORT": str(free_port()),  # the web console, the gateway's `/`
        **{
            f"{s.upper()}_DATABASE_URL": through(postgres_proxy, servers.database_url(f"{run}_{s}"))
            for s in SERVICES
        },
        **(env or {}),
    }
    logs: list[str] = []

    def record(name: str, line: str) -> None:
        logs.append(f"{name} | {line}")
        print_sink(name, line)

    stack = Stack(stack_env, inherit_environment=False, log=record)
    try:
        async with stack, httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as http:
            yield System(stack, http, amqp_url, amqp_proxy, postgres_proxy, logs)
    finally:
        await amqp_proxy.close()
        await postgres_proxy.close()
        await drop_databases(servers, run)
        delete_vhost(servers, run)
