"""Registration tables and the queries on them: the only module that writes SQL.

`sessions` is this service's replica of the catalog's sessions (the rules it needs, ordered by
`version`) plus the seat counters it owns; the row is locked (`SELECT ... FOR UPDATE`) for every
decision about its registrations, so replicas take turns on one session and never oversell.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from registration.domain import ACTIVE, Seats
from shared.events import CloudEvent, SessionData, SessionRules
from shared.idempotency import idempotency_table
from shared.listing import Listing, page_of
from shared.messaging import (
    COMMANDS_EXCHANGE,
    EVENTS_EXCHANGE,
    OutboxEntry,
    add_all_to_outbox,
    add_to_outbox,
    inbox_table,
    outbox_table,
)

metadata = MetaData()
JSONList = JSON().with_variant(JSONB(), "postgresql")
ACTIVE_STATUSES = sorted(ACTIVE)

sessions = Table(
    "sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("training_id", UUID(as_uuid=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # scheduled, cancelled, deleted
    Column("organizations", JSONList, nullable=False),
    Column("tutors", JSONList, nullable=False),
    Column("rules", JSONList, nullable=False),
    Column("max_users", Integer, nullable=True),
    Column("taken", Integer, nullable=False, server_default="0"),
    Column("waitlisted", Integer, nullable=False, server_default="0"),
    Column("beyond_limit", Integer, nullable=False, server_default="0"),
    CheckConstraint("taken >= 0 AND waitlisted >= 0", name="seats_not_negative"),
    CheckConstraint(
        "beyond_limit >= 0 AND (max_users IS NULL OR taken - beyond_limit <= max_users)",
        name="seats_within_limit",
    ),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("training_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("user", JSONList, nullable=False),
    Column("status", String(16), nullable=False),
    Column("pending_validations", JSONList, nullable=False),
    Column("waitlist_position", Integer, nullable=True),
    Column("forced", Boolean, nullable=False, server_default="false"),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("requested_by", String(200), nullable=True),
    Column("validations_given", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("confirmation_hash", Text, nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(
        "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
        name="waitlisted_have_a_position",
    ),
    CheckConstraint(
        "waitlist_position IS NULL OR waitlist_position >= 1", name="waitlist_position_positive"
    ),
)
Index(
    "registrations_one_active_per_user",
    registrations.c.session_id,
    registrations.c.user_id,
    unique=True,
    postgresql_where=text("status IN ('pending', 'confirmed', 'waitlisted')"),
)
Index("registrations_user", registrations.c.user_id)
Index("registrations_session_status", registrations.c.session_id, registrations.c.status)
Index(
    "registrations_due",
    registrations.c.expires_at,
    postgresql_where=text(
        "expires_at IS NOT NULL AND status IN ('pending', 'confirmed', 'waitlisted')"
    ),
)

outbox = outbox_table(metadata)
idempotency_keys = idempotency_table(metadata)
inbox = inbox_table(metadata)

RULE_NAMES = set(SessionRules.model_fields)
_active = registrations.c.status.in_(ACTIVE_STATUSES)


# --- sessions (the replica and its seats) ------------------------------------------------------


def session_values(session: SessionData, status: str) -> dict[str, Any]:
    return {
        "id": session.id,
        "training_id": session.training_id,
        "version": session.version,
        "status": status,
        "organizations": session.organizations,
        "tutors": session.tutors,
        "max_users": session.max_users,
        "rules": session.model_dump(mode="json", include=RULE_NAMES),
    }


async def insert_session_if_new(db: AsyncSession, values: dict[str, Any]) -> bool:
    """True when this is the first the replica hears of the session."""
    stmt = pg_insert(sessions).values(values).on_conflict_do_nothing().returning(sessions.c.id)
    return (await db.execute(stmt)).first() is not None


async def update_session(db: AsyncSession, session_id: uuid.UUID, values: dict[str, Any]) -> None:
    await db.execute(update(sessions).where(sessions.c.id == session_id).values(values))


async def lock_session(db: AsyncSession, session_id: uuid.UUID) -> dict[str, Any] | None:
    query = select(sessions).where(sessions.c.id == session_id).with_for_update()
    row = (await db.execute(query)).mappings().first()
    return dict(row) if row else None


async def lock_sessions(db: AsyncSession, session_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """Several session rows, locked in id order (every caller does so: no deadlock)."""
    query = (
        select(sessions)
        .where(sessions.c.id.in_(session_ids))
        .order_by(sessions.c.id)
        .with_for_update()
    )
    return [dict(row) for row in (await db.execute(query)).mappings()]


async def session_by_id(db: AsyncSession, session_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await db.execute(select(sessions).where(sessions.c.id == session_id))).mappings().first()
    return dict(row) if row else None


def seats_of(session: dict[str, Any]) -> Seats:
    return Seats(
        session["max_users"], session["taken"], session["waitlisted"], session["beyond_limit"]
    )


async def set_seats(db: AsyncSession, session_id: uuid.UUID, seats: Seats) -> None:
    await db.execute(
        update(sessions)
        .where(sessions.c.id == session_id)
        .values(
            max_users=seats.max_users,
            taken=seats.taken,
            waitlisted=seats.waitlisted,
            beyond_limit=seats.beyond_limit,
        )
    )


async def seats_for(db: AsyncSession, session_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    query = select(
        sessions.c.id, sessions.c.max_users, sessions.c.taken, sessions.c.waitlisted
    ).where(sessions.c.id.in_(session_ids), sessions.c.status != "deleted")
    return [dict(row) for row in (await db.execute(query)).mappings()]


async def lock_sessions_with_due_requests(
    db: AsyncSession, now: datetime, limit: int
) -> list[dict[str, Any]]:
    """Sessions with an expired request, locked; those another replica holds are skipped."""
    due = exists().where(
        registrations.c.session_id == sessions.c.id,
        registrations.c.expires_at <= now,
        _active,
    )
    query = (
        select(sessions)
        .where(due)
        .order_by(sessions.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [dict(row) for row in (await db.execute(query)).mappings()]


# --- registrations -----------------------------------------------------------------------------


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
    """user id → their active registration in the session, for those who have one."""
    query = select(registrations.c.user_id, registrations.c.id).where(
        registrations.c.session_id == session_id,
        registrations.c.user_id.in_(list(user_ids)),
        _active,
    )
    return {row.user_id: row.id for row in await db.execute(query)}


async def insert_registrations(db: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Many new registrations in one statement (a batch's admissions)."""
    if rows:
        await db.execute(insert(registrations).values(list(rows)))


