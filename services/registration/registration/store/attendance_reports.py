"""What the attendance reports and documents read: a session's events, and the presences of
learners registered to them (an event registration `registered`; a learner without a presence
row yet is `unknown`, as the attendance list shows them)."""

import uuid

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.records import EventRow, RegisteredPresenceRow
from registration.store.rows import every
from registration.tables import event_registrations, events, presences


async def session_events(db: AsyncSession, session_id: uuid.UUID) -> list[EventRow]:
    """The session's events (deleted ones left out), by start."""
    query = (
        select(events)
        .where(events.c.session_id == session_id, events.c.status == "active")
        .order_by(events.c.start, events.c.id)
    )
    return await every(db, query, EventRow)


async def registered_presences(
    db: AsyncSession,
    *,
    session_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    registration_id: uuid.UUID | None = None,
) -> list[RegisteredPresenceRow]:
    """One row per learner registered to a live event of the session, of the event, or of the
    session registration (whichever is given), by the learner's name."""
    er = event_registrations
    query = (
        select(
            er.c.event_id,
            er.c.user_id,
            er.c.registration_id,
            er.c.user,
            func.coalesce(presences.c.status, "unknown").label("status"),
            presences.c.note,
            presences.c.signed_at,
        )
        .join(events, and_(events.c.id == er.c.event_id, events.c.status == "active"))
        .outerjoin(
            presences,
            and_(presences.c.event_id == er.c.event_id, presences.c.user_id == er.c.user_id),
        )
        .where(er.c.status == "registered")
        .order_by(func.lower(er.c.user["name"].as_string()), er.c.user_id, events.c.start)
    )
    if session_id is not None:
        query = query.where(er.c.session_id == session_id)
    if event_id is not None:
        query = query.where(er.c.event_id == event_id)
    if registration_id is not None:
        query = query.where(er.c.registration_id == registration_id)
    return await every(db, query, RegisteredPresenceRow)
