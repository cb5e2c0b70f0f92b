"""Notification use cases: one transaction each."""

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import domain, store
from shared.auth import Principal
from shared.db import transaction
from shared.events import CloudEvent, RegistrationData
from shared.messaging import first_delivery
from shared.problems import forbidden, not_found


class InboxMessage(BaseModel):
    id: uuid.UUID
    subject: str
    body: str
    kind: str
    created_at: datetime
    read_at: datetime | None
    ref: dict[str, str] | None


class InboxPage(BaseModel):
    items: list[InboxMessage]
    total: int
    unread: int


class Notifications:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def tell_learner(self, event: CloudEvent) -> None:
        """Write the learner's inbox message for a registration fact, once."""
        registration = RegistrationData.model_validate(event.data)
        fact = event.type.removeprefix("registration.")
        notice = domain.registration_notice(fact, registration)
        if notice is None:
            return
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, "notification.registrations", event.id):
                return
            await store.add_message(
                db,
                {
                    "id": uuid.uuid4(),
                    "user_id": registration.user.id,
                    "subject": notice.subject,
                    "body": notice.body,
                    "kind": notice.kind,
                    "ref": {
                        "registration_id": str(registration.id),
                        "session_id": str(registration.session_id),
                    },
                    "delivery_key": domain.delivery_key(event.id, registration.user.id, "internal"),
                },
            )

    async def inbox(
        self, reader: Principal, *, unread_only: bool, limit: int, offset: int
    ) -> InboxPage:
        async with self._sessions() as db:
            rows, total, unread = await store.messages_of(
                db, reader.sub, unread_only=unread_only, limit=limit, offset=offset
            )
        items = [InboxMessage.model_validate(row) for row in rows]
        return InboxPage(items=items, total=total, unread=unread)

    async def mark_read(self, reader: Principal, message_id: uuid.UUID) -> InboxMessage:
        async with transaction(self._sessions) as db:
            owner = await store.message_owner(db, message_id)
            if owner is None:
                raise not_found("message", message_id)
            if owner != reader.sub:
                raise forbidden("Only the recipient may mark a message read.")
            row = await store.mark_read(db, message_id, datetime.now(UTC))
        return InboxMessage.model_validate(row)
