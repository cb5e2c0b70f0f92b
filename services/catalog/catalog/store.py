"""Catalog tables and the queries on them: the only module that writes SQL."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.domain import Comment
from shared.db import JSON_DOCUMENT
from shared.events import CloudEvent, CurriculumData, EventData, SessionData, TrainingData
from shared.idempotency import idempotency_table
from shared.listing import Listing, Page, page_of
from shared.messaging import EVENTS_EXCHANGE, add_to_outbox, outbox_table

metadata = MetaData()


# Serialises changes to the curriculum tree, so two moves cannot make a cycle together.
_CURRICULUM_TREE_LOCK = 0x63757272


def _rule_columns() -> list[Column[Any]]:
    return [
        Column("public_registration", Boolean, nullable=False),
        Column("public_unregistration", Boolean, nullable=False),
        Column("event_registration_mode", String(16), nullable=False),
        Column("max_users", Integer, nullable=True),
        Column("user_validation", Boolean, nullable=False),
        Column("organization_validation", Boolean, nullable=False),
        Column("registration_validation", Boolean, nullable=False),
        Column("validators", JSON_DOCUMENT, nullable=False),
        Column("confirmation_hours", Float, nullable=False),
        Column("waitlist_offer_hours", Float, nullable=True),
        Column("completion_rate", Integer, nullable=True),
        Column("reminder_hours", JSON_DOCUMENT, nullable=False, server_default=text("'[24]'")),
        Column("questions", JSON_DOCUMENT, nullable=False, server_default=text("'[]'")),
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
    Column("organizations", JSON_DOCUMENT, nullable=False),
    *_rule_columns(),
    *_versioned_columns(),
)
Index("trainings_code_ci", func.lower(trainings.c.code), unique=True)

curricula = Table(
    "curricula",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("parent_id", UUID(as_uuid=True), ForeignKey("curricula.id"), nullable=True),
    Column("training_ids", JSON_DOCUMENT, nullable=False),
    Column("blocking", Boolean, nullable=False),
    Column("organizations", JSON_DOCUMENT, nullable=False),
    *_versioned_columns(),
)
Index("curricula_code_ci", func.lower(curricula.c.code), unique=True)
Index("curricula_parent", curricula.c.parent_id)

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
    Column(
        "curriculum_id",
        UUID(as_uuid=True),
        ForeignKey("curricula.id", name="sessions_curriculum_id_fkey"),
        nullable=True,
    ),
    Column("organizations", JSON_DOCUMENT, nullable=False),
    Column("tutors", JSON_DOCUMENT, nullable=False),
    Column("status", String(16), nullable=False),
    Column("cancel_reason", Text, nullable=True),
    Column("registration_opens_at", DateTime(timezone=True), nullable=True),
    Column("registration_closes_at", DateTime(timezone=True), nullable=True),
    Column("unregistration_closes_at", DateTime(timezone=True), nullable=True),
    *_rule_columns(),
    *_versioned_columns(),
)
Index("sessions_training", sessions.c.training_id)
Index(
    "sessions_one_default_per_training",
    sessions.c.training_id,
    unique=True,
    postgresql_where=sessions.c.default_session,
)

events = Table(
    "events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), ForeignKey("sessions.id"), nullable=False),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=True),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    Column("location", String(300), nullable=True),
    Column("max_users", Integer, nullable=True),
    Column("registration_mode", String(16), nullable=False),
    *_versioned_columns(),
)
Index("events_session", events.c.session_id)

comments = Table(
    "comments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), ForeignKey("events.id"), nullable=False),
    Column("author_id", String(200), nullable=False),
    Column("author_name", String(300), nullable=False),
    Column("body", Text, nullable=False),
    *_versioned_columns(),
)
Index("comments_event", comments.c.event_id)

outbox = outbox_table(metadata)
idempotency_keys = idempotency_table(metadata)


# Any table but events (whose rows carry their session's fields, see below); each table's rows
# are read as its model: trainings TrainingData, sessions SessionData, curricula CurriculumData,
# comments Comment.

Row = TypeVar("Row", bound=BaseModel)


async def insert_row(
    db: AsyncSession, table: Table, model: type[Row], values: Mapping[str, object]
) -> Row:
    row = (await db.execute(insert(table).values(values).returning(table))).mappings().one()
    return model.model_validate(dict(row))


async def row_by_id(
    db: AsyncSession, table: Table, model: type[Row], ident: uuid.UUID, *, lock: bool = False
) -> Row | None:
    query = select(table).where(table.c.id == ident)
    if lock:
        query = query.with_for_update()
    row = (await db.execute(query)).mappings().first()
    return model.model_validate(dict(row)) if row else None


async def update_row(
    db: AsyncSession, table: Table, model: type[Row], ident: uuid.UUID, values: Mapping[str, object]
) -> Row:
    query = update(table).where(table.c.id == ident).values(values).returning(table)
    return model.model_validate(dict((await db.execute(query)).mappings().one()))


async def delete_row(db: AsyncSession, table: Table, ident: uuid.UUID) -> None:
    await db.execute(delete(table).where(table.c.id == ident))


def _matches(text_: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of `columns`; `text_` is a LIKE pattern already
    escaped with backslashes (see domain.like_pattern)."""
    return or_(*(func.lower(column).like(text_, escape="\\") for column in columns))


