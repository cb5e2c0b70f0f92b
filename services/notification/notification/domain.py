"""Who is told what, on which channel, about each fact; free of I/O.

A *fact* is something that happened (a registration event, a session's cancellation, a manager's
message). Each fact yields `Notice`s: one per recipient, each carried by one or more channels.
`delivery_key(fact, recipient, channel)` is unique in the database, so a fact reaches a recipient
on a channel once, whatever the broker redelivers.
"""

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal
from urllib.parse import urlencode

from shared.events import (
    EventRegistrationData,
    Locale,
    RegistrationData,
    RegistrationStatus,
    SendConfirmation,
    ValidationStep,
)

Channel = Literal["internal", "email"]
DeliveryStatus = Literal["pending", "sent", "captured", "failed"]
Audience = Literal["confirmed", "all"]

DELIVERY_STATUSES: Final[tuple[DeliveryStatus, ...]] = ("pending", "sent", "captured", "failed")
ACTIVE: Final[tuple[RegistrationStatus, ...]] = ("pending", "confirmed", "waitlisted")
BOTH: Final[tuple[Channel, ...]] = ("internal", "email")
INTERNAL_ONLY: Final[tuple[Channel, ...]] = ("internal",)
CHANNEL_CHOICES: Final[tuple[tuple[Channel, ...], ...]] = (("internal",), ("email",), BOTH)
DEFAULT_LOCALE: Final[Locale] = "fr"
# the reasons registration gives when a registration ends with its session, or is moved
SESSION_CANCELLED: Final = "session_cancelled"
SESSION_DELETED: Final = "session_deleted"
MOVED: Final = "moved"

STEP_NAMES: Final[dict[Locale, dict[ValidationStep, str]]] = {
    "en": {
        "user": "your confirmation by email",
        "organization": "your organization manager's validation",
        "registration": "the registration manager's validation",
        "validator": "the session validators' approval",
    },
    "fr": {
        "user": "votre confirmation par e-mail",
        "organization": "la validation de votre gestionnaire d'organisation",
        "registration": "la validation du gestionnaire des inscriptions",
        "validator": "l'approbation des validateurs de la session",
    },
}


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
    """What one recipient is told about one fact, and on which channels."""

    kind: str
    fact: str
    recipient: Recipient
    channels: tuple[Channel, ...]
    context: Mapping[str, Any]
    ref: Mapping[str, str] = field(default_factory=dict)
    calendar: CalendarEntry | None = None

    def key(self, channel: Channel) -> str:
        return delivery_key(self.fact, self.recipient.user_id, channel)


def delivery_key(fact: str, recipient: str, channel: str) -> str:
    """One delivery per (fact, recipient, channel), whatever the broker redelivers."""
    return f"{fact}:{recipient}:{channel}"


def is_stale(incoming_version: int, known_version: int | None) -> bool:
    """An event older than what we already hold: it must not overwrite it."""
    return known_version is not None and incoming_version < known_version


def confirmation_url(public_url: str, registration_id: uuid.UUID, token: str) -> str:
    query = urlencode({"registration": str(registration_id), "token": token})
    return f"{public_url.rstrip('/')}/confirm?{query}"


_TOKEN_IN_LINK = re.compile(r"([?&]token=)[A-Za-z0-9_-]+")


def redact_tokens(text: str) -> str:
    """An email as the delivery log shows it: a confirmation token is the learner's alone."""
    return _TOKEN_IN_LINK.sub(r"\1[redacted]", text)


def step_names(locale: Locale, steps: Iterable[ValidationStep]) -> list[str]:
    return [STEP_NAMES[locale][step] for step in steps]


def audience_statuses(audience: Audience) -> tuple[RegistrationStatus, ...]:
    """Who a manager's message reaches: confirmed learners, or every active one."""
    return ("confirmed",) if audience == "confirmed" else ACTIVE


def awaits_validators(status: str, pending: Sequence[ValidationStep]) -> bool:
    """Validators may act once the learner has confirmed: registration refuses their step while
    `user` pends (docs/reference/http.md)."""
    return status in ACTIVE and "validator" in pending and "user" not in pending


def channels_for(recipient: Recipient, wanted: tuple[Channel, ...] = BOTH) -> tuple[Channel, ...]:
    """Email only reaches someone whose address we know."""
    return tuple(c for c in wanted if c != "email" or recipient.email)


