"""The whole system as `make run` starts it — three services and the nginx gateway — on the run's
own databases and RabbitMQ vhost, with cuttable proxies in front of PostgreSQL and RabbitMQ."""

from collections.abc import AsyncIterator, Iterator

import pytest

from testsupport.infra import Servers
from testsupport.mailbox import MailServer
from testsupport.system import System, running_system
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
    async with running_system(servers, mail_server, "sys") as running:
        yield running


@pytest.fixture
async def healthy_system(system: System) -> System:
    """The system, after any earlier test's outage has healed."""
    await eventually(system.healthy, within=60, what="every service healthy")
    return system
