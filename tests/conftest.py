"""The whole system as `make run` starts it — three services and the nginx gateway — on the run's
own databases and RabbitMQ vhost, with cuttable proxies in front of PostgreSQL and RabbitMQ."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from devstack.stack import Stack
from testsupport.infra import Servers, create_vhost, delete_vhost, drop_databases, unique_name
from testsupport.mailbox import MailServer
from testsupport.proxy import proxy_to, through
from testsupport.system import SERVICES, System, free_port
from testsupport.waiting import eventually


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    """The system's SMTP server (aiosmtpd): notification sends every email here. A test may stop
    it for an outage; the next test that needs it starts it again (`running_mail_server`)."""
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def running_mail_server(mail_server: MailServer) -> MailServer:
    await mail_server.astart()
    return mail_server


@pytest.fixture(scope="session")
async def system(servers: Servers, mail_server: MailServer) -> AsyncIterator[System]:
    run = unique_name("sys")
    amqp_url = create_vhost(servers, run)
    amqp_proxy = await proxy_to(amqp_url, 5672)
    postgres_proxy = await proxy_to(servers.postgres_url, 5432)
    env = {
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
        **{
            f"{s.upper()}_DATABASE_URL": through(postgres_proxy, servers.database_url(f"{run}_{s}"))
            for s in SERVICES
        },
    }
    stack = Stack(env, inherit_environment=False)
    try:
        async with stack, httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as http:
            yield System(stack, http, amqp_url, amqp_proxy, postgres_proxy)
    finally:
        await amqp_proxy.close()
        await postgres_proxy.close()
        await drop_databases(servers, run)
        delete_vhost(servers, run)


@pytest.fixture
async def healthy_system(system: System) -> System:
    """The system, after any earlier test's outage has healed."""
    await eventually(system.healthy, within=60, what="every service healthy")
    return system
