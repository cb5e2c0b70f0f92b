"""Integration: the sender when its database goes away while an email is in flight. It talks to the
real PostgreSQL through a proxy the test cuts, and to a real SMTP server (aiosmtpd) that holds the
message until the test lets it through: the send succeeds while recording it cannot."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from notification import sending_store, store, tables
from notification.mailer import SmtpTransport, parse_smtp_url
from notification.sender import DeliverySender, RetryPolicy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import make_engine, make_sessionmaker, transaction
from shared.migrations import upgrade_to_head
from testsupport.infra import Servers, create_database, drop_databases, unique_name
from testsupport.mailbox import MailServer
from testsupport.proxy import TcpProxy, proxy_to, through
from testsupport.waiting import eventually

from .conftest import MIGRATIONS

pytestmark = pytest.mark.integration

# short, so that an email leased by a sender that stopped is sent again within the test
LEASE = timedelta(seconds=2)


@dataclass
class Cuttable:
    """One database: `direct` for the test, `proxied` (through `proxy`) for the sender."""

    direct: async_sessionmaker[AsyncSession]
    proxied: async_sessionmaker[AsyncSession]
    proxy: TcpProxy


@pytest.fixture
async def cuttable(servers: Servers) -> AsyncIterator[Cuttable]:
    name = unique_name("notifcut")
    url = await create_database(servers, name)
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    proxy = await proxy_to(url, 5432)
    direct = make_engine(url, pool_size=2, max_overflow=0)
    proxied = make_engine(through(proxy, url), pool_size=2, max_overflow=0)
    try:
        yield Cuttable(make_sessionmaker(direct), make_sessionmaker(proxied), proxy)
    finally:
        await proxy.close()
        await proxied.dispose()
        await direct.dispose()
        await drop_databases(servers, name)


@pytest.fixture
async def smtp() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.astart()
    try:
        yield server
    finally:
        await server.astop()


def sender_for(
    database: Cuttable,
    server: MailServer,
    *,
    lease: timedelta = LEASE,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> DeliverySender:
    return DeliverySender(
        sessions or database.proxied,
        SmtpTransport(parse_smtp_url(server.url), timeout=5),
        RetryPolicy(max_attempts=50, base=0.05, cap=0.2),
        sender_address="Formation <no-reply@training.local>",
        poll_interval=0.1,
        record_retry=RetryPolicy(base=0.05, cap=0.2),
        stop_grace=0.5,
        lease=lease,
    )


async def pending_emails(sessions: async_sessionmaker[AsyncSession], count: int) -> list[Any]:
    ids = [uuid.uuid4() for _ in range(count)]
    async with transaction(sessions) as db:
        for delivery_id in ids:
            await store.add_delivery(
                db,
                {
                    "id": delivery_id,
                    "delivery_key": f"test:{delivery_id}:email",
                    "user_id": f"u-{delivery_id}",
                    "recipient": f"{delivery_id}@example.org",
                    "kind": "test",
                    "subject": "Essai",
                    "text_body": "texte",
                    "html_body": "<p>texte</p>",
                    "status": "pending",
                },
            )
    return ids


async def rows(sessions: async_sessionmaker[AsyncSession], ids: list[Any]) -> list[Any]:
    async with sessions() as db:
        query = select(tables.deliveries).where(tables.deliveries.c.id.in_(ids))
        return list((await db.execute(query)).mappings())


def message_ids(server: MailServer, delivery_id: Any) -> list[str]:
    return [str(mail.message["Message-ID"]) for mail in server.to(f"{delivery_id}@example.org")]


async def send_one_while_the_database_is_cut(
    database: Cuttable, server: MailServer, sender: DeliverySender
) -> None:
    """The sender's SMTP exchange is held, the database cut, then the exchange completes: the
    email is sent and the sender could not record it."""
    server.hold()
    try:
        await eventually(lambda: server.held == 1, what="an email in flight")
        await database.proxy.cut()
    finally:
        server.release()
    await eventually(lambda: len(server.received) == 1, what="the held email received")
    await eventually(lambda: sender.unrecorded, what="the sender keeping the unrecorded outcome")


async def test_an_email_sent_while_the_database_is_away_is_recorded_not_sent_again(
    cuttable: Cuttable, smtp: MailServer
) -> None:
    ids = await pending_emails(cuttable.direct, 3)
    sender = sender_for(cuttable, smtp)
    async with sender.running():
        await send_one_while_the_database_is_cut(cuttable, smtp, sender)
        [in_flight] = sender.unrecorded
        # the database stays away for a few of the sender's retries: nothing else is sent
        await eventually(lambda: sender.record_failures >= 3, what="recording retried")
        assert len(smtp.received) == 1
        await cuttable.proxy.restore()

        async def all_sent() -> list[Any] | None:
            found = await rows(cuttable.direct, ids)
            return found if all(row["status"] == "sent" for row in found) else None

        found = await eventually(all_sent, within=20, what="every email recorded sent")
    assert sender.unrecorded == ()
    assert {row["id"]: row["attempts"] for row in found} == dict.fromkeys(ids, 1)
    for delivery_id in ids:
        assert message_ids(smtp, delivery_id) == [f"<{delivery_id}@notification.training>"]
    assert in_flight in ids


async def test_only_a_stop_before_the_database_is_back_sends_it_again_with_the_same_message_id(
    cuttable: Cuttable, smtp: MailServer
) -> None:
    [delivery_id] = await pending_emails(cuttable.direct, 1)
    first = sender_for(cuttable, smtp)
    async with first.running():
        await send_one_while_the_database_is_cut(cuttable, smtp, first)
    # the process ended with the outcome unrecorded: the next one can only send it again
    await cuttable.proxy.restore()
    second = sender_for(cuttable, smtp)
    async with second.running():

        async def sent() -> Any:
            [row] = await rows(cuttable.direct, [delivery_id])
            return row if row["status"] == "sent" else None

        await eventually(sent, what="the email recorded sent by the next process")
    same = f"<{delivery_id}@notification.training>"
    assert message_ids(smtp, delivery_id) == [same, same]


async def test_another_replica_does_not_send_an_email_whose_outcome_is_kept(
    cuttable: Cuttable, smtp: MailServer
) -> None:
    """The worst case: the replica holding the outcome lost the database, another one did not
    (its own connection survived); the lease keeps that one off the email."""
    [delivery_id] = await pending_emails(cuttable.direct, 1)
    holding = sender_for(cuttable, smtp, lease=timedelta(minutes=5))
    other = sender_for(cuttable, smtp, lease=timedelta(minutes=5), sessions=cuttable.direct)
    async with holding.running():
        await send_one_while_the_database_is_cut(cuttable, smtp, holding)
        async with other.running():
            more = await pending_emails(cuttable.direct, 1)
            # the other replica works meanwhile: it sends what is due, not the leased email
            await eventually(lambda: message_ids(smtp, more[0]), what="the other replica sending")
            await cuttable.proxy.restore()

            async def recorded() -> Any:
                [row] = await rows(cuttable.direct, [delivery_id])
                return row if row["status"] == "sent" else None

            row = await eventually(recorded, within=20, what="the kept outcome written")
    assert row["attempts"] == 1
    assert message_ids(smtp, delivery_id) == [f"<{delivery_id}@notification.training>"]
    assert len(message_ids(smtp, more[0])) == 1


async def test_recording_an_attempt_twice_counts_it_once(cuttable: Cuttable) -> None:
    """A commit whose answer was lost may have happened: recording that attempt again is a no-op."""
    [delivery_id] = await pending_emails(cuttable.direct, 1)
    for _ in range(2):
        async with transaction(cuttable.direct) as db:
            await sending_store.record_attempt(
                db, delivery_id, {"status": "sent", "last_error": None}, attempts_before=0
            )
    [row] = await rows(cuttable.direct, [delivery_id])
    assert (row["status"], row["attempts"]) == ("sent", 1)