# --- registration facts ---------------------------------------------------------------------


def _learner(registration: RegistrationData) -> Recipient:
    user = registration.user
    return Recipient(user.id, user.email or None, user.name, user.locale)


def _session_context(session: SessionView | None) -> dict[str, Any] | None:
    if session is None:
        return None
    return {
        "title": session.title,
        "start_date": session.start_date,
        "end_date": session.end_date,
        "location": session.location,
    }


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


def _learner_kind(fact: str, registration: RegistrationData) -> str | None:
    match fact:
        case "requested":
            # confirmed/waitlisted at creation are told by their own events; a request that
            # awaits the learner is told by the send_confirmation command (it holds the link)
            if registration.status == "pending" and "user" not in registration.pending_validations:
                return "registration.pending"
            return None
        case "confirmed" | "waitlisted" | "promoted" | "refused" | "expired":
            return f"registration.{fact}"
        case "cancelled":
            if registration.reason == SESSION_CANCELLED:
                return "session.cancelled"
            if registration.reason == MOVED:
                return "registration.moved"
            return "registration.cancelled"
        case _:
            return None


def registration_notices(
    fact: str,
    event_id: str,
    registration: RegistrationData,
    session: SessionView | None,
    *,
    known_version: int | None = None,
    contacts: Mapping[str, Recipient] | None = None,
) -> list[Notice]:
    """The learner's notice for `registration.<fact>`, and the validators' when it awaits them.

    A stale event (older than the registration we hold) tells no one: the learner has already
    been told what happened after it.
    """
    if is_stale(registration.version, known_version):
        return []
    learner = _learner(registration)
    locale = learner.locale
    ref = {"registration_id": str(registration.id), "session_id": str(registration.session_id)}
    notices: list[Notice] = []
    kind = _learner_kind(fact, registration)
    if kind is not None:
        fact_key = event_id
        if kind == "session.cancelled":
            # the same fact as catalog.session.cancelled: whichever comes first tells it
            fact_key = f"session:{registration.session_id}:cancelled"
        context = {
            "name": learner.name,
            "session": _session_context(session),
            "status": registration.status,
            "steps": step_names(locale, registration.pending_validations),
            "position": registration.waitlist_position,
            "reason": registration.reason,
            "previous_status": registration.previous_status,
        }
        calendar = None
        if kind == "registration.confirmed" and session is not None:
            calendar = session_calendar(session, registration.id, learner)
        notices.append(
            Notice(kind, fact_key, learner, channels_for(learner), context, ref, calendar)
        )
    if session is not None and awaits_validators(
        registration.status, registration.pending_validations
    ):
        known = contacts or {}
        for validator in session.validators:
            recipient = known.get(validator, Recipient(validator, None, ""))
            notices.append(
                Notice(
                    "registration.awaits_validation",
                    f"registration:{registration.id}:awaits-validator",
                    recipient,
                    INTERNAL_ONLY,
                    {
                        "name": recipient.name,
                        "learner": learner.name or learner.user_id,
                        "learner_email": learner.email,
                        "session": _session_context(session),
                        "registration_id": str(registration.id),
                    },
                    ref,
                )
            )
    return notices


def confirmation_notice(
    event_id: str, command: SendConfirmation, session: SessionView | None, public_url: str
) -> Notice:
    """The request to confirm: the only notice that carries the confirmation link."""
    registration = command.registration
    learner = Recipient(
        registration.user.id,
        registration.user.email or None,
        registration.user.name,
        registration.user.locale,
    )
    others = [step for step in registration.pending_validations if step != "user"]
    return Notice(
        "registration.confirmation_requested",
        event_id,
        learner,
        channels_for(learner),
        {
            "name": learner.name,
            "session": _session_context(session),
            "status": registration.status,
            "position": registration.waitlist_position,
            "steps": step_names(learner.locale, others),
            "confirm_url": confirmation_url(public_url, registration.id, command.token),
            "expires_at": command.expires_at,
        },
        {"registration_id": str(registration.id), "session_id": str(registration.session_id)},
    )


# --- session facts --------------------------------------------------------------------------


