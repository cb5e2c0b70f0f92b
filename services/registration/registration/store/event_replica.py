"""The replica of catalog's events (séances) and the seat counters registration owns on them.

Lock order, everywhere: the session's row first, then event rows in id order.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registration.domain import Seats
from registration.records import EventRow
from registration.store.replicas import lock_replica
from registration.store.rows import every, first
from registration.tables import events


async def lock_event(db: AsyncSession, ident: uuid.UUID) -> EventRow | None:
    return await lock_replica(db, events, ident, EventRow)


async def lock_events(db: AsyncSession, event_ids: Sequence[uuid.UUID]) -> list[EventRow]:
    query = select(events).where(events.c.id.in_(event_ids)).order_by(events.c.id).with_for_update()
    return await every(db, query, EventRow)


async def event_by_id(db: AsyncSession, event_id: uuid.UUID) -> EventRow | None:
    return await first(db, select(events).where(events.c.id == event_id), EventRow)


async def lock_auto_events(
    db: AsyncSession, session_id: uuid.UUID, now: datetime
) -> list[EventRow]:
    """The session's `auto` events that have not ended, locked in id order."""
    query = (
        select(events)
        .where(
            events.c.session_id == session_id,
            events.c.status == "active",
            events.c.registration_mode == "auto",
            events.c.end > now,
        )
        .order_by(events.c.id)
        .with_for_update()
    )
    return await every(db, query, EventRow)


async def set_event_seats(db: AsyncSession, event_id: uuid.UUID, seats: Seats) -> None:
    await db.execute(
        update(events)
        .where(events.c.id == event_id)
        .values(
            max_users=seats.max_users,
            taken=seats.taken,
            waitlisted=seats.waitlisted,
            beyond_limit=seats.beyond_limit,
        )
    )
