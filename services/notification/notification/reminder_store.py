"""The queries on the reminders' schedule (store.reminders) and on what planning reads of the
replicas; beside store.py, which holds the tables."""

import uuid
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.records import ReminderPlace, ReminderRow
from notification.reminders import Slot
from notification.tables import event_registrations, events, reminders

_REMINDER = tuple(reminders.c[f.name] for f in fields(ReminderRow))
_PLACE = tuple(event_registrations.c[f.name] for f in fields(ReminderPlace))


async def hold_reminders(db: AsyncSession, event_id: uuid.UUID) -> None:
    """A transaction lock on the event's reminders: a registration, a move and a new rule that
    touch them at once are planned one after the other, each seeing what the other wrote."""
    key = func.hashtextextended(f"reminders:{event_id}", 0)
    await db.execute(select(func.pg_advisory_xact_lock(key)))


async def registered_places(
    db: AsyncSession, event_id: uuid.UUID, user_ids: Iterable[str] | None = None
) -> dict[str, ReminderPlace]:
    """The event's `registered` places by learner (of `user_ids`, or all)."""
    query = select(*_PLACE).where(
        event_registrations.c.event_id == event_id, event_registrations.c.status == "registered"
    )
    if user_ids is not None:
        query = query.where(event_registrations.c.user_id.in_(list(user_ids)))
    rows = (await db.execute(query.order_by(event_registrations.c.version))).mappings()
    return {row["user_id"]: ReminderPlace(**row) for row in rows}


async def reminders_of(
    db: AsyncSession, event_id: uuid.UUID, user_ids: Iterable[str] | None = None
) -> list[ReminderRow]:
    """The event's reminders (of `user_ids`, or all), whatever their status."""
    query = select(*_REMINDER).where(reminders.c.event_id == event_id)
    if user_ids is not None:
        query = query.where(reminders.c.user_id.in_(list(user_ids)))
    return [ReminderRow(**row) for row in (await db.execute(query)).mappings()]


async def session_event_ids(db: AsyncSession, session_id: uuid.UUID) -> list[uuid.UUID]:
    query = select(events.c.id).where(events.c.session_id == session_id).order_by(events.c.id)
    return list((await db.execute(query)).scalars())


async def add_reminders(
    db: AsyncSession, event_id: uuid.UUID, user_id: str, slots: Iterable[Slot]
) -> None:
    """Pending reminders: new ones, or dropped ones wanted again; a sent one stays sent."""
    values = [
        {
            "id": uuid.uuid4(),
            "event_id": event_id,
            "user_id": user_id,
            "hours": slot.hours,
            "start": slot.start,
            "due_at": slot.due_at,
            "status": "pending",
        }
        for slot in slots
    ]
    if not values:
        return
    stmt = pg_insert(reminders).values(values)
    stmt = stmt.on_conflict_do_update(
        constraint="reminders_event_user_hours_start_key",
        set_={"status": "pending", "due_at": stmt.excluded.due_at, "updated_at": func.now()},
        where=reminders.c.status == "dropped",
    )
    await db.execute(stmt)


async def drop_reminders(
    db: AsyncSession, event_id: uuid.UUID, user_id: str, slots: Iterable[Slot]
) -> None:
    keys = [(slot.hours, slot.start) for slot in slots]
    if not keys:
        return
    await db.execute(
        update(reminders)
        .where(
            reminders.c.event_id == event_id,
            reminders.c.user_id == user_id,
            reminders.c.status == "pending",
            tuple_(reminders.c.hours, reminders.c.start).in_(keys),
        )
        .values(status="dropped", updated_at=func.now())
    )


async def claim_due_reminders(db: AsyncSession, limit: int) -> list[ReminderRow]:
    """The oldest due pending reminders, locked for this transaction: another scheduler skips
    them, and sees them sent or dropped once it commits (or pending again if it rolls back)."""
    query = (
        select(*_REMINDER)
        .where(reminders.c.status == "pending", reminders.c.due_at <= func.now())
        .order_by(reminders.c.due_at, reminders.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [ReminderRow(**row) for row in (await db.execute(query)).mappings()]


async def settle_reminder(
    db: AsyncSession, reminder_id: uuid.UUID, *, sent_at: datetime | None
) -> None:
    """Sent at `sent_at`, or dropped (None): no longer due for anyone."""
    await db.execute(
        update(reminders)
        .where(reminders.c.id == reminder_id)
        .values(
            status="sent" if sent_at is not None else "dropped",
            sent_at=sent_at,
            updated_at=func.now(),
        )
    )


async def due_reminders(db: AsyncSession) -> tuple[int, float]:
    """How many pending reminders are due now, and how long ago the oldest fell due (0 when
    none is): one range of the partial index `reminders_due`."""
    query = select(
        func.count(), func.extract("epoch", func.now() - func.min(reminders.c.due_at))
    ).where(reminders.c.status == "pending", reminders.c.due_at <= func.now())
    count, oldest = (await db.execute(query)).one()
    return int(count), max(0.0, float(oldest or 0.0))


async def next_reminder_in(db: AsyncSession) -> float | None:
    """Seconds until the next pending reminder is due (0 if one is due now), None if none."""
    query = select(func.extract("epoch", func.min(reminders.c.due_at) - func.now())).where(
        reminders.c.status == "pending"
    )
    value = (await db.execute(query)).scalar_one_or_none()
    return None if value is None else max(0.0, float(value))