def _contains(column: Any, value: Any) -> ColumnElement[bool]:
    return type_coerce(column, JSONB).contains([value])


async def _page(
    db: AsyncSession, query: Select[Any], table: Table, model: type[Row], listing: Listing
) -> Page[Row]:
    rows, total = await page_of(db, query, table, listing)
    return Page(items=[model.model_validate(row) for row in rows], total=total)


# Trainings


async def training_id_by_code(db: AsyncSession, code: str) -> uuid.UUID | None:
    query = select(trainings.c.id).where(func.lower(trainings.c.code) == code.lower())
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def list_trainings(
    db: AsyncSession, listing: Listing, *, pattern: str | None, organization: str | None
) -> Page[TrainingData]:
    query = select(trainings)
    if pattern is not None:
        query = query.where(_matches(pattern, trainings.c.title, trainings.c.code))
    if organization is not None:
        query = query.where(_contains(trainings.c.organizations, organization))
    return await _page(db, query, trainings, TrainingData, listing)


async def trainings_by_ids(
    db: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, TrainingData]:
    if not ids:
        return {}
    rows = await db.execute(select(trainings).where(trainings.c.id.in_(ids)))
    return {row["id"]: TrainingData.model_validate(dict(row)) for row in rows.mappings()}


# Sessions


async def list_sessions(
    db: AsyncSession,
    listing: Listing,
    *,
    training_id: uuid.UUID | None,
    pattern: str | None,
    status: str | None,
    starts_after: date | None,
    starts_before: date | None,
) -> Page[SessionData]:
    query = select(sessions)
    if training_id is not None:
        query = query.where(sessions.c.training_id == training_id)
    if pattern is not None:
        query = query.where(_matches(pattern, sessions.c.title))
    if status is not None:
        query = query.where(sessions.c.status == status)
    if starts_after is not None:
        query = query.where(sessions.c.start_date >= starts_after)
    if starts_before is not None:
        query = query.where(sessions.c.start_date <= starts_before)
    return await _page(db, query, sessions, SessionData, listing)


async def sessions_of_training(
    db: AsyncSession, training_id: uuid.UUID, *, default_only: bool = False
) -> list[SessionData]:
    query = select(sessions).where(sessions.c.training_id == training_id)
    if default_only:
        query = query.where(sessions.c.default_session)
    rows = await db.execute(query.order_by(sessions.c.created_at, sessions.c.id).with_for_update())
    return [SessionData.model_validate(dict(row)) for row in rows.mappings()]


async def a_session_of_curriculum(db: AsyncSession, curriculum_id: uuid.UUID) -> uuid.UUID | None:
    query = select(sessions.c.id).where(sessions.c.curriculum_id == curriculum_id).limit(1)
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


# Events (séances): each row carries its session's training, organizations and tutors.

_event_with_session = select(
    events, sessions.c.training_id, sessions.c.organizations, sessions.c.tutors
).join(sessions, sessions.c.id == events.c.session_id)


async def event_by_id(
    db: AsyncSession, event_id: uuid.UUID, *, lock: bool = False
) -> EventData | None:
    query = _event_with_session.where(events.c.id == event_id)
    if lock:
        query = query.with_for_update(of=events)
    row = (await db.execute(query)).mappings().first()
    return EventData.model_validate(dict(row)) if row else None


