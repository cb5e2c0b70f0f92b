"""Managers' and tutors' messages to a session's learners, and what came of each."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import store
from notification.domain import Audience, Channel
from notification.records import SessionMessageRow
from notification.session_notices import audience_statuses, session_message_notices
from notification.use_cases.notices import Letterhead, deliver
from notification.use_cases.views import roster, session_view
from shared.auth import Principal
from shared.db import transaction
from shared.refusals import forbidden, not_found


@dataclass(frozen=True)
class Message:
    """What a manager or tutor asks to send."""

    session_id: uuid.UUID
    subject: str
    body: str
    channels: tuple[Channel, ...]
    audience: Audience = "confirmed"


@dataclass(frozen=True)
class Posted:
    id: uuid.UUID
    recipients: int


@dataclass(frozen=True)
class Report:
    message: SessionMessageRow
    internal: int
    """Inbox messages written for it."""
    deliveries: dict[str, int]
    """Its emails by status."""


async def post_message(
    sessions: async_sessionmaker[AsyncSession],
    letterhead: Letterhead,
    sender: Principal,
    message: Message,
) -> Posted:
    async with transaction(sessions) as db:
        session = session_view(await store.session_by_id(db, message.session_id))
        if session is None or session.status == "deleted":
            raise not_found("session", message.session_id)
        if not (sender.manages_training_of(session.organizations) or sender.sub in session.tutors):
            raise forbidden("Only a manager or tutor of the session may message its learners.")
        statuses = audience_statuses(message.audience)
        entries = roster(await store.roster(db, session.id, statuses))
        message_id = uuid.uuid4()
        notices = session_message_notices(
            message_id,
            session,
            message.subject,
            message.body,
            message.channels,
            entries,
            sender.name or sender.sub,
        )
        await store.add_session_message(
            db,
            {
                "id": message_id,
                "session_id": session.id,
                "sender_id": sender.sub,
                "subject": message.subject,
                "body": message.body,
                "channels": list(message.channels),
                "audience": message.audience,
                "recipients": len(entries),
            },
        )
        await deliver(db, letterhead, notices, session_message_id=message_id)
    return Posted(message_id, len(entries))


async def message_report(
    sessions: async_sessionmaker[AsyncSession], reader: Principal, message_id: uuid.UUID
) -> Report:
    async with sessions() as db:
        message = await store.session_message(db, message_id)
        if message is None:
            raise not_found("message", message_id)
        session = session_view(await store.session_by_id(db, message.session_id))
        manager = session is not None and reader.manages_training_of(session.organizations)
        if not (message.sender_id == reader.sub or reader.is_platform_admin or manager):
            raise forbidden("Only its sender or a manager of the session may read it.")
        internal, by_status = await store.session_message_counts(db, message_id)
    return Report(message, internal, by_status)
