"""Writing notices: each as inbox messages and pending emails, under its delivery keys, in the
caller's transaction. The sender loop (sender.py) sends the emails after commit."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from sqlalchemy.ext.asyncio import AsyncSession

from notification import fact_store, personal_store, templates
from notification.calendar import invitation
from notification.domain import Notice
from notification.links import DEV_LINK_SECRET, Links, digest
from notification.preferences import EmailPreferences, email_allowed
from notification.records import NewDelivery, NewInboxMessage
from shared.metrics import notification_emails
from shared.tracing import TRACEPARENT, TRACESTATE, current_trace

_NO_REPLY = "no-reply@training.local"
_SUPPRESSED = notification_emails.labels("suppressed")
_STEP = timedelta(microseconds=1)


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


@dataclass(frozen=True)
class Told:
    """The notices of one fact, and the trace context (W3C fields) its emails continue."""

    notices: Sequence[Notice]
    trace: Mapping[str, str]


async def deliver(
    db: AsyncSession,
    letterhead: Letterhead,
    notices: Sequence[Notice],
    *,
    session_message_id: uuid.UUID | None = None,
) -> None:
    """The notices of the current fact (its trace continued by their emails)."""
    told = [Told(notices, current_trace())]
    await deliver_all(db, letterhead, told, session_message_id=session_message_id)


async def deliver_all(
    db: AsyncSession,
    letterhead: Letterhead,
    told: Sequence[Told],
    *,
    session_message_id: uuid.UUID | None = None,
) -> None:
    """The notices of many facts, in their order: one query of preferences, one insert of inbox
    messages, one of emails."""
    now = datetime.now(UTC)
    allowed = await _optional_emails(db, letterhead.links, [n for t in told for n in t.notices])
    internal: list[NewInboxMessage] = []
    emails: list[NewDelivery] = []
    suppressed = 0
    for fact in told:
        for notice in fact.notices:
            words = templates.RENDERER.render(notice)
            for channel in notice.channels:
                if channel == "internal":
                    internal.append(
                        {
                            "id": uuid.uuid4(),
                            "user_id": notice.recipient.user_id,
                            "subject": words.subject,
                            "body": words.body,
                            "kind": notice.kind,
                            "ref": dict(notice.ref),
                            "delivery_key": notice.key("internal"),
                            "session_message_id": session_message_id,
                        }
                    )
                elif notice.recipient.email:
                    calendar = None
                    if notice.calendar is not None:
                        calendar = invitation(
                            notice.calendar, organizer=letterhead.organizer, now=now
                        )
                    sent = allowed(notice)
                    suppressed += not sent
                    emails.append(
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
                            "status": "pending" if sent else "suppressed",
                            # sent in the order they were told
                            "next_attempt_at": now + _STEP * len(emails),
                            "category": notice.category,
                            "traceparent": fact.trace.get(TRACEPARENT),
                            "tracestate": fact.trace.get(TRACESTATE),
                        }
                    )
    await fact_store.add_messages(db, internal)
    await fact_store.add_deliveries(db, emails)
    if suppressed:  # counted in the facts' transaction, with the rows
        _SUPPRESSED.inc(suppressed)


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
