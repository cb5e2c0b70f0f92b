"""Registration tables and the queries on them: the only module that writes SQL.

`sessions` is this service's replica of the catalog's sessions (the rules it needs, ordered by
`version`) plus the seat counters it owns; the row is locked for every seat decision.
"""

import uuid
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
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import CloudEvent, SessionData, SessionRules
from shared.idempotency import idempotency_table
from shared.messaging import EVENTS_EXCHANGE, add_to_outbox, inbox_table, outbox_table

metadata = MetaData()
JSONList = JSON().with_variant(JSONB(), "postgresql")

sessions = Table(
    "sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("training_id", UUID(as_uuid=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("organizations", JSONList, nullable=False),
    Column("tutors", JSONList, nullable=False),
    Column("rules", JSONList, nullable=False),
    Column("max_users", Integer, nullable=True),
    Column("taken", Integer, nullable=False, server_default="0"),
    Column("waitlisted", Integer, nullable=False, server_default="0"),
    CheckConstraint("taken >= 0 AND waitlisted >= 0", name="seats_not_negative"),
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
)
Index(
    "registrations_one_active_per_user",
    registrations.c.session_id,
    registrations.c.user_id,
    unique=True,
    postgresql_where=text("status IN ('pending', 'confirmed', 'waitlisted')"),
)
Index("registrations_user", registrations.c.user_id)

outbox = outbox_table(metadata)
idempotency_keys = idempotency_table(metadata)
inbox = inbox_table(metadata)

RULE_NAMES = set(SessionRules.model_fields)


async def upsert_session(db: AsyncSession, session: SessionData) -> bool:
    """Apply a catalog session if it is newer than the replica's; True when it changed anything."""
    values: dict[str, Any] = {
        "id": session.id,
        "training_id": session.training_id,
        "version": session.version,
        "status": session.status,
        "organizations": session.organizations,
        "tutors": session.tutors,
        "max_users": session.max_users,
        "rules": session.model_dump(mode="json", include=RULE_NAMES),
    }
    stmt = pg_insert(sessions).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[sessions.c.id],
        set_={k: stmt.excluded[k] for k in values if k != "id"},
        where=sessions.c.version < stmt.excluded.version,
    ).returning(sessions.c.id)
    return (await db.execute(stmt)).first() is not None


async def lock_session(db: AsyncSession, session_id: uuid.UUID) -> dict[str, Any] | None:
    query = select(sessions).where(sessions.c.id == session_id).with_for_update()
    row = (await db.execute(query)).mappings().first()
    return dict(row) if row else None


async def set_seats(db: AsyncSession, session_id: uuid.UUID, taken: int, waitlisted: int) -> None:
    await db.execute(
        update(sessions)
        .where(sessions.c.id == session_id)
        .values(taken=taken, waitlisted=waitlisted)
    )


async def active_registration_id(
    db: AsyncSession, session_id: uuid.UUID, user_id: str
) -> uuid.UUID | None:
    query = select(registrations.c.id).where(
        registrations.c.session_id == session_id,
        registrations.c.user_id == user_id,
        registrations.c.status.in_(["pending", "confirmed", "waitlisted"]),
    )
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def insert_registration(db: AsyncSession, values: dict[str, Any]) -> dict[str, Any]:
    query = insert(registrations).values(values).returning(registrations)
    return dict((await db.execute(query)).mappings().one())


async def registration_by_id(db: AsyncSession, reg_id: uuid.UUID) -> dict[str, Any] | None:
    query = select(registrations).where(registrations.c.id == reg_id)
    row = (await db.execute(query)).mappings().first()
    return dict(row) if row else None


async def record_event(db: AsyncSession, event: CloudEvent) -> None:
    """The event leaves through the outbox once this transaction commits."""
    await add_to_outbox(
        db, outbox, event.to_message(), exchange=EVENTS_EXCHANGE, routing_key=event.type
    )
