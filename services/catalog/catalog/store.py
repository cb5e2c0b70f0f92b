"""Catalog tables and the queries on them: the only module that writes SQL."""

import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import CloudEvent
from shared.idempotency import idempotency_table
from shared.messaging import EVENTS_EXCHANGE, add_to_outbox, outbox_table

metadata = MetaData()

JSONList = JSON().with_variant(JSONB(), "postgresql")


def _rule_columns() -> list[Column[Any]]:
    return [
        Column("public_registration", Boolean, nullable=False),
        Column("public_unregistration", Boolean, nullable=False),
        Column("event_registration_mode", String(16), nullable=False),
        Column("max_users", Integer, nullable=True),
        Column("user_validation", Boolean, nullable=False),
        Column("organization_validation", Boolean, nullable=False),
        Column("registration_validation", Boolean, nullable=False),
        Column("validators", JSONList, nullable=False),
        Column("confirmation_hours", Float, nullable=False),
    ]


def _versioned_columns() -> list[Column[Any]]:
    return [
        Column("version", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


trainings = Table(
    "trainings",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=True),
    Column("organizations", JSONList, nullable=False),
    *_rule_columns(),
    *_versioned_columns(),
)
Index("trainings_code_ci", func.lower(trainings.c.code), unique=True)

sessions = Table(
    "sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("training_id", UUID(as_uuid=True), ForeignKey("trainings.id"), nullable=False),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("location", String(300), nullable=True),
    Column("workspace_url", String(2000), nullable=True),
    Column("default_session", Boolean, nullable=False),
    Column("curriculum_id", UUID(as_uuid=True), nullable=True),
    Column("organizations", JSONList, nullable=False),
    Column("tutors", JSONList, nullable=False),
    Column("status", String(16), nullable=False),
    Column("cancel_reason", Text, nullable=True),
    *_rule_columns(),
    *_versioned_columns(),
)
Index("sessions_training", sessions.c.training_id)

outbox = outbox_table(metadata)
idempotency_keys = idempotency_table(metadata)


async def insert_training(db: AsyncSession, values: dict[str, Any]) -> dict[str, Any]:
    row = (await db.execute(insert(trainings).values(values).returning(trainings))).mappings().one()
    return dict(row)


async def training_by_id(db: AsyncSession, training_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        (await db.execute(select(trainings).where(trainings.c.id == training_id)))
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def training_id_by_code(db: AsyncSession, code: str) -> uuid.UUID | None:
    query = select(trainings.c.id).where(func.lower(trainings.c.code) == code.lower())
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def insert_session(db: AsyncSession, values: dict[str, Any]) -> dict[str, Any]:
    row = (await db.execute(insert(sessions).values(values).returning(sessions))).mappings().one()
    return dict(row)


async def session_by_id(db: AsyncSession, session_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await db.execute(select(sessions).where(sessions.c.id == session_id))).mappings().first()
    return dict(row) if row else None


async def record_event(db: AsyncSession, event: CloudEvent) -> None:
    """The event leaves through the outbox once this transaction commits."""
    await add_to_outbox(
        db, outbox, event.to_message(), exchange=EVENTS_EXCHANGE, routing_key=event.type
    )
