"""Writing notices: each as inbox messages and pending emails, under its delivery keys, in the
caller's transaction. The sender loop (sender.py) sends the emails after commit."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from sqlalchemy.ext.asyncio import AsyncSession

from notification import store, templates
from notification.calendar import invitation
from notification.domain import Notice

_NO_REPLY = "no-reply@training.local"


@dataclass(frozen=True)
class Letterhead:
    """Who the notices come from and where their links point."""

    public_url: str = "http://127.0.0.1:8080"
    """The base of the links: confirmation, the answers to an offered seat, a certificate's
    verification."""
    organizer: str = _NO_REPLY
    """The invitations' ORGANIZER: the address of the From header."""

    @classmethod
    def of(cls, *, public_url: str, mail_from: str) -> "Letterhead":
        return cls(public_url, parseaddr(mail_from)[1] or _NO_REPLY)


async def deliver(
    db: AsyncSession,
    letterhead: Letterhead,
    notices: Sequence[Notice],
    *,
    session_message_id: uuid.UUID | None = None,
) -> None:
    now = datetime.now(UTC)
    for notice in notices:
        words = templates.render(notice)
        for channel in notice.channels:
            if channel == "internal":
                await store.add_message(
                    db,
                    {
                        "id": uuid.uuid4(),
                        "user_id": notice.recipient.user_id,
                        "subject": words.subject,
                        "body": words.body,
                        "kind": notice.kind,
                        "ref": dict(notice.ref),
                        "delivery_key": notice.key("internal"),
                        "session_message_id": session_message_id,
                    },
                )
            elif notice.recipient.email:
                calendar = None
                if notice.calendar is not None:
                    calendar = invitation(notice.calendar, organizer=letterhead.organizer, now=now)
                await store.add_delivery(
                    db,
                    {
                        "id": uuid.uuid4(),
                        "delivery_key": notice.key("email"),
                        "user_id": notice.recipient.user_id,
                        "recipient": notice.recipient.email,
                        "kind": notice.kind,
                        "subject": words.subject,
                        "text_body": words.text,
                        "html_body": words.html,
                        "calendar": calendar,
                        "session_message_id": session_message_id,
                        "status": "pending",
                        "next_attempt_at": now,
                    },
                )
