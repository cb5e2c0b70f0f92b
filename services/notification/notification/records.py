"""The rows store.py reads, typed: one frozen record per table (or per query's shape), and the
values it writes."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NotRequired, TypedDict


@dataclass(frozen=True)
class SessionRow:
    """The replica of a catalog session."""

    id: uuid.UUID
    training_id: uuid.UUID
    title: str
    start_date: date
    end_date: date
    location: str | None
    organizations: list[str]
    tutors: list[str]
    validators: list[str]
    status: str
    version: int
    replicated_at: datetime
    reminder_hours: list[float] = field(default_factory=lambda: [24.0])
    """Hours before each event its learners are reminded (the rule of that name)."""


@dataclass(frozen=True)
class EventRow:
    """The replica of a catalog event, its times in UTC and the offset the catalog gave them in."""

    id: uuid.UUID
    session_id: uuid.UUID
    title: str
    start: datetime
    end: datetime
    location: str | None
    utc_offset_minutes: int
    deleted: bool
    version: int
    replicated_at: datetime


@dataclass(frozen=True)
class RegistrationState:
    """The version and status held of a registration."""

    version: int
    status: str


@dataclass(frozen=True)
class RosterRow:
    """A registration on a session's roster, with the learner's contact as it came with it."""

    id: uuid.UUID
    session_id: uuid.UUID
    user_id: str
    email: str
    name: str
    locale: str
    status: str
    reason: str | None
    version: int
    replicated_at: datetime


@dataclass(frozen=True)
class PlaceRow:
    """A learner's place at an event (an event registration), as its replica holds it."""

    id: uuid.UUID
    event_id: uuid.UUID
    session_id: uuid.UUID
    user_id: str
    status: str
    version: int


@dataclass(frozen=True)
class ContactRow:
    """A user's email, name and locale, as of the latest registration change that gave them."""

    user_id: str
    email: str
    name: str
    locale: str
    as_of: datetime


@dataclass(frozen=True)
class InboxRow:
    id: uuid.UUID
    user_id: str
    subject: str
    body: str
    kind: str
    ref: dict[str, str] | None
    delivery_key: str
    created_at: datetime
    read_at: datetime | None
    session_message_id: uuid.UUID | None


@dataclass(frozen=True)
class InboxSlice:
    """One page of a user's inbox, the messages the filter matches and those still unread."""

    items: list[InboxRow]
    total: int
    unread: int


@dataclass(frozen=True)
class SessionMessageRow:
    """A manager's or tutor's message to a session's learners."""

    id: uuid.UUID
    session_id: uuid.UUID
    sender_id: str
    subject: str
    body: str
    channels: list[str]
    audience: str
    recipients: int
    created_at: datetime


@dataclass(frozen=True)
class DeliveryRow:
    """An email and where its sending stands."""

    id: uuid.UUID
    delivery_key: str
    user_id: str
    recipient: str
    kind: str
    subject: str
    text_body: str
    html_body: str
    calendar: str | None
    session_message_id: uuid.UUID | None
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    category: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None


@dataclass(frozen=True)
class LeasedDelivery:
    """An email the sender leased: what its message is made of, and the attempts made so far."""

    id: uuid.UUID
    recipient: str
    kind: str
    subject: str
    text_body: str
    html_body: str
    calendar: str | None
    attempts: int
    user_id: str = ""
    category: str | None = None
    """An optional email's: its unsubscribe link turns this category off for `user_id`."""
    traceparent: str | None = None
    """The trace context of the fact that wrote it, which sending it continues."""
    tracestate: str | None = None


@dataclass(frozen=True)
class DeliverySlice:
    items: list[DeliveryRow]
    total: int


@dataclass(frozen=True)
class FeedRow:
    """A user's calendar feed: the rotation its secret is derived from, and that secret's hash."""

    user_id: str
    rotation: int
    secret_hash: str


@dataclass(frozen=True)
class FeedEventRow:
    """An event of someone's calendar feed, with its session's title and when it last changed."""

    id: uuid.UUID
    title: str
    start: datetime
    end: datetime
    location: str | None
    version: int
    replicated_at: datetime
    session_title: str


@dataclass(frozen=True)
class ReminderRow:
    """A planned reminder of an event to a learner: `hours` before the `start` it was planned
    for, due at `due_at`; `pending`, `sent` or `dropped`."""

    id: uuid.UUID
    event_id: uuid.UUID
    user_id: str
    hours: float
    start: datetime
    due_at: datetime
    status: str
    sent_at: datetime | None


@dataclass(frozen=True)
class ReminderPlace:
    """A learner's `registered` place at an event, as their reminders need it: the invitation's
    UID and version, and since when the replica holds it so."""

    id: uuid.UUID
    user_id: str
    version: int
    replicated_at: datetime


# --- what store.py writes -------------------------------------------------------------------


class SessionValues(TypedDict):
    id: uuid.UUID
    training_id: uuid.UUID
    title: str
    start_date: date
    end_date: date
    location: str | None
    organizations: list[str]
    tutors: list[str]
    validators: list[str]
    status: str
    version: int
    reminder_hours: list[float]


class EventValues(TypedDict):
    id: uuid.UUID
    session_id: uuid.UUID
    title: str
    start: datetime
    end: datetime
    location: str | None
    utc_offset_minutes: int
    deleted: bool
    version: int


class RegistrationValues(TypedDict):
    id: uuid.UUID
    session_id: uuid.UUID
    user_id: str
    email: str
    name: str
    locale: str
    status: str
    reason: str | None
    version: int


class EventRegistrationValues(TypedDict):
    id: uuid.UUID
    event_id: uuid.UUID
    session_id: uuid.UUID
    user_id: str
    status: str
    version: int


class ContactValues(TypedDict):
    user_id: str
    email: str
    name: str
    locale: str
    as_of: datetime


class NewInboxMessage(TypedDict):
    id: uuid.UUID
    user_id: str
    subject: str
    body: str
    kind: str
    ref: dict[str, str] | None
    delivery_key: str
    session_message_id: uuid.UUID | None


class NewDelivery(TypedDict):
    id: uuid.UUID
    delivery_key: str
    user_id: str
    recipient: str
    kind: str
    subject: str
    text_body: str
    html_body: str
    status: str
    calendar: NotRequired[str | None]
    session_message_id: NotRequired[uuid.UUID | None]
    next_attempt_at: NotRequired[datetime]
    category: NotRequired[str | None]
    traceparent: NotRequired[str | None]
    tracestate: NotRequired[str | None]


class NewSessionMessage(TypedDict):
    id: uuid.UUID
    session_id: uuid.UUID
    sender_id: str
    subject: str
    body: str
    channels: list[str]
    audience: str
    recipients: int


class AttemptOutcome(TypedDict):
    """What an SMTP exchange came to: `sent_at` when accepted, the retry time when not."""

    status: str
    last_error: str | None
    sent_at: NotRequired[datetime]
    next_attempt_at: NotRequired[datetime]