def session_cancelled_notices(
    session: SessionView, roster: Iterable[RosterEntry], reason: str | None
) -> list[Notice]:
    """Every learner still registered, or whose registration ended with the session."""
    notices = []
    for entry in roster:
        told = entry.status in ACTIVE or (
            entry.status == "cancelled" and entry.reason == SESSION_CANCELLED
        )
        if not told:
            continue
        notices.append(
            Notice(
                "session.cancelled",
                f"session:{session.id}:cancelled",
                entry.learner,
                channels_for(entry.learner),
                {
                    "name": entry.learner.name,
                    "session": _session_context(session),
                    "reason": reason,
                    "status": entry.status,
                },
                {"registration_id": str(entry.registration_id), "session_id": str(session.id)},
            )
        )
    return notices


def dates_changed(before: SessionView, after: SessionView) -> bool:
    return (before.start_date, before.end_date) != (after.start_date, after.end_date)


def session_rescheduled_notices(
    before: SessionView | None, after: SessionView, roster: Iterable[RosterEntry]
) -> list[Notice]:
    """New dates reach every active learner once per session version; the confirmed ones get
    an updated invitation (same UID, higher SEQUENCE)."""
    if before is None or after.version <= before.version or not dates_changed(before, after):
        return []
    notices = []
    for entry in roster:
        if entry.status not in ACTIVE:
            continue
        calendar = None
        if entry.status == "confirmed":
            calendar = session_calendar(after, entry.registration_id, entry.learner)
        notices.append(
            Notice(
                "session.rescheduled",
                f"session:{after.id}:rescheduled:v{after.version}",
                entry.learner,
                channels_for(entry.learner),
                {
                    "name": entry.learner.name,
                    "session": _session_context(after),
                    "before": _session_context(before),
                    "status": entry.status,
                },
                {"registration_id": str(entry.registration_id), "session_id": str(after.id)},
                calendar,
            )
        )
    return notices


# --- event registration facts ---------------------------------------------------------------


def event_registration_notices(
    fact: str,
    event_id: str,
    registration: EventRegistrationData,
    event: EventView | None,
    session: SessionView | None,
    contact: Recipient | None,
) -> list[Notice]:
    if fact not in ("registered", "waitlisted", "promoted", "cancelled"):
        return []
    user = registration.user
    if user is not None:
        learner = Recipient(user.id, user.email or None, user.name, user.locale)
    else:
        learner = contact or Recipient(registration.user_id, None, "")
    calendar = None
    if event is not None and fact in ("registered", "promoted", "cancelled"):
        calendar = CalendarEntry(
            uid=f"event-registration-{registration.id}@training",
            summary=event.title,
            start=event.start,
            end=event.end,
            location=event.location,
            description=session.title if session is not None else "",
            sequence=max(event.version, registration.version),
            method="CANCEL" if fact == "cancelled" else "REQUEST",
            attendee=learner,
        )
    event_context = None
    if event is not None:
        event_context = {
            "title": event.title,
            "start": event.start,
            "end": event.end,
            "location": event.location,
        }
    return [
        Notice(
            f"event_registration.{fact}",
            event_id,
            learner,
            channels_for(learner),
            {
                "name": learner.name,
                "event": event_context,
                "session": _session_context(session),
                "position": registration.waitlist_position,
                "reason": registration.reason,
            },
            {
                "event_registration_id": str(registration.id),
                "event_id": str(registration.event_id),
                "session_id": str(registration.session_id),
            },
            calendar,
        )
    ]


# --- a manager's message to a session -------------------------------------------------------


def session_message_notices(
    message_id: uuid.UUID,
    session: SessionView,
    subject: str,
    body: str,
    channels: tuple[Channel, ...],
    roster: Iterable[RosterEntry],
    sender_name: str,
) -> list[Notice]:
    notices = []
    for entry in roster:
        wanted = channels_for(entry.learner, channels)
        if not wanted:
            continue
        notices.append(
            Notice(
                "session.message",
                f"message:{message_id}",
                entry.learner,
                wanted,
                {
                    "name": entry.learner.name,
                    "session": _session_context(session),
                    "subject": subject,
                    "body": body,
                    "sender": sender_name,
                },
                {"session_id": str(session.id), "message_id": str(message_id)},
            )
        )
    return notices


# --- sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts are bounded; the wait doubles from `base` up to `cap` seconds."""

    max_attempts: int = 8
    base: float = 5.0
    cap: float = 900.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        exponent = max(0, attempts - 1)
        return float(min(self.cap, self.base * (2 ** min(exponent, 30))))

    def after_failure(self, attempts: int) -> DeliveryStatus:
        return "failed" if attempts >= self.max_attempts else "pending"
