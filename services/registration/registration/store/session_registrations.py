"""Session registrations: one row per registration, a new `version` per change; at most one
active (pending, confirmed, waitlisted, offered) per learner and session (a unique partial
index)."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic_core import to_json
from sqlalchemy import (
    ColumnElement,
    and_,
    cast,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from registration.domain import ACTIVE
from registration.records import RegistrationRow, RegistrationUpdate
from registration.store import lines
from registration.store.rows import every, first, one, typed
from registration.store.visibility import Visibility, texts
from registration.tables import registrations, sessions
from shared.db import driver_connection
from shared.listing import Listing, page_of

# Statuses are written into the SQL as constants, not parameters: the planner matches a partial
# index's predicate (tables.py) only against constants, and a prepared statement's generic plan
# would see parameters.
_active = registrations.c.status.in_([literal_column(f"'{status}'") for status in sorted(ACTIVE)])
_offered = registrations.c.status == literal_column("'offered'")


def due(now: datetime) -> ColumnElement[bool]:
    """A registration past a deadline: its confirmation's (`registrations_due`) or its
    offer's (`registrations_offer_due`)."""
    return or_(
        and_(registrations.c.expires_at <= now, _active),
        and_(registrations.c.offer_expires_at <= now, _offered),
    )


async def active_registration_id(
    db: AsyncSession, session_id: uuid.UUID, user_id: str
) -> uuid.UUID | None:
    query = select(registrations.c.id).where(
        registrations.c.session_id == session_id, registrations.c.user_id == user_id, _active
    )
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def active_registration_ids(
    db: AsyncSession, session_id: uuid.UUID, user_ids: Sequence[str]
) -> dict[str, uuid.UUID]:
    """user id → their active registration in the session, for those who have one: executed
    by the driver, as `insert_registrations` (once per batch decision), in a transaction a
    statement of SQLAlchemy's began (the session's lock)."""
    driver = await driver_connection(db)
    rows = await driver.fetch(_ACTIVE_REGISTRATION_IDS, session_id, list(user_ids))
    return {row["user_id"]: row["id"] for row in rows}


# one array parameter: one statement for every batch size (an IN list of n parameters is another
# statement, prepared again, for each n); the statuses as constants, as in `_active`
_ACTIVE_STATUSES = ", ".join(f"'{status}'" for status in sorted(ACTIVE))
_ACTIVE_REGISTRATION_IDS = (
    "SELECT user_id, id FROM registrations WHERE session_id = $1 AND user_id = ANY($2::text[]) "  # noqa: S608
    f"AND status IN ({_ACTIVE_STATUSES})"
)


COLUMNS = (
    "id",
    "session_id",
    "training_id",
    "user_id",
    "user",
    "status",
    "pending_validations",
    "waitlist_position",
    "forced",
    "version",
    "created_at",
    "updated_at",
    "requested_by",
    "validations_given",
    "confirmation_hash",
    "expires_at",
    "offer_expires_at",
    "answers",
    "completion",
)
"""Every column of `registrations`, in its order (a test holds them and `_values` to the
table)."""
JSON_COLUMNS = frozenset(
    {"user", "pending_validations", "validations_given", "answers", "completion"}
)
_INSERT_ALL = (
    'INSERT INTO registrations (id, session_id, training_id, user_id, "user", status, '
    "pending_validations, waitlist_position, forced, version, created_at, updated_at, "
    "requested_by, validations_given, confirmation_hash, expires_at, offer_expires_at, answers, "
    "completion) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, "
    "$14::jsonb, $15, $16, $17, $18::jsonb, $19::jsonb)"
)


async def insert_registrations(db: AsyncSession, rows: Sequence[RegistrationRow]) -> None:
    """Many new registrations at once (a batch's admissions), executed by the driver on the
    transaction's own connection: SQLAlchemy's processing of 19 parameters a row cost more than
    the statement (16 µs of CPU a row instead of 32: docs/performance.md, issue 18). The JSON
    columns go as JSON text (None is JSON null), read into JSONB by PostgreSQL."""
    if not rows:
        return
    driver = await driver_connection(db)
    await driver.executemany(_INSERT_ALL, [_values(row) for row in rows])


def _values(row: RegistrationRow) -> tuple[object, ...]:
    """The row's values in `COLUMNS` order, its JSON columns as JSON text."""
    return (
        row["id"],
        row["session_id"],
        row["training_id"],
        row["user_id"],
        _json(row["user"]),
        row["status"],
        _json(row["pending_validations"]),
        row["waitlist_position"],
        row["forced"],
        row["version"],
        row["created_at"],
        row["updated_at"],
        row["requested_by"],
        _json(row["validations_given"]),
        row["confirmation_hash"],
        row["expires_at"],
        row["offer_expires_at"],
        _json(row["answers"]),
        _json(row["completion"]),
    )


def _json(value: object) -> str:
    # pydantic's core writes JSON values several times faster than `json.dumps`; the column
    # is JSONB, which keeps the value, not the text's spacing or escapes
    return to_json(value).decode()


