"""Notification tables and the queries on them: the only module that writes SQL."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.idempotency import idempotency_table
from shared.messaging import inbox_table

metadata = MetaData()
JSONDoc = JSON().with_variant(JSONB(), "postgresql")

messages = Table(
    "inbox_messages",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("kind", String(100), nullable=False),
    Column("ref", JSONDoc, nullable=True),
    Column("delivery_key", String(300), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("read_at", DateTime(timezone=True), nullable=True),
)
Index("inbox_messages_user_created", messages.c.user_id, messages.c.created_at.desc())

inbox = inbox_table(metadata)
idempotency_keys = idempotency_table(metadata)


async def add_message(db: AsyncSession, values: dict[str, Any]) -> bool:
    """False when that delivery key was written before (the same fact, recipient and channel)."""
    stmt = (
        pg_insert(messages)
        .values(values)
        .on_conflict_do_nothing(index_elements=[messages.c.delivery_key])
        .returning(messages.c.id)
    )
    return (await db.execute(stmt)).first() is not None


async def messages_of(
    db: AsyncSession, user_id: str, *, unread_only: bool, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int, int]:
    mine = messages.c.user_id == user_id
    shown = mine if not unread_only else mine & messages.c.read_at.is_(None)
    rows = (
        await db.execute(
            select(messages)
            .where(shown)
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).mappings()
    total = (await db.execute(select(func.count()).where(shown))).scalar_one()
    unread = (
        await db.execute(select(func.count()).where(mine & messages.c.read_at.is_(None)))
    ).scalar_one()
    return [dict(r) for r in rows], total, unread


async def message_owner(db: AsyncSession, message_id: uuid.UUID) -> str | None:
    query = select(messages.c.user_id).where(messages.c.id == message_id)
    owner: str | None = (await db.execute(query)).scalar_one_or_none()
    return owner


async def mark_read(db: AsyncSession, message_id: uuid.UUID, at: datetime) -> dict[str, Any]:
    """The message after marking it read; reading twice keeps the first time."""
    stmt = (
        update(messages)
        .where(messages.c.id == message_id)
        .values(read_at=func.coalesce(messages.c.read_at, at))
        .returning(messages)
    )
    return dict((await db.execute(stmt)).mappings().one())
