"""The request and response bodies of notification's HTTP API, and how a use case's result
becomes one."""

import uuid
from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict, StrictBool, field_validator

from notification import domain
from notification.domain import Audience, Channel, DeliveryStatus
from notification.preferences import EmailPreferences
from notification.records import DeliveryRow, DeliverySlice, InboxRow, InboxSlice
from notification.use_cases.messages import Message, Posted, Report
from shared.bounds import Body, Title


class InboxMessage(BaseModel):
    id: uuid.UUID
    subject: str
    body: str
    kind: str
    created_at: datetime
    read_at: datetime | None
    ref: dict[str, str] | None

    @classmethod
    def of(cls, row: InboxRow) -> "InboxMessage":
        return cls(
            id=row.id,
            subject=row.subject,
            body=row.body,
            kind=row.kind,
            created_at=row.created_at,
            read_at=row.read_at,
            ref=row.ref,
        )


class InboxPage(BaseModel):
    items: list[InboxMessage]
    total: int
    unread: int

    @classmethod
    def of(cls, page: InboxSlice) -> "InboxPage":
        items = [InboxMessage.of(row) for row in page.items]
        return cls(items=items, total=page.total, unread=page.unread)


class MessageRequest(BaseModel):
    """`POST /api/messages`: a manager's or tutor's message to a session's learners."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "session_id": "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10",
                    "subject": "Salle changée",
                    "body": "La séance de demain a lieu en salle 4.",
                    "channels": ["internal", "email"],
                }
            ]
        }
    )

    session_id: uuid.UUID
    subject: Title
    body: Body
    channels: list[Channel]
    audience: Audience = "confirmed"

    @field_validator("channels")
    @classmethod
    def _one_of_the_choices(cls, channels: list[Channel]) -> list[Channel]:
        if tuple(channels) not in domain.CHANNEL_CHOICES:
            raise ValueError('must be ["internal"], ["email"] or ["internal", "email"]')
        return channels

    def message(self) -> Message:
        return Message(
            session_id=self.session_id,
            subject=self.subject,
            body=self.body,
            channels=tuple(self.channels),
            audience=self.audience,
        )


class MessageAccepted(BaseModel):
    id: uuid.UUID
    recipients: int

    @classmethod
    def of(cls, posted: Posted) -> "MessageAccepted":
        return cls(id=posted.id, recipients=posted.recipients)


class DeliveryCounts(BaseModel):
    pending: int = 0
    sent: int = 0
    captured: int = 0
    failed: int = 0


class MessageReport(BaseModel):
    id: uuid.UUID
    session_id: uuid.UUID
    sender_id: str
    subject: str
    channels: list[Channel]
    audience: Audience
    recipients: int
    internal: int
    deliveries: DeliveryCounts
    created_at: datetime

    @classmethod
    def of(cls, report: Report) -> "MessageReport":
        message = report.message
        return cls.model_validate(
            {
                "id": message.id,
                "session_id": message.session_id,
                "sender_id": message.sender_id,
                "subject": message.subject,
                "channels": message.channels,
                "audience": message.audience,
                "recipients": message.recipients,
                "internal": report.internal,
                "deliveries": DeliveryCounts.model_validate(report.deliveries),
                "created_at": message.created_at,
            }
        )


class Delivery(BaseModel):
    id: uuid.UUID
    user_id: str
    recipient: str
    kind: str
    subject: str
    body: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    calendar: bool
    category: str | None = None
    """An optional email's: the preference that turns it off (`suppressed`: it was off)."""
    session_message_id: uuid.UUID | None
    next_attempt_at: datetime
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: DeliveryRow) -> "Delivery":
        return cls.model_validate(
            {
                "id": row.id,
                "user_id": row.user_id,
                "recipient": row.recipient,
                "kind": row.kind,
                "subject": row.subject,
                "body": row.text_body,
                "status": row.status,
                "attempts": row.attempts,
                "last_error": row.last_error,
                "calendar": row.calendar is not None,
                "category": row.category,
                "session_message_id": row.session_message_id,
                "next_attempt_at": row.next_attempt_at,
                "sent_at": row.sent_at,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
            }
        )


class DeliveryPage(BaseModel):
    items: list[Delivery]
    total: int

    @classmethod
    def of(cls, page: DeliverySlice) -> "DeliveryPage":
        return cls(items=[Delivery.of(row) for row in page.items], total=page.total)


class EmailChoices(BaseModel):
    """Which optional emails the user gets: each category on (true) or off, all three given."""

    model_config = ConfigDict(extra="forbid")

    reminders: StrictBool
    messages: StrictBool
    changes: StrictBool


class Preferences(BaseModel):
    """`GET`/`PUT /api/preferences`. Registration facts and the confirmation link are always
    sent, and the inbox always written, whatever these say."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": {"reminders": True, "messages": False, "changes": True}}]
        },
    )

    email: EmailChoices

    @classmethod
    def of(cls, chosen: EmailPreferences) -> "Preferences":
        return cls(email=EmailChoices(**asdict(chosen)))

    def chosen(self) -> EmailPreferences:
        return EmailPreferences(**self.email.model_dump())


class CalendarFeed(BaseModel):
    """The personal subscription URL of a calendar feed: it needs no token, so keep it secret."""

    url: str
