"""A user's inbox: reading it, marking a message read."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import store
from notification.records import InboxRow, InboxSlice
from shared.auth import Principal
from shared.db import transaction
from shared.refusals import forbidden, not_found


async def inbox(
    sessions: async_sessionmaker[AsyncSession],
    reader: Principal,
    *,
    unread_only: bool,
    limit: int,
    offset: int,
) -> InboxSlice:
    """The reader's own messages, newest first."""
    async with sessions() as db:
        return await store.messages_of(
            db, reader.sub, unread_only=unread_only, limit=limit, offset=offset
        )


async def mark_read(
    sessions: async_sessionmaker[AsyncSession], reader: Principal, message_id: uuid.UUID
) -> InboxRow:
    async with transaction(sessions) as db:
        owner = await store.message_owner(db, message_id)
        if owner is None:
            raise not_found("message", message_id)
        if owner != reader.sub:
            raise forbidden("Only the recipient may mark a message read.")
        return await store.mark_read(db, message_id, datetime.now(UTC))