async def insert_registration(db: AsyncSession, values: RegistrationRow) -> RegistrationRow:
    query = insert(registrations).values(values).returning(registrations)
    return await one(db, query, RegistrationRow)


async def registration_by_id(db: AsyncSession, reg_id: uuid.UUID) -> RegistrationRow | None:
    query = select(registrations).where(registrations.c.id == reg_id)
    return await first(db, query, RegistrationRow)


async def latest_registration(
    db: AsyncSession, session_id: uuid.UUID, user_id: str
) -> RegistrationRow | None:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, registrations.c.user_id == user_id)
        .order_by(registrations.c.created_at.desc())
        .limit(1)
    )
    return await first(db, query, RegistrationRow)


async def update_registration(
    db: AsyncSession, reg_id: uuid.UUID, values: RegistrationUpdate
) -> RegistrationRow:
    query = (
        update(registrations)
        .where(registrations.c.id == reg_id)
        .values(values)
        .returning(registrations)
    )
    return await one(db, query, RegistrationRow)


async def set_completion(
    db: AsyncSession, row: RegistrationRow, completion: dict[str, Any], now: datetime
) -> RegistrationRow:
    """The registration's completion decided (again): a new version."""
    query = (
        update(registrations)
        .where(registrations.c.id == row["id"])
        .values(completion=completion, version=row["version"] + 1, updated_at=now)
        .returning(registrations)
    )
    return await one(db, query, RegistrationRow)


async def head_of_line(
    db: AsyncSession, session_id: uuid.UUID, count: int
) -> list[RegistrationRow]:
    query = lines.head_of_line(registrations.c.session_id, session_id, count)
    return await every(db, query, RegistrationRow)


async def move_line_up(
    db: AsyncSession, session_id: uuid.UUID, behind: int, by: int, now: datetime
) -> None:
    """Everyone waiting behind position `behind` moves up `by` places (a new version each)."""
    await lines.move_line_up(db, registrations.c.session_id, session_id, behind, by, now)


async def active_registrations(db: AsyncSession, session_id: uuid.UUID) -> list[RegistrationRow]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, _active)
        .order_by(registrations.c.created_at, registrations.c.id)
    )
    return await every(db, query, RegistrationRow)


async def due_registrations(
    db: AsyncSession, session_id: uuid.UUID, now: datetime
) -> list[RegistrationRow]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, due(now))
        .order_by(
            func.least(registrations.c.expires_at, registrations.c.offer_expires_at),
            registrations.c.id,
        )
    )
    return await every(db, query, RegistrationRow)


async def session_registrations(db: AsyncSession, session_id: uuid.UUID) -> list[RegistrationRow]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id)
        .order_by(registrations.c.created_at, registrations.c.id)
    )
    return await every(db, query, RegistrationRow)


async def confirmed_registrations(db: AsyncSession, session_id: uuid.UUID) -> list[RegistrationRow]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, registrations.c.status == "confirmed")
        .order_by(registrations.c.created_at, registrations.c.id)
    )
    return await every(db, query, RegistrationRow)


async def confirmed_registration(
    db: AsyncSession, session_id: uuid.UUID, user_id: str
) -> RegistrationRow | None:
    """The learner's confirmed registration in the session (read under the session's lock)."""
    query = select(registrations).where(
        registrations.c.session_id == session_id,
        registrations.c.user_id == user_id,
        registrations.c.status == "confirmed",
    )
    return await first(db, query, RegistrationRow)


async def list_registrations(
    db: AsyncSession,
    listing: Listing,
    *,
    filters: Mapping[str, object],
    visible_to: Visibility | None,
) -> tuple[list[RegistrationRow], int]:
    """`visible_to` None: every registration (platform_admin); otherwise the caller's own, those
    of sessions they tutor or validate, of trainings they manage, and of learners of the
    organizations they manage."""
    query = select(registrations).select_from(
        registrations.join(sessions, sessions.c.id == registrations.c.session_id)
    )
    for name in ("session_id", "user_id", "status"):
        if filters.get(name) is not None:
            query = query.where(registrations.c[name] == filters[name])
    if visible_to is not None:
        sub = visible_to.sub
        may: list[Any] = [
            registrations.c.user_id == sub,
            func.jsonb_exists(cast(sessions.c.tutors, JSONB), sub),
            func.jsonb_exists(cast(sessions.c.rules, JSONB)["validators"], sub),
        ]
        if visible_to.organizations:
            may.append(
                func.jsonb_exists_any(
                    cast(sessions.c.organizations, JSONB), texts(visible_to.organizations)
                )
            )
        if visible_to.managed_organizations:
            may.append(
                func.jsonb_exists_any(
                    cast(registrations.c.user, JSONB)["organizations"],
                    texts(visible_to.managed_organizations),
                )
            )
        query = query.where(or_(*may))
    rows, total = await page_of(db, query, registrations, listing)
    return typed(rows, RegistrationRow), total
