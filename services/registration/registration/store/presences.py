"""Presences: one row per learner `registered` to an event, written with the event registration
that makes them registered and deleted when it ends (so every row is a registered learner's);
the event replica's attendance state (its check-in code, when it was validated); and the wrong
check-in tries, kept for the 10-minute count."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from registration.records import PresenceRow
from registration.store.rows import every, first, one
from registration.tables import check_in_wrong_tries, events, presences


async def add_presence(
    db: AsyncSession, event_id: uuid.UUID, session_id: uuid.UUID, user_id: str, now: datetime
) -> None:
    """An `unknown` presence for a learner who became registered (kept if they have one)."""
    await db.execute(
        pg_insert(presences)
        .values(
            event_id=event_id,
            session_id=session_id,
            user_id=user_id,
            status="unknown",
            version=1,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )


async def remove_presence(db: AsyncSession, event_id: uuid.UUID, user_id: str) -> None:
    await db.execute(
        delete(presences).where(presences.c.event_id == event_id, presences.c.user_id == user_id)
    )


async def lock_presences(db: AsyncSession, event_id: uuid.UUID) -> list[PresenceRow]:
    """The event's presences, by learner, locked (a check-in of one of them waits)."""
    query = (
        select(presences)
        .where(presences.c.event_id == event_id)
        .order_by(presences.c.user_id)
        .with_for_update()
    )
    return await every(db, query, PresenceRow)


async def event_presences(db: AsyncSession, event_id: uuid.UUID) -> list[PresenceRow]:
    query = select(presences).where(presences.c.event_id == event_id).order_by(presences.c.user_id)
    return await every(db, query, PresenceRow)


async def lock_presence(db: AsyncSession, event_id: uuid.UUID, user_id: str) -> PresenceRow | None:
    query = (
        select(presences)
        .where(presences.c.event_id == event_id, presences.c.user_id == user_id)
        .with_for_update()
    )
    return await first(db, query, PresenceRow)


async def session_presences(db: AsyncSession, session_id: uuid.UUID) -> list[PresenceRow]:
    """Every presence at the session's events (what completion is decided from)."""
    query = select(presences).where(presences.c.session_id == session_id)
    return await every(db, query, PresenceRow)


async def update_presence(
    db: AsyncSession,
    row: PresenceRow,
    *,
    status: str,
    note: str | None,
    signed_at: datetime | None,
    marked_by: str | None,
    now: datetime,
) -> PresenceRow:
    """A new version of the presence."""
    query = (
        update(presences)
        .where(presences.c.event_id == row["event_id"], presences.c.user_id == row["user_id"])
        .values(
            status=status,
            note=note,
            signed_at=signed_at,
            marked_by=marked_by,
            version=row["version"] + 1,
            updated_at=now,
        )
        .returning(presences)
    )
    return await one(db, query, PresenceRow)


async def set_attendance_validated(db: AsyncSession, event_id: uuid.UUID, now: datetime) -> None:
    await db.execute(
        update(events).where(events.c.id == event_id).values(attendance_validated_at=now)
    )


async def set_check_in_code(
    db: AsyncSession, event_id: uuid.UUID, code: str, now: datetime
) -> None:
    """The event's new code; the old one stops working."""
    await db.execute(
        update(events)
        .where(events.c.id == event_id)
        .values(check_in_code=code, check_in_code_issued_at=now)
    )


async def give_check_in_code_if_none(
    db: AsyncSession, event_id: uuid.UUID, code: str, now: datetime
) -> str:
    """The event's code: `code` if it had none yet, else the one it has (first caller wins)."""
    await db.execute(
        update(events)
        .where(events.c.id == event_id, events.c.check_in_code.is_(None))
        .values(check_in_code=code, check_in_code_issued_at=now)
    )
    found = (
        await db.execute(select(events.c.check_in_code).where(events.c.id == event_id))
    ).scalar()
    assert isinstance(found, str)
    return found


async def record_wrong_try(
    db: AsyncSession, event_id: uuid.UUID, user_id: str, now: datetime
) -> None:
    await db.execute(
        check_in_wrong_tries.insert().values(event_id=event_id, user_id=user_id, tried_at=now)
    )


async def recent_wrong_tries(
    db: AsyncSession, event_id: uuid.UUID, user_id: str, since: datetime
) -> Sequence[datetime]:
    """When the learner tried a wrong code at the event, since `since`."""
    query = select(check_in_wrong_tries.c.tried_at).where(
        check_in_wrong_tries.c.event_id == event_id,
        check_in_wrong_tries.c.user_id == user_id,
        check_in_wrong_tries.c.tried_at > since,
    )
    return list((await db.execute(query)).scalars())


async def forget_wrong_tries(
    db: AsyncSession, event_id: uuid.UUID, user_id: str, before: datetime
) -> None:
    """The learner's tries at the event made before `before`: no window counts them any more."""
    await db.execute(
        delete(check_in_wrong_tries).where(
            check_in_wrong_tries.c.event_id == event_id,
            check_in_wrong_tries.c.user_id == user_id,
            check_in_wrong_tries.c.tried_at <= before,
        )
    )
