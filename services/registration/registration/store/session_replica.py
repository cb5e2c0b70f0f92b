"""The replica of catalog's sessions and the seat counters registration owns on it.

The row is locked (`SELECT ... FOR UPDATE`) for every decision about its registrations, so
replicas take turns on one session and never oversell.
"""

import typing
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from registration.domain import Seats
from registration.records import EventRow, SessionRow, SessionSeatsRow, SessionValues
from registration.store.rows import every, first
from registration.store.session_registrations import due
from registration.tables import registrations, sessions
from shared.db import driver_connection
from shared.events import SessionData, SessionRules

RULE_NAMES = set(SessionRules.model_fields)


def session_values(session: SessionData, status: str) -> SessionValues:
    return {
        "id": session.id,
        "training_id": session.training_id,
        "version": session.version,
        "status": status,
        "organizations": session.organizations,
        "tutors": session.tutors,
        "max_users": session.max_users,
        "rules": session.model_dump(mode="json", include=RULE_NAMES),
        "default_session": session.default_session,
        "registration_opens_at": session.registration_opens_at,
        "registration_closes_at": session.registration_closes_at,
        "unregistration_closes_at": session.unregistration_closes_at,
        "title": session.title,
        "start_date": session.start_date,
        "end_date": session.end_date,
        "location": session.location,
    }


async def insert_session_if_new(db: AsyncSession, values: SessionValues) -> bool:
    """True when this is the first the replica hears of the session."""
    stmt = pg_insert(sessions).values(values).on_conflict_do_nothing().returning(sessions.c.id)
    return (await db.execute(stmt)).first() is not None


async def update_session(
    db: AsyncSession, session_id: uuid.UUID, values: Mapping[str, object]
) -> None:
    await db.execute(update(sessions).where(sessions.c.id == session_id).values(values))


_LOCK_SESSION = select(sessions).where(sessions.c.id == bindparam("session_id")).with_for_update()
"""Made once: every batch decision locks its session (docs/performance.md, issue 18). It stays
SQLAlchemy's: as the transaction's first statement it is what begins the transaction, which a
statement run by the driver alone would not."""
_SET_SEATS = (
    "UPDATE sessions SET max_users = $2, taken = $3, waitlisted = $4, beyond_limit = $5 "
    "WHERE id = $1"
)


async def lock_session(db: AsyncSession, session_id: uuid.UUID) -> SessionRow | None:
    row = (await db.execute(_LOCK_SESSION, {"session_id": session_id})).mappings().first()
    return typing.cast(SessionRow, dict(row)) if row is not None else None


async def lock_sessions(db: AsyncSession, session_ids: Sequence[uuid.UUID]) -> list[SessionRow]:
    """Several session rows, locked in id order (every caller does so: no deadlock)."""
    query = (
        select(sessions)
        .where(sessions.c.id.in_(session_ids))
        .order_by(sessions.c.id)
        .with_for_update()
    )
    return await every(db, query, SessionRow)


async def session_by_id(db: AsyncSession, session_id: uuid.UUID) -> SessionRow | None:
    return await first(db, select(sessions).where(sessions.c.id == session_id), SessionRow)


def seats_of(session: SessionRow | EventRow) -> Seats:
    return Seats(
        session["max_users"], session["taken"], session["waitlisted"], session["beyond_limit"]
    )


async def set_seats(db: AsyncSession, session_id: uuid.UUID, seats: Seats) -> None:
    """Executed by the driver on the transaction's own connection (every batch decision sets
    its session's seats; SQLAlchemy's building and processing of the statement cost more than
    running it), under the session's lock, which began the transaction."""
    driver = await driver_connection(db)
    await driver.execute(
        _SET_SEATS, session_id, seats.max_users, seats.taken, seats.waitlisted, seats.beyond_limit
    )


async def seats_for(db: AsyncSession, session_ids: Sequence[uuid.UUID]) -> list[SessionSeatsRow]:
    """Their seats and whether learners may register themselves (not the whole rules: a page
    asks for many sessions, and their questions may be long)."""
    query = select(
        sessions.c.id,
        sessions.c.max_users,
        sessions.c.taken,
        sessions.c.waitlisted,
        sessions.c.status,
        func.coalesce(sessions.c.rules["public_registration"].as_boolean(), False).label(
            "public_registration"
        ),
        sessions.c.registration_opens_at,
        sessions.c.registration_closes_at,
        sessions.c.unregistration_closes_at,
    ).where(sessions.c.id.in_(session_ids), sessions.c.status != "deleted")
    return await every(db, query, SessionSeatsRow)


async def lock_sessions_with_due_requests(
    db: AsyncSession, now: datetime, limit: int
) -> list[SessionRow]:
    """Sessions with an expired request or offer, locked; those another replica holds are
    skipped."""
    query = (
        select(sessions)
        .where(exists().where(registrations.c.session_id == sessions.c.id, due(now)))
        .order_by(sessions.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return await every(db, query, SessionRow)


async def sessions_of_trainings(
    db: AsyncSession, training_ids: Sequence[uuid.UUID]
) -> list[SessionRow]:
    """Every live session the replica knows of these trainings."""
    query = select(sessions).where(
        sessions.c.training_id.in_(training_ids), sessions.c.status != "deleted"
    )
    return await every(db, query, SessionRow)
