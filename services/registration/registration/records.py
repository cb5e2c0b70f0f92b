"""The rows the store (`registration.store`) reads and writes, typed.

TypedDicts rather than frozen records: a locked session's seat counters are kept current in its
row for the next decision of the same transaction, new rows go to the database as they are
built, and the models of shared.events validate from them — so a row stays the plain dict the
database driver gives, with no copy on the peak-enrollment path.
"""

import uuid
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from shared.events import (
    EventRegistrationMode,
    EventRegistrationStatus,
    PresenceStatus,
    RegistrationStatus,
    ValidationStep,
)


class SessionValues(TypedDict):
    """What catalog tells of a session, as the replica keeps it (`store.session_values`)."""

    id: uuid.UUID
    training_id: uuid.UUID
    version: int
    status: str  # scheduled, cancelled, deleted
    organizations: list[str]
    tutors: list[str]
    rules: dict[str, Any]  # shared.events.SessionRules as JSON
    max_users: int | None
    default_session: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    unregistration_closes_at: datetime | None
    # What the reports and PDFs print; null for rows replicated before they were kept.
    title: str | None
    start_date: date | None
    end_date: date | None
    location: str | None


class SessionRow(SessionValues):
    """The replica of a catalog session and the seat counters registration owns."""

    taken: int
    waitlisted: int
    beyond_limit: int


class RegistrationRow(TypedDict):
    """A session registration, one version of it."""

    id: uuid.UUID
    session_id: uuid.UUID
    training_id: uuid.UUID
    user_id: str
    user: dict[str, Any]  # shared.events.RegistrationUser as JSON
    status: RegistrationStatus
    pending_validations: list[ValidationStep]
    waitlist_position: int | None
    forced: bool
    version: int
    created_at: datetime
    updated_at: datetime
    requested_by: str | None
    validations_given: list[ValidationStep]
    confirmation_hash: str | None
    expires_at: datetime | None
    offer_expires_at: datetime | None
    answers: dict[str, Any]  # shared.events.Answer as JSON, by question id
    completion: dict[str, Any] | None  # shared.events.Completion as JSON, null until decided


class RegistrationUpdate(TypedDict):
    """A new version of a registration (`store.update_registration`); the confirmation token
    and its deadline are cleared once the learner's step no longer awaits."""

    status: RegistrationStatus
    pending_validations: list[ValidationStep]
    waitlist_position: int | None
    validations_given: list[ValidationStep]
    version: int
    updated_at: datetime
    confirmation_hash: NotRequired[None]
    expires_at: NotRequired[None]
    offer_expires_at: NotRequired[datetime | None]


class SessionSeatsRow(TypedDict):
    """A session's seats, as `GET /api/seats` reads them."""

    id: uuid.UUID
    max_users: int | None
    taken: int
    waitlisted: int
    status: str
    public_registration: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    unregistration_closes_at: datetime | None


class EventRow(TypedDict):
    """The replica of a catalog event (séance) and the seat counters registration owns."""

    id: uuid.UUID
    session_id: uuid.UUID
    training_id: uuid.UUID
    version: int
    status: str  # active, deleted (a tombstone)
    registration_mode: EventRegistrationMode
    start: datetime
    end: datetime
    organizations: list[str]
    tutors: list[str]
    max_users: int | None
    taken: int
    waitlisted: int
    beyond_limit: int
    title: str | None
    location: str | None
    attendance_validated_at: datetime | None  # null while its attendance is open
    check_in_code: str | None  # kept as given out: managers and tutors read it back
    check_in_code_issued_at: datetime | None


class EventRegistrationRow(TypedDict):
    """A learner's place at one event, one version of it."""

    id: uuid.UUID
    event_id: uuid.UUID
    session_id: uuid.UUID
    registration_id: uuid.UUID  # the session registration it follows
    user_id: str
    user: dict[str, Any]  # shared.events.RegistrationUser as JSON
    status: EventRegistrationStatus
    waitlist_position: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class EventRegistrationUpdate(TypedDict):
    """A new version of an event registration (`store.update_event_registration`)."""

    status: EventRegistrationStatus
    waitlist_position: int | None
    version: int
    updated_at: datetime


class CurriculumRow(TypedDict):
    """The replica of a catalog curriculum node."""

    id: uuid.UUID
    version: int
    status: str  # active, deleted (a tombstone)
    parent_id: uuid.UUID | None
    training_ids: list[str]
    blocking: bool
    created_at: datetime


class PresenceRow(TypedDict):
    """A registered learner's presence at one event, one version of it."""

    event_id: uuid.UUID
    user_id: str
    session_id: uuid.UUID
    status: PresenceStatus
    note: str | None
    signed_at: datetime | None  # when the learner checked in themself
    marked_by: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class CertificateRow(TypedDict):
    """The certificate of attendance of one registration: its id is the same on every download."""

    certificate_id: uuid.UUID
    registration_id: uuid.UUID
    issued_at: datetime
    certificate_announced_at: datetime | None  # `notification.certificate_available` written


class TrainingRow(TypedDict):
    """The replica of a catalog training, as the reports and certificates print it."""

    id: uuid.UUID
    version: int
    code: str | None
    title: str | None
    organizations: list[str]
    status: str  # active, deleted (a tombstone)
    created_at: datetime


class RegisteredPresenceRow(TypedDict):
    """A learner registered to an event, with their presence there (`unknown` before any)."""

    event_id: uuid.UUID
    user_id: str
    registration_id: uuid.UUID  # the session registration
    user: dict[str, Any]  # shared.events.RegistrationUser as JSON
    status: PresenceStatus
    note: str | None
    signed_at: datetime | None
