"""Integration, on the real PostgreSQL: a round's emails are its sender's for a short claim window,
and each for the full lease once taken to be sent. A sender that dies after its claim (the claim
made and dropped, as by SIGKILL) leaves the emails it had not taken to another after the window;
the one it had taken, possibly in flight, waits its lease."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notification import sending_store, tables
from notification.mailer import SmtpTransport, parse_smtp_url
from notification.records import AttemptOutcome
from notification.sender import LEASE, DeliverySender, RetryPolicy
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db import driver_connection, make_engine, make_sessionmaker, transaction
from shared.migrations import upgrade_to_head
from testsupport.infra import Servers, create_database, drop_databases, unique_name
from testsupport.mailbox import MailServer
from testsupport.waiting import eventually

from .conftest import MIGRATIONS
from .test_sender_outages import message_ids, pending_emails, rows

pytestmark = pytest.mark.integration

WINDOW = timedelta(seconds=2)
"""Short, so that the window of a dead sender's claim passes within the test."""


@pytest.fixture
async def sessions(servers: Servers) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    name = unique_name("notifclaim")
    url = await create_database(servers, name)
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = make_engine(url, pool_size=2, max_overflow=0)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()
        await drop_databases(servers, name)


@pytest.fixture
async def smtp() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.astart()
    try:
        yield server
    finally:
        await server.astop()


def sender_for(sessions: async_sessionmaker[AsyncSession], server: MailServer) -> DeliverySender:
    return DeliverySender(
        sessions,
        SmtpTransport(parse_smtp_url(server.url), timeout=5),
        RetryPolicy(),
        sender_address="Formation <no-reply@training.local>",
        claim_window=WINDOW,
    )


async def claim(sessions: async_sessionmaker[AsyncSession]) -> sending_store.Claim:
    async with transaction(sessions) as db:
        claimed = await sending_store.claim_due_deliveries(db, 20, WINDOW)
    assert claimed is not None
    return claimed


async def take(
    sessions: async_sessionmaker[AsyncSession], claimed: sending_store.Claim, index: int
) -> bool:
    async with transaction(sessions) as db:
        return await sending_store.take_claimed(db, claimed, claimed.deliveries[index], LEASE)


async def test_a_dead_senders_claim_is_another_senders_after_the_window_but_what_it_took(
    sessions: async_sessionmaker[AsyncSession], smtp: MailServer
) -> None:
    ids = await pending_emails(sessions, 3)
    dead = await claim(sessions)
    assert sorted(delivery.id for delivery in dead.deliveries) == sorted(ids)
    assert await take(sessions, dead, 0)  # then it dies, that email in flight
    in_flight = dead.deliveries[0].id
    untaken = [delivery_id for delivery_id in ids if delivery_id != in_flight]
    other = sender_for(sessions, smtp)
    assert await other.send_due() == 0  # within the window: claimed, not due

    async def sent() -> list[Any] | None:
        await other.send_due()
        found = await rows(sessions, untaken)
        return found if all(row["status"] == "sent" for row in found) else None

    await eventually(sent, within=WINDOW.total_seconds() + 10, what="the untaken emails sent")
    for delivery_id in untaken:
        assert message_ids(smtp, delivery_id) == [f"<{delivery_id}@notification.training>"]
    [taken] = await rows(sessions, [in_flight])
    assert (taken["status"], taken["attempts"], message_ids(smtp, in_flight)) == ("pending", 0, [])
    assert await other.send_due() == 0  # the taken one waits its lease