async def latest_registration(
    db: AsyncSession, session_id: uuid.UUID, user_id: str
) -> dict[str, Any] | None:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, registrations.c.user_id == user_id)
        .order_by(registrations.c.created_at.desc())
        .limit(1)
    )
    row = (await db.execute(query)).mappings().first()
    return dict(row) if row else None


async def insert_registration(db: AsyncSession, values: dict[str, Any]) -> dict[str, Any]:
    query = insert(registrations).values(values).returning(registrations)
    return dict((await db.execute(query)).mappings().one())


async def registration_by_id(db: AsyncSession, reg_id: uuid.UUID) -> dict[str, Any] | None:
    query = select(registrations).where(registrations.c.id == reg_id)
    row = (await db.execute(query)).mappings().first()
    return dict(row) if row else None


async def update_registration(
    db: AsyncSession, reg_id: uuid.UUID, values: dict[str, Any]
) -> dict[str, Any]:
    query = (
        update(registrations)
        .where(registrations.c.id == reg_id)
        .values(values)
        .returning(registrations)
    )
    return dict((await db.execute(query)).mappings().one())


async def head_of_line(db: AsyncSession, session_id: uuid.UUID, count: int) -> list[dict[str, Any]]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, registrations.c.status == "waitlisted")
        .order_by(registrations.c.waitlist_position)
        .limit(count)
    )
    return [dict(row) for row in (await db.execute(query)).mappings()]


async def move_line_up(
    db: AsyncSession, session_id: uuid.UUID, behind: int, by: int, now: datetime
) -> None:
    """Everyone waiting behind position `behind` moves up `by` places (a new version each)."""
    await db.execute(
        update(registrations)
        .where(
            registrations.c.session_id == session_id,
            registrations.c.status == "waitlisted",
            registrations.c.waitlist_position > behind,
        )
        .values(
            waitlist_position=registrations.c.waitlist_position - by,
            version=registrations.c.version + 1,
            updated_at=now,
        )
    )