async def insert_event(db: AsyncSession, values: Mapping[str, object]) -> EventData:
    query = insert(events).values(values).returning(events.c.id)
    event_id: uuid.UUID = (await db.execute(query)).scalar_one()
    return await _written_event(db, event_id)


async def update_event(
    db: AsyncSession, event_id: uuid.UUID, values: Mapping[str, object]
) -> EventData:
    await db.execute(update(events).where(events.c.id == event_id).values(values))
    return await _written_event(db, event_id)


async def _written_event(db: AsyncSession, event_id: uuid.UUID) -> EventData:
    event = await event_by_id(db, event_id)
    assert event is not None  # written in this transaction
    return event


async def events_of_session(db: AsyncSession, session_id: uuid.UUID) -> list[EventData]:
    query = (
        _event_with_session.where(events.c.session_id == session_id)
        .order_by(events.c.start, events.c.id)
        .with_for_update(of=events)
    )
    return [EventData.model_validate(dict(row)) for row in (await db.execute(query)).mappings()]


async def list_events(db: AsyncSession, session_id: uuid.UUID, listing: Listing) -> Page[EventData]:
    query: Select[Any] = _event_with_session.where(events.c.session_id == session_id)
    return await _page(db, query, events, EventData, listing)


async def delete_comments_of_event(db: AsyncSession, event_id: uuid.UUID) -> None:
    await db.execute(delete(comments).where(comments.c.event_id == event_id))


# Comments


async def list_comments(db: AsyncSession, event_id: uuid.UUID, listing: Listing) -> Page[Comment]:
    query = select(comments).where(comments.c.event_id == event_id)
    return await _page(db, query, comments, Comment, listing)


# Curricula


async def lock_curriculum_tree(db: AsyncSession) -> None:
    await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CURRICULUM_TREE_LOCK})


async def curriculum_id_by_code(db: AsyncSession, code: str) -> uuid.UUID | None:
    query = select(curricula.c.id).where(func.lower(curricula.c.code) == code.lower())
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def lineage(db: AsyncSession, curriculum_id: uuid.UUID) -> list[uuid.UUID]:
    """The node and all its ancestors, up to its root."""
    up = select(curricula.c.id, curricula.c.parent_id).where(curricula.c.id == curriculum_id)
    chain = up.cte("chain", recursive=True)
    chain = chain.union(
        select(curricula.c.id, curricula.c.parent_id).join(
            chain, curricula.c.id == chain.c.parent_id
        )
    )
    return list((await db.execute(select(chain.c.id))).scalars())


async def a_child_of(db: AsyncSession, curriculum_id: uuid.UUID) -> uuid.UUID | None:
    query = select(curricula.c.id).where(curricula.c.parent_id == curriculum_id).limit(1)
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def curricula_with_training(db: AsyncSession, training_id: uuid.UUID) -> list[CurriculumData]:
    query = (
        select(curricula)
        .where(_contains(curricula.c.training_ids, str(training_id)))
        .order_by(curricula.c.id)
        .with_for_update()
    )
    return [
        CurriculumData.model_validate(dict(row)) for row in (await db.execute(query)).mappings()
    ]


async def list_curricula(
    db: AsyncSession,
    listing: Listing,
    *,
    parent_id: uuid.UUID | None,
    roots_only: bool,
    training_id: uuid.UUID | None,
    pattern: str | None,
) -> Page[CurriculumData]:
    query = select(curricula)
    if parent_id is not None:
        query = query.where(curricula.c.parent_id == parent_id)
    if roots_only:
        query = query.where(curricula.c.parent_id.is_(None))
    if training_id is not None:
        query = query.where(_contains(curricula.c.training_ids, str(training_id)))
    if pattern is not None:
        query = query.where(_matches(pattern, curricula.c.title, curricula.c.code))
    return await _page(db, query, curricula, CurriculumData, listing)


async def record_event(db: AsyncSession, event: CloudEvent) -> None:
    """The event leaves through the outbox once this transaction commits."""
    await add_to_outbox(
        db, outbox, event.to_message(), exchange=EVENTS_EXCHANGE, routing_key=event.type
    )