async def test_a_claim_whose_window_passed_takes_and_releases_nothing_claimed_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A slow sender's claim overtaken by another's: only the later claimant sends each email."""
    ids = await pending_emails(sessions, 2)
    first = await claim(sessions)

    async def claimed_again() -> sending_store.Claim | None:
        async with transaction(sessions) as db:
            return await sending_store.claim_due_deliveries(db, 20, WINDOW)

    second = await eventually(claimed_again, within=WINDOW.total_seconds() + 10, what="due again")
    assert second.until > first.until
    assert sorted(delivery.id for delivery in second.deliveries) == sorted(ids)
    assert not await take(sessions, first, 0)
    async with transaction(sessions) as db:
        await sending_store.release_deliveries(db, [(ids[0], first.until), (ids[1], first.until)])
    async with transaction(sessions) as db:
        assert await sending_store.claim_due_deliveries(db, 20, WINDOW) is None
    assert await take(sessions, second, 0)
    assert await take(sessions, second, 1)


async def test_each_outcome_is_written_with_the_next_take_as_record_attempt_writes_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The sender's one statement per email (the driver's, not SQLAlchemy's): an accepted email,
    one to retry and one given up are written as `record_attempt` would, each with the take of
    the next, and the round's last alone; an outcome already written (its attempt counted) is not
    written again."""
    ids = await pending_emails(sessions, 4)
    claimed = await claim(sessions)
    by_id = {delivery.id: delivery for delivery in claimed.deliveries}
    order = [by_id[delivery_id] for delivery_id in ids]
    now = datetime.now(UTC)
    retry_at = now + timedelta(minutes=3)
    outcomes: list[AttemptOutcome] = [
        {"status": "sent", "sent_at": now, "last_error": None},
        {
            "status": "pending",
            "last_error": "SMTPServerDisconnected: gone",
            "next_attempt_at": retry_at,
        },
        {"status": "failed", "last_error": "SMTPRecipientsRefused", "next_attempt_at": retry_at},
    ]
    engine: AsyncEngine = sessions.kw["bind"]
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        driver = await driver_connection(conn)  # as the sender's round takes it
        assert await sending_store.record_and_take(driver, None, claimed, order[0], LEASE)
        for index, outcome in enumerate(outcomes):
            done = (order[index].id, outcome, 0)
            assert await sending_store.record_and_take(
                driver, done, claimed, order[index + 1], LEASE
            )
        # the first outcome again (a lost answer's retry): its attempt is counted, nothing changes
        assert not await sending_store.record_and_take(
            driver, (ids[0], outcomes[0], 0), claimed, order[1], LEASE
        )
        await sending_store.record_last(driver, (order[3].id, outcomes[1], 0))  # the round's last
    found = {row["id"]: row for row in await rows(sessions, ids)}
    sent, retried, given_up, last = (found[delivery_id] for delivery_id in ids)
    assert (sent["status"], sent["attempts"], sent["sent_at"], sent["last_error"]) == (
        "sent",
        1,
        now,
        None,
    )
    for row, outcome in ((retried, outcomes[1]), (given_up, outcomes[2]), (last, outcomes[1])):
        assert (row["status"], row["attempts"], row["last_error"]) == (
            outcome["status"],
            1,
            outcome["last_error"],
        )
        assert (row["next_attempt_at"], row["sent_at"]) == (retry_at, None)
    assert sent["updated_at"] > sent["created_at"]


async def test_a_claim_takes_the_oldest_due_emails_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await pending_emails(sessions, 4)
    ages = dict(zip(ids, (3, 1, 2, -60), strict=True))  # seconds overdue; the last not due yet
    async with transaction(sessions) as db:
        for delivery_id, age in ages.items():
            await db.execute(
                update(tables.deliveries)
                .where(tables.deliveries.c.id == delivery_id)
                .values(next_attempt_at=func.now() - timedelta(seconds=age))
            )
    async with transaction(sessions) as db:
        first = await sending_store.claim_due_deliveries(db, 2, WINDOW)
    assert first is not None
    assert [delivery.id for delivery in first.deliveries] == [ids[0], ids[2]]
    async with transaction(sessions) as db:
        rest = await sending_store.claim_due_deliveries(db, 20, WINDOW)
    assert rest is not None
    assert [delivery.id for delivery in rest.deliveries] == [ids[1]]
    assert rest.until >= first.until
    [row] = await rows(sessions, [ids[1]])
    assert row["next_attempt_at"] == rest.until
