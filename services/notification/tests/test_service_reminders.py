"""Integration: reminders on the real PostgreSQL, RabbitMQ and aiosmtpd. Planned through the real
consumers (catalog and event registration facts on the bus), sent by the service's scheduler at
their time, once; two schedulers on one schedule, and a scheduler stopped with a reminder due."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notification import reminder_store, store, tables
from notification.reminder_notices import KIND
from notification.reminder_scheduler import ReminderScheduler
from notification.reminders import Slot
from notification.use_cases.notices import Letterhead
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import make_engine, make_sessionmaker, transaction
from testsupport.waiting import eventually

from .conftest import Running
from .test_service import announce_session, envelope, handled, learner, lone_database, mail_to

pytestmark = pytest.mark.integration
__all__ = ["lone_database"]  # the fixture, for the tests below

SHORT = 0.02
"""72 seconds before the start."""


def _now() -> datetime:
    return datetime.now(UTC)


async def _event(running: Running, session: dict[str, Any], start: datetime) -> dict[str, Any]:
    now = _now().isoformat()
    event = {
        "id": str(uuid.uuid4()),
        "session_id": session["id"],
        "training_id": session["training_id"],
        "title": "Atelier rappel",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "location": "Salle 2",
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    message = envelope("catalog.event.created", event)
    await running.publish(message)
    await handled(running, "notification.events", message["id"])
    return event


async def _place(
    running: Running, event: dict[str, Any], user: dict[str, Any], fact: str, **changes: Any
) -> dict[str, Any]:
    now = _now().isoformat()
    place = {
        "id": str(uuid.uuid4()),
        "event_id": event["id"],
        "session_id": event["session_id"],
        "user_id": user["id"],
        "status": "registered",
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "user": user,
        **changes,
    }
    message = envelope(f"event_registration.{fact}", place)
    await running.publish(message)
    await handled(running, "notification.event-registrations", message["id"])
    return place


async def _reminders(
    database: async_sessionmaker[AsyncSession], event_id: str, user_id: str
) -> list[Any]:
    async with database() as db:
        return await reminder_store.reminders_of(db, uuid.UUID(event_id), [user_id])


async def _reminder_emails(database: async_sessionmaker[AsyncSession], user_id: str) -> list[Any]:
    async with database() as db:
        query = select(tables.deliveries).where(
            tables.deliveries.c.user_id == user_id, tables.deliveries.c.kind == KIND
        )
        return list((await db.execute(query)).mappings())


async def _sent(database: async_sessionmaker[AsyncSession], event_id: str, user_id: str) -> Any:
    rows = await _reminders(database, event_id, user_id)
    return next((row for row in rows if row.status == "sent"), None)


async def test_a_reminder_arrives_once_at_its_time_with_the_invitation(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running, reminder_hours=[SHORT, 24])
    start = (_now() + timedelta(seconds=80)).replace(microsecond=0)
    event = await _event(running, session, start)
    ada = learner("ada", locale="en")
    await _place(running, event, ada, "registered")

    (planned,) = await _reminders(database, event["id"], ada["id"])  # 24 h before: past
    assert (planned.hours, planned.start, planned.status) == (SHORT, start, "pending")
    mail = await mail_to(running, ada, "Reminder: Atelier rappel")
    sent = await _sent(database, event["id"], ada["id"])
    assert sent.due_at <= sent.sent_at < sent.due_at + timedelta(seconds=60)
    assert "Salle 2" in mail.text()
    invitation = mail.raw("text/calendar")
    assert f"DTSTART:{start.strftime('%Y%m%dT%H%M%SZ')}\r\n" in invitation
    assert "UID:event-registration-" in invitation
    assert len(await _reminder_emails(database, ada["id"])) == 1
    inbox = (await running.http.get("/api/inbox", headers=running.auth(ada["id"]))).json()
    assert [m["kind"] for m in inbox["items"]].count(KIND) == 1


async def test_a_moved_event_is_reminded_at_its_new_time_and_not_at_the_old(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running, reminder_hours=[SHORT])
    start = (_now() + timedelta(seconds=90)).replace(microsecond=0)
    event = await _event(running, session, start)
    bob = learner("bob")
    await _place(running, event, bob, "registered")
    moved_to = start + timedelta(seconds=10)
    now = _now().isoformat()
    moved = {
        **event,
        "start": moved_to.isoformat(),
        "end": (moved_to + timedelta(hours=2)).isoformat(),
        "version": 2,
        "updated_at": now,
    }
    message = envelope("catalog.event.updated", moved)
    await running.publish(message)
    await handled(running, "notification.events", message["id"])

    statuses = {row.start: row.status for row in await _reminders(database, event["id"], bob["id"])}
    assert statuses == {start: "dropped", moved_to: "pending"}
    sent = await eventually(
        lambda: _sent(database, event["id"], bob["id"]), within=60, what="bob's reminder sent"
    )
    await mail_to(running, bob, "Rappel : Atelier rappel")
    assert sent.start == moved_to
    assert sent.sent_at >= moved_to - timedelta(hours=SHORT)
    (email,) = await _reminder_emails(database, bob["id"])
    assert f"DTSTART:{moved_to.strftime('%Y%m%dT%H%M%SZ')}" in email["calendar"]


async def test_a_cancelled_place_is_not_reminded(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running, reminder_hours=[SHORT])
    start = (_now() + timedelta(seconds=80)).replace(microsecond=0)
    event = await _event(running, session, start)
    cid, dan = learner("cid"), learner("dan")
    place = await _place(running, event, cid, "registered")
    await _place(running, event, dan, "registered")  # the witness: reminded at the same time
    await _place(running, event, cid, "cancelled", id=place["id"], status="cancelled", version=2)

    assert [row.status for row in await _reminders(database, event["id"], cid["id"])] == ["dropped"]
    await mail_to(running, dan, "Rappel : Atelier rappel")
    assert await _reminder_emails(database, cid["id"]) == []


# --- the scheduler on a database of its own: replicas, a restart --------------------------------


async def _due_reminders(
    sessions: async_sessionmaker[AsyncSession], learners: int, *, in_seconds: float
) -> uuid.UUID:
    """An event starting soon, its session, `learners` registered learners each with one
    reminder due in `in_seconds`; the event's id."""
    event_id, session_id = uuid.uuid4(), uuid.uuid4()
    start = _now() + timedelta(seconds=in_seconds + 30)
    slot = Slot(30 / 3600, start)
    async with transaction(sessions) as db:
        await store.save_session(
            db,
            {
                "id": session_id,
                "training_id": uuid.uuid4(),
                "title": "Sécurité",
                "start_date": start.date(),
                "end_date": start.date(),
                "location": None,
                "organizations": ["org"],
                "tutors": [],
                "validators": [],
                "status": "scheduled",
                "version": 1,
                "reminder_hours": [slot.hours],
            },
        )
        await store.save_event(
            db,
            {
                "id": event_id,
                "session_id": session_id,
                "title": "Évacuation",
                "start": start,
                "end": start + timedelta(hours=1),
                "location": None,
                "utc_offset_minutes": 0,
                "deleted": False,
                "version": 1,
            },
        )
        for number in range(learners):
            user_id = f"learner-{number}"
            await db.execute(
                tables.event_registrations.insert().values(
                    id=uuid.uuid4(),
                    event_id=event_id,
                    session_id=session_id,
                    user_id=user_id,
                    status="registered",
                    version=1,
                )
            )
            await store.save_contact(
                db,
                {
                    "user_id": user_id,
                    "email": f"{user_id}@example.org",
                    "name": user_id,
                    "locale": "fr",
                    "as_of": _now(),
                },
            )
            await reminder_store.add_reminders(db, event_id, user_id, [slot])
    return event_id


