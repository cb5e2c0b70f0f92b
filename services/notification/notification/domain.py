"""Who is told, on which channel, under which key: the vocabulary every notice is made of; no I/O.

A *fact* is something that happened (a registration event, a session's cancellation, a manager's
message). Each fact yields `Notice`s: one per recipient, each carried by one or more channels.
`delivery_key(fact, recipient, channel)` is unique in the database, so a fact reaches a recipient
on a channel once, whatever the broker redelivers. What each kind of fact tells is in
`registration_notices.py`, `session_notices.py` and `event_notices.py`.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Literal, get_args

from notification.preferences import Category
from shared.events import Locale, RegistrationStatus

Channel = Literal["internal", "email"]
DeliveryStatus = Literal["pending", "sent", "captured", "failed", "suppressed"]
Audience = Literal["confirmed", "all"]

DELIVERY_STATUSES: Final[tuple[DeliveryStatus, ...]] = get_args(DeliveryStatus)
"""`suppressed`: an optional email its recipient turned off (preferences.py), logged, not sent."""
ACTIVE: Final[tuple[RegistrationStatus, ...]] = ("pending", "confirmed", "waitlisted", "offered")
"""Not ended: holding a seat, offered one, or in line for one."""
BOTH: Final[tuple[Channel, ...]] = ("internal", "email")
INTERNAL_ONLY: Final[tuple[Channel, ...]] = ("internal",)
CHANNEL_CHOICES: Final[tuple[tuple[Channel, ...], ...]] = (("internal",), ("email",), BOTH)
DEFAULT_LOCALE: Final[Locale] = "fr"
# the reasons registration gives when a registration ends with its session, is moved, or an
# offered seat is declined or not accepted in time
SESSION_CANCELLED: Final = "session_cancelled"
SESSION_DELETED: Final = "session_deleted"
MOVED: Final = "moved"
OFFER_DECLINED: Final = "offer_declined"
OFFER_EXPIRED: Final = "offer_expired"


@dataclass(frozen=True)
class Recipient:
    user_id: str
    email: str | None
    name: str
    locale: Locale = DEFAULT_LOCALE


@dataclass(frozen=True)
class SessionView:
    """What notification keeps of a catalog session."""

    id: uuid.UUID
    title: str
    start_date: date
    end_date: date
    location: str | None
    organizations: tuple[str, ...]
    tutors: tuple[str, ...]
    validators: tuple[str, ...]
    status: str
    version: int


@dataclass(frozen=True)
class EventView:
    """What notification keeps of a catalog event (séance)."""

    id: uuid.UUID
    session_id: uuid.UUID
    title: str
    start: datetime
    end: datetime
    location: str | None
    version: int


@dataclass(frozen=True)
class RosterEntry:
    """A learner's registration to a session, as the latest event (highest version) said."""

    registration_id: uuid.UUID
    learner: Recipient
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class CalendarEntry:
    """One VEVENT: all-day dates for a session, date-times for an event."""

    uid: str
    summary: str
    start: date | datetime
    end: date | datetime
    location: str | None
    description: str
    sequence: int
    method: Literal["REQUEST", "CANCEL"] = "REQUEST"
    attendee: Recipient | None = None


@dataclass(frozen=True)
class Notice:
    """What one recipient is told about one fact, and on which channels.

    `context` is what the kind's templates read: a TypedDict of each notice module (`*Words`),
    its values typed (a `SessionView`, an `EventView`, dates, links)."""

    kind: str
    fact: str
    recipient: Recipient
    channels: tuple[Channel, ...]
    context: Mapping[str, object]
    ref: Mapping[str, str] = field(default_factory=dict)
    calendar: CalendarEntry | None = None
    category: Category | None = None
    """An optional email's (preferences.py): its recipient may turn it off; None, never."""

    def key(self, channel: Channel) -> str:
        return delivery_key(self.fact, self.recipient.user_id, channel)


def delivery_key(fact: str, recipient: str, channel: str) -> str:
    """One delivery per (fact, recipient, channel), whatever the broker redelivers."""
    return f"{fact}:{recipient}:{channel}"


def is_stale(incoming_version: int, known_version: int | None) -> bool:
    """An event older than what we already hold: it must not overwrite it."""
    return known_version is not None and incoming_version < known_version


def channels_for(recipient: Recipient, wanted: tuple[Channel, ...] = BOTH) -> tuple[Channel, ...]:
    """Email only reaches someone whose address we know."""
    return tuple(c for c in wanted if c != "email" or recipient.email)


def session_calendar(
    session: SessionView, registration_id: uuid.UUID, learner: Recipient, description: str = ""
) -> CalendarEntry:
    """The session as an all-day invitation; its UID is the registration's, so a new version
    (dates changed) replaces the old entry in the learner's calendar."""
    return CalendarEntry(
        uid=f"registration-{registration_id}@training",
        summary=session.title,
        start=session.start_date,
        end=session.end_date,
        location=session.location,
        description=description,
        sequence=session.version,
        attendee=learner,
    )
