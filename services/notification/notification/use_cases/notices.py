"""Writing notices: each as inbox messages and pending emails, under its delivery keys, in the
caller's transaction. The sender loop (sender.py) sends the emails after commit."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from sqlalchemy.ext.asyncio import AsyncSession

from notification import personal_store, store, templates
from notification.calendar import invitation
from notification.domain import Notice
from notification.links import DEV_LINK_SECRET, Links, digest
from notification.preferences import EmailPreferences, email_allowed
from shared.metrics import notification_emails
from shared.tracing import TRACEPARENT, TRACESTATE, current_trace

_NO_REPLY = "no-reply@training.local"
_SUPPRESSED = notification_emails.labels("suppressed")


@dataclass(frozen=True)
class Letterhead:
    """Who the notices come from and where their links point."""

    public_url: str = "http://127.0.0.1:8080"
    """The base of the links: confirmation, the answers to an offered seat, a certificate's
    verification."""
    organizer: str = _NO_REPLY
    """The invitations' ORGANIZER: the address of the From header."""
    link_key: str = DEV_LINK_SECRET
    """What the secrets of feed and unsubscribe URLs are derived with (links.py)."""

    @classmethod
    def of(
        cls, *, public_url: str, mail_from: str, link_key: str = DEV_LINK_SECRET
    ) -> "Letterhead":
        return cls(public_url, parseaddr(mail_from)[1] or _NO_REPLY, link_key)

    @property
    def links(self) -> Links:
        return Links(self.public_url, self.link_key)


async def deliver(
    db: AsyncSession,
    letterhead: Letterhead,
    notices: Sequence[Notice],
    *,
    session_message_id: uuid.UUID | None = None,
) -> None:
    now = datetime.now(UTC)
    allowed = await _optional_emails(db, letterhead.links, notices)
    trace = current_trace()  # the fact's: sending its emails continues it
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
                        "status": "pending" if allowed(notice) else "suppressed",
                        "next_attempt_at": now,
                        "category": notice.category,
                        "traceparent": trace.get(TRACEPARENT),
                        "tracestate": trace.get(TRACESTATE),
                    },
                )
                if not allowed(notice):  # counted in the fact's transaction, with the row
                    _SUPPRESSED.inc()


async def _optional_emails(
    db: AsyncSession, links: Links, notices: Sequence[Notice]
) -> Callable[[Notice], bool]:
    """Whether each notice's email may go out, by its recipient's preferences; the unsubscribe
    links of those that do, known before they are sent (only their hashes)."""
    optional = [n for n in notices if n.category is not None and "email" in n.channels]
    chosen = await personal_store.preferences_of(
        db, sorted({notice.recipient.user_id for notice in optional})
    )

    def allowed(notice: Notice) -> bool:
        wanted = chosen.get(notice.recipient.user_id, EmailPreferences())
        return email_allowed(wanted, notice.category)

    unsubscribe = {
        digest(links.unsubscribe_token(n.recipient.user_id, n.category)): (
            n.recipient.user_id,
            n.category,
        )
        for n in optional
        if n.category is not None and allowed(n)
    }
    await personal_store.add_unsubscribe_links(db, unsubscribe)
    return allowed
