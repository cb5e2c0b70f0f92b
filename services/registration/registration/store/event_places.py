"""Event registrations: a learner's place at one event, one row per place and a new `version`
per change; at most one active (registered, waitlisted) per learner and event."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import cast, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from registration.records import EventRegistrationRow, EventRegistrationUpdate
from registration.store import lines
from registration.store.rows import every, first, one, typed
from registration.store.visibility import Visibility, texts
from registration.tables import event_registrations, events
from shared.listing import Listing, page_of

_active = event_registrations.c.status.in_(("registered", "waitlisted"))


async def active_event_registration_id(
    db: AsyncSession, event_id: uuid.UUID, user_id: str
) -> uuid.UUID | None:
    query = select(event_registrations.c.id).where(
        event_registrations.c.event_id == event_id,
        event_registrations.c.user_id == user_id,
        _active,
    )
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def insert_event_registration(
    db: AsyncSession, values: EventRegistrationRow
) -> EventRegistrationRow:
    query = insert(event_registrations).values(values).returning(event_registrations)
    return await one(db, query, EventRegistrationRow)


async def event_registration_by_id(
    db: AsyncSession, ident: uuid.UUID
) -> EventRegistrationRow | None:
    query = select(event_registrations).where(event_registrations.c.id == ident)
    return await first(db, query, EventRegistrationRow)


async def update_event_registration(
    db: AsyncSession, ident: uuid.UUID, values: EventRegistrationUpdate
) -> EventRegistrationRow:
    query = (
        update(event_registrations)
        .where(event_registrations.c.id == ident)
        .values(values)
        .returning(event_registrations)
    )
    return await one(db, query, EventRegistrationRow)


async def active_event_registrations(
    db: AsyncSession, *, event_id: uuid.UUID | None = None, registration_id: uuid.UUID | None = None
) -> list[EventRegistrationRow]:
    """Active event registrations of one event, or of one session registration."""
    query = select(event_registrations).where(_active)
    if event_id is not None:
        query = query.where(event_registrations.c.event_id == event_id)
    if registration_id is not None:
        query = query.where(event_registrations.c.registration_id == registration_id)
    query = query.order_by(event_registrations.c.event_id, event_registrations.c.created_at)
    return await every(db, query, EventRegistrationRow)


async def event_head_of_line(
    db: AsyncSession, event_id: uuid.UUID, count: int
) -> list[EventRegistrationRow]:
    query = lines.head_of_line(event_registrations.c.event_id, event_id, count)
    return await every(db, query, EventRegistrationRow)


async def move_event_line_up(
    db: AsyncSession, event_id: uuid.UUID, behind: int, by: int, now: datetime
) -> None:
    """Everyone waiting behind position `behind` moves up `by` places (a new version each)."""
    await lines.move_line_up(db, event_registrations.c.event_id, event_id, behind, by, now)


async def list_event_registrations(
    db: AsyncSession,
    listing: Listing,
    *,
    filters: Mapping[str, object],
    visible_to: Visibility | None,
) -> tuple[list[EventRegistrationRow], int]:
    """`visible_to` None: all (platform_admin); otherwise the caller's own, and those of events
    whose session they tutor or whose training they manage (`organizations` when a manager)."""
    query = select(event_registrations).select_from(
        event_registrations.join(events, events.c.id == event_registrations.c.event_id)
    )
    for name in ("event_id", "user_id", "session_id", "status"):
        if filters.get(name) is not None:
            query = query.where(event_registrations.c[name] == filters[name])
    if visible_to is not None:
        sub = visible_to.sub
        may: list[Any] = [
            event_registrations.c.user_id == sub,
            func.jsonb_exists(cast(events.c.tutors, JSONB), sub),
        ]
        if visible_to.organizations:
            may.append(
                func.jsonb_exists_any(
                    cast(events.c.organizations, JSONB), texts(visible_to.organizations)
                )
            )
        query = query.where(or_(*may))
    rows, total = await page_of(db, query, event_registrations, listing)
    return typed(rows, EventRegistrationRow), total