async def _counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as db:
        rows = await db.execute(
            select(tables.reminders.c.status, func.count()).group_by(tables.reminders.c.status)
        )
        counts = {status: int(count) for status, count in rows.all()}
        emails = select(func.count()).where(tables.deliveries.c.kind == KIND)
        inbox = select(func.count()).where(tables.messages.c.kind == KIND)
        counts["emails"] = int((await db.execute(emails)).scalar_one())
        counts["inbox"] = int((await db.execute(inbox)).scalar_one())
        return counts


class _Counting(ReminderScheduler):
    settled = 0

    async def send_due(self) -> int:
        handled = await super().send_due()
        self.settled += handled
        return handled


async def test_two_schedulers_on_one_schedule_send_each_reminder_once(
    lone_database: async_sessionmaker[AsyncSession],
) -> None:
    await _due_reminders(lone_database, 60, in_seconds=1)
    url = lone_database.kw["bind"].url.render_as_string(hide_password=False)
    engines = [make_engine(url, pool_size=2, max_overflow=0) for _ in range(2)]
    schedulers = [
        _Counting(make_sessionmaker(engine), Letterhead(), poll_interval=0.05, batch_size=5)
        for engine in engines
    ]
    try:
        async with schedulers[0].running(), schedulers[1].running():

            async def all_sent() -> bool:
                return (await _counts(lone_database)).get("sent", 0) == 60

            await eventually(all_sent, within=30, what="the 60 reminders sent")
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(scheduler.settled for scheduler in schedulers) == 60
    assert all(scheduler.settled > 0 for scheduler in schedulers)
    assert await _counts(lone_database) == {"sent": 60, "emails": 60, "inbox": 60}


async def test_a_reminder_due_while_the_scheduler_was_stopped_goes_out_once_after(
    lone_database: async_sessionmaker[AsyncSession],
) -> None:
    await _due_reminders(lone_database, 2, in_seconds=1.5)
    scheduler = ReminderScheduler(lone_database, Letterhead(), poll_interval=0.05)
    async with scheduler.running():
        pass  # stopped before they are due

    async def due_now() -> bool:
        async with lone_database() as db:
            return bool(await reminder_store.next_reminder_in(db) == 0)

    await eventually(due_now, within=10, what="the reminders due")
    assert (await _counts(lone_database)).get("pending") == 2
    # a scheduler dying mid-round: its claim rolls back with its transaction
    async with lone_database() as db, db.begin():
        assert len(await reminder_store.claim_due_reminders(db, 10)) == 2
        await db.rollback()
    async with ReminderScheduler(lone_database, Letterhead(), poll_interval=0.05).running():

        async def sent() -> bool:
            return (await _counts(lone_database)).get("sent", 0) == 2

        await eventually(sent, within=10, what="the reminders sent after the restart")
    # started once more: nothing left to send
    assert await ReminderScheduler(lone_database, Letterhead()).send_due() == 0
    assert await _counts(lone_database) == {"sent": 2, "emails": 2, "inbox": 2}