async def active_registrations(db: AsyncSession, session_id: uuid.UUID) -> list[dict[str, Any]]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, _active)
        .order_by(registrations.c.created_at, registrations.c.id)
    )
    return [dict(row) for row in (await db.execute(query)).mappings()]


async def due_registrations(
    db: AsyncSession, session_id: uuid.UUID, now: datetime
) -> list[dict[str, Any]]:
    query = (
        select(registrations)
        .where(
            registrations.c.session_id == session_id,
            registrations.c.expires_at <= now,
            _active,
        )
        .order_by(registrations.c.expires_at, registrations.c.id)
    )
    return [dict(row) for row in (await db.execute(query)).mappings()]


async def session_registrations(db: AsyncSession, session_id: uuid.UUID) -> list[dict[str, Any]]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id)
        .order_by(registrations.c.created_at, registrations.c.id)
    )
    return [dict(row) for row in (await db.execute(query)).mappings()]


def _texts(values: Sequence[str]) -> Any:
    return cast(pg_array(list(values)), ARRAY(Text))


async def list_registrations(
    db: AsyncSession,
    listing: Listing,
    *,
    filters: dict[str, Any],
    visible_to: dict[str, Any] | None,
) -> tuple[list[dict[str, Any]], int]:
    """`visible_to` None: every registration (platform_admin); otherwise the caller's `sub`,
    `organizations` when a training_manager, and `managed_organizations` say what they see."""
    query = select(registrations).select_from(
        registrations.join(sessions, sessions.c.id == registrations.c.session_id)
    )
    for name in ("session_id", "user_id", "status"):
        if filters.get(name) is not None:
            query = query.where(registrations.c[name] == filters[name])
    if visible_to is not None:
        sub = visible_to["sub"]
        may: list[Any] = [
            registrations.c.user_id == sub,
            func.jsonb_exists(cast(sessions.c.tutors, JSONB), sub),
            func.jsonb_exists(cast(sessions.c.rules, JSONB)["validators"], sub),
        ]
        if visible_to["organizations"]:
            may.append(
                func.jsonb_exists_any(
                    cast(sessions.c.organizations, JSONB), _texts(visible_to["organizations"])
                )
            )
        if visible_to["managed_organizations"]:
            may.append(
                func.jsonb_exists_any(
                    cast(registrations.c.user, JSONB)["organizations"],
                    _texts(visible_to["managed_organizations"]),
                )
            )
        query = query.where(or_(*may))
    return await page_of(db, query, registrations, listing)


# --- what leaves through the outbox ------------------------------------------------------------


async def record_event(db: AsyncSession, event: CloudEvent) -> None:
    """The event leaves on `training.events` once this transaction commits."""
    await add_to_outbox(
        db, outbox, event.to_message(), exchange=EVENTS_EXCHANGE, routing_key=event.type
    )


async def record_all(
    db: AsyncSession, events: Sequence[CloudEvent], commands: Sequence[CloudEvent] = ()
) -> None:
    """`record_event` and `record_command` for a whole batch, in two statements."""
    entries: list[OutboxEntry] = [
        (event.to_message(), EVENTS_EXCHANGE.name, event.type) for event in events
    ]
    entries += [(c.to_message(), COMMANDS_EXCHANGE.name, c.type) for c in commands]
    await add_all_to_outbox(db, outbox, entries)


async def forget_commands(db: AsyncSession, consumer: str, event_ids: Sequence[str]) -> None:
    """Undo `first_deliveries` for commands that were refused after all."""
    await db.execute(
        delete(inbox).where(inbox.c.consumer == consumer, inbox.c.event_id.in_(list(event_ids)))
    )


async def record_command(db: AsyncSession, command: CloudEvent) -> None:
    """The command leaves on `training.commands` once this transaction commits."""
    await add_to_outbox(
        db, outbox, command.to_message(), exchange=COMMANDS_EXCHANGE, routing_key=command.type
    )
