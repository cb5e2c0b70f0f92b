"""The notification service in this process, on the run's own database and vhost, with a real
SMTP server (aiosmtpd): what the integration tests drive over AMQP and HTTP."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from notification.app import create_app
from notification.settings import NotificationSettings

from shared.auth import mint_token
from shared.db import make_engine, make_sessionmaker
from shared.migrations import upgrade_to_head
from testsupport.infra import (
    Servers,
    create_database,
    create_vhost,
    delete_vhost,
    drop_databases,
    unique_name,
)
from testsupport.mailbox import MailServer
from testsupport.waiting import eventually

MIGRATIONS = Path(__file__).parents[1] / "notification" / "migrations"
SECRET = "notification-test-secret-0123456789abcdef"
PUBLIC_URL = "https://lms.example.org"


@dataclass
class Running:
    http: httpx.AsyncClient
    amqp_url: str
    database_url: str
    mail: MailServer
    connection: aio_pika.abc.AbstractRobustConnection

    def auth(self, sub: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(SECRET, sub=sub, **claims)}"}

    async def publish(self, envelope: dict[str, Any], *, command: bool = False) -> None:
        """Onto the bus as a producer would: structured CloudEvent, persistent, id as message_id."""
        channel = await self.connection.channel(publisher_confirms=True)
        try:
            name = "training.commands" if command else "training.events"
            exchange = await channel.get_exchange(name)
            await exchange.publish(
                aio_pika.Message(
                    json.dumps(envelope).encode(),
                    content_type="application/cloudevents+json",
                    message_id=envelope["id"],
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=envelope["type"],
                mandatory=command,
            )
        finally:
            await channel.close()


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def notification_database(servers: Servers) -> AsyncIterator[str]:
    name = unique_name("notif")
    url = await create_database(servers, name)
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    yield url
    await drop_databases(servers, name)


@pytest.fixture(scope="session")
async def running(
    servers: Servers, notification_database: str, mail_server: MailServer
) -> AsyncIterator[Running]:
    vhost = unique_name("notif")
    amqp_url = create_vhost(servers, vhost)
    settings = NotificationSettings(
        database_url=notification_database,
        amqp_url=amqp_url,
        jwt_secret=SECRET,
        smtp_url=mail_server.url,
        public_url_override=PUBLIC_URL,
        send_backoff_seconds=0.1,
        send_backoff_max_seconds=0.5,
        send_poll_seconds=0.5,
        send_max_attempts=100,
    )
    app = create_app(settings)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://notification"
            ) as http,
        ):

            async def healthy() -> bool:
                return (await http.get("/health")).status_code == 200

            await eventually(healthy, within=30, what="the notification service healthy")
            connection = await aio_pika.connect_robust(amqp_url)
            try:
                yield Running(http, amqp_url, notification_database, mail_server, connection)
            finally:
                await connection.close()
    finally:
        delete_vhost(servers, vhost)


@pytest.fixture(scope="session")
async def database(notification_database: str) -> AsyncIterator[Any]:
    engine = make_engine(notification_database, pool_size=2, max_overflow=2)
    yield make_sessionmaker(engine)
    await engine.dispose()
