"""The CloudEvents 1.0 envelope and the data of every event and command, in code
(docs/reference/events.md).

Producers build an envelope with `new_event`; consumers read `envelope.data` with the model that
`DATA_MODELS` names for its type. Unknown fields are ignored so producers can add fields safely.
"""

import os
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from shared.bounds import (
    MAX_CHOICES,
    MAX_QUESTIONS,
    MAX_REMINDERS,
    MIN_CHOICES,
    CompletionRate,
    Email,
    Hours,
    Ident,
    LongText,
    MaxUsers,
    Moment,
    Name,
    Note,
    Slug,
    Title,
    Url,
)
from shared.tracing import TRACEPARENT, TRACESTATE, current_trace

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"

EventRegistrationMode = Literal["auto", "manual", "public"]
SessionStatus = Literal["scheduled", "cancelled"]
EventRegistrationStatus = Literal["registered", "waitlisted", "cancelled"]
RegistrationStatus = Literal[
    "pending", "confirmed", "waitlisted", "offered", "refused", "cancelled", "expired"
]
ValidationStep = Literal["user", "organization", "registration", "validator"]
PresenceStatus = Literal["unknown", "present", "absent_justified", "absent_unjustified"]
Locale = Literal["fr", "en"]
QuestionKind = Literal["text", "choice", "multiple", "boolean"]
CHOICE_KINDS = frozenset({"choice", "multiple"})
"""The kinds of question answered from a list of `choices` (one, or several for `multiple`)."""
Answer = str | list[str] | bool
"""A learner's answer: text or the choice made, the choices made for `multiple`, or a boolean."""
GivenAnswers = Annotated[
    dict[
        Slug,
        LongText | Annotated[list[LongText], Field(max_length=MAX_CHOICES)] | StrictBool,
    ],
    Field(max_length=MAX_QUESTIONS),
]
"""The answers a request gives, by question id, within the input bounds; whether they fit the
session's questions is the registration service's to decide."""


class CloudEvent(BaseModel):
    """Structured-mode CloudEvents 1.0; `requestid` is an extension attribute for tracing, and
    `traceparent`/`tracestate` the distributed tracing extension's (W3C trace context)."""

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    requestid: str | None = None
    traceparent: str | None = Field(
        default=None,
        description="W3C trace context of the change that caused the event (distributed tracing "
        "extension); left out outside any trace",
    )
    tracestate: str | None = Field(
        default=None, description="W3C tracestate that goes with `traceparent`, when there is one"
    )

    def to_message(self) -> dict[str, Any]:
        """The JSON body: optional envelope attributes left out when unset, `data` whole (its
        nulls are facts: `waitlist_position: null` means "not on the waitlist")."""
        message = self.model_dump(mode="json")
        return {k: v for k, v in message.items() if v is not None or k == "data"}

    def to_json(self) -> bytes:
        """`to_message()` as JSON text, made in one pass (the outbox stores it as it is)."""
        unset = {name for name in _OPTIONAL_ATTRIBUTES if getattr(self, name) is None}
        return self.__pydantic_serializer__.to_json(self, exclude=unset or None)


_OPTIONAL_ATTRIBUTES = ("subject", "requestid", "traceparent", "tracestate")
"""The envelope attributes that may be None (`to_message` leaves them out then)."""


def new_event(
    service: str,
    type: str,
    data: BaseModel | dict[str, Any],
    *,
    subject: str | None = None,
    request_id: str | None = None,
    trace: Mapping[str, str] | None = None,
) -> CloudEvent:
    """An event of the current trace: its context, if any, goes in the event (`shared.tracing`);
    `trace`: the W3C fields of another context (`tracing.fields_of_context`) instead.

    The envelope is validated by pydantic's core, which costs less than `model_construct`'s
    Python loop over the fields (at peak enrollment, two or three events per registration:
    docs/performance.md, issue 18); `data` is copied, never the caller's own dict."""
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    fields = current_trace() if trace is None else trace
    return CloudEvent.model_validate(
        {
            "id": event_id(),
            "source": f"training/{service}",
            "type": type,
            "subject": subject,
            "time": datetime.now(UTC),
            "data": payload,
            "requestid": request_id,
            "traceparent": fields.get(TRACEPARENT),
            "tracestate": fields.get(TRACESTATE),
        }
    )


def event_id() -> str:
    """A new random (version 4) UUID as text, made from the random bytes directly: `uuid.uuid4`
    and `str` of it cost several times more (twice per registration at peak enrollment)."""
    digits = os.urandom(16).hex()
    variant = _RFC_4122_VARIANT[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


_RFC_4122_VARIANT = "89ab"
"""The variant digit's values: its two high bits are 10, its two low bits stay random."""


class _Data(BaseModel):
    # an error names the field and the rule, never the value: it may be a learner's, and errors
    # end up in logs and dead-letter headers
    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)


class Question(_Data):
    """What a learner answers when registering to a session."""

    id: Slug
    label: Title
    kind: QuestionKind
    required: bool = False
    choices: (
        Annotated[list[Title], Field(min_length=MIN_CHOICES, max_length=MAX_CHOICES)] | None
    ) = Field(default=None, validate_default=True)

    @field_validator("choices")
    @classmethod
    def _choices_for_choice_kinds_only(
        cls, choices: list[str] | None, info: ValidationInfo
    ) -> list[str] | None:
        kind = info.data.get("kind")
        if kind in CHOICE_KINDS:
            if choices is None:
                raise ValueError(f"a {kind} question needs choices")
            # answers and their counts name a choice by its text
            if len(set(choices)) != len(choices):
                raise ValueError("choices must be unique")
        elif kind is not None and choices is not None:
            raise ValueError(f"a {kind} question has no choices")
        return choices


def _unique_ids(questions: list[Question]) -> list[Question]:
    ids = [question.id for question in questions]
    if repeated := sorted({id_ for id_ in ids if ids.count(id_) > 1}):
        raise ValueError(f"question ids must be unique: {', '.join(repeated)} repeated")
    return questions


Questions = Annotated[list[Question], Field(max_length=MAX_QUESTIONS), AfterValidator(_unique_ids)]
"""A session's questions: at most `MAX_QUESTIONS`, each `id` once."""


def _each_once(hours: list[float]) -> list[float]:
    # notification reminds once per (event, learner, h): a repeated h would be a silent no-op
    if repeated := sorted({h for h in hours if hours.count(h) > 1}):
        raise ValueError(f"reminder hours must be unique: {', '.join(map(str, repeated))} repeated")
    return hours


ReminderHours = Annotated[list[Hours], Field(max_length=MAX_REMINDERS), AfterValidator(_each_once)]
"""When a session's learners are reminded of each event, in hours before its start: at most
`MAX_REMINDERS`, each once; [] for no reminder."""


class SessionRules(_Data):
    """The registration rules a training carries as defaults and each session as its own copy."""

    public_registration: bool = False
    public_unregistration: bool = False
    event_registration_mode: EventRegistrationMode = "auto"
    max_users: MaxUsers | None = None
    user_validation: bool = False
    organization_validation: bool = False
    registration_validation: bool = False
    validators: list[Ident] = Field(default_factory=list)
    confirmation_hours: Hours = 72
    waitlist_offer_hours: Hours | None = None
    """None: a freed seat goes to the head of the line at once; else it is offered that long."""
    completion_rate: CompletionRate | None = None
    """None: the session decides no completion."""
    reminder_hours: ReminderHours = Field(default_factory=lambda: [24.0])
    questions: Questions = Field(default_factory=list)


def opens_before(opens: datetime | None, closes: datetime | None) -> bool:
    """Whether a window that `opens` and `closes` (either unbounded when None) is well formed."""
    return opens is None or closes is None or opens < closes


class RegistrationWindow(_Data):
    """When learners register (`registration_*`) and unregister themselves; a session's own,
    never copied from its training. Both closings are after the opening: unregistration closing
    first would leave a learner who registers themself no moment to unregister themself."""

    registration_opens_at: Moment | None = None
    registration_closes_at: Moment | None = None
    unregistration_closes_at: Moment | None = None

    @field_validator("registration_closes_at", "unregistration_closes_at")
    @classmethod
    def _closes_after_opening(
        cls, closes: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        if not opens_before(info.data.get("registration_opens_at"), closes):
            raise ValueError("must be after registration_opens_at")
        return closes


class Versioned(_Data):
    id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime


class TrainingData(Versioned, SessionRules):
    code: str
    title: str
    description: str | None = None
    organizations: list[str]


class SessionData(Versioned, SessionRules, RegistrationWindow):
    training_id: uuid.UUID
    title: str
    description: str | None = None
    start_date: date
    end_date: date
    location: str | None = None
    workspace_url: str | None = None
    default_session: bool = False
    curriculum_id: uuid.UUID | None = None
    organizations: list[str]
    tutors: list[str] = Field(default_factory=list)
    status: SessionStatus = "scheduled"
    cancel_reason: str | None = None


class EventData(Versioned):
    """An event (séance) of a session; `registration_mode` defaults to the session's mode."""

    session_id: uuid.UUID
    training_id: uuid.UUID
    title: str
    description: str | None = None
    start: datetime
    end: datetime
    location: str | None = None
    max_users: MaxUsers | None = None
    registration_mode: EventRegistrationMode = "auto"
    organizations: list[str] = Field(default_factory=list)
    tutors: list[str] = Field(default_factory=list)


class CurriculumData(Versioned):
    """A node of a curriculum tree. Subscribers rebuild the tree from `parent_id`; registration
    resolves a node's trainings to their default sessions from its session replica."""

    code: str
    title: str
    parent_id: uuid.UUID | None = None
    training_ids: list[uuid.UUID] = Field(default_factory=list)
    blocking: bool = False
    organizations: list[str] = Field(default_factory=list)


class RegistrationUser(_Data):
    id: Ident
    email: Email
    name: Name
    locale: Locale = "fr"
    organizations: list[Ident] = Field(default_factory=list)


class Completion(_Data):
    """What a registration's attendance came to, decided once every event of its session has
    ended with validated attendance; decided again when a validated presence changes."""

    completed: bool
    """`rate >= completion_rate`."""
    hours_attended: float = Field(ge=0)
    hours_total: float = Field(ge=0)
    """Of the events the learner was registered to."""
    rate: float = Field(ge=0, le=100)
    """`hours_attended` as a percentage of `hours_total`."""
    decided_at: datetime


class Registration(Versioned):
    """A session registration as the API shows it."""

    session_id: uuid.UUID
    training_id: uuid.UUID
    user: RegistrationUser
    status: RegistrationStatus
    pending_validations: list[ValidationStep]
    waitlist_position: int | None = None
    forced: bool = False
    answers: dict[str, Answer] = Field(default_factory=dict)
    """By question id."""
    offer_expires_at: datetime | None = None
    """Until when an `offered` seat is held; None in every other status."""
    completion: Completion | None = None
    """None until the session's completion is decided (never without `completion_rate`)."""


class MovedTo(_Data):
    """Where a moved registration went: the new registration and its session."""

    id: uuid.UUID
    session_id: uuid.UUID


class RegistrationData(Registration):
    """`registration.*` data: the whole registration plus what the change was
    (`moved_to` on `registration.moved` only)."""

    previous_status: RegistrationStatus | None = None
    reason: str | None = None
    actor: str | None = None
    step: ValidationStep | None = None
    moved_to: MovedTo | None = None


class EventRegistration(_Data):
    """A learner's registration to one event of a session, as the API shows it."""

    id: uuid.UUID
    event_id: uuid.UUID
    session_id: uuid.UUID
    user_id: str
    status: EventRegistrationStatus
    waitlist_position: int | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class EventRegistrationData(EventRegistration):
    """`event_registration.*` data: the whole event registration plus what the change was.

    `user` is the learner's contact as registration knows it, so subscribers can reach them."""

    user: RegistrationUser | None = None
    previous_status: EventRegistrationStatus | None = None
    reason: str | None = None
    actor: str | None = None


class Presence(_Data):
    """A learner's presence at an event (séance) they are `registered` to, as the API shows it."""

    event_id: uuid.UUID
    session_id: uuid.UUID
    user_id: str
    status: PresenceStatus = "unknown"
    note: Note | None = None
    """A justification."""
    signed_at: datetime | None = None
    """When the learner checked in."""
    marked_by: str | None = None
    """Who last set `status`: a manager's or a tutor's `sub`, or the learner's on check-in."""
    validated: bool = False
    """The event's attendance is locked: only a manager changes it now."""
    version: int
    updated_at: datetime


class PresenceData(Presence):
    """`attendance.recorded` data: the whole presence after one change."""

    previous_status: PresenceStatus | None = None
    actor: str | None = None


class PresenceCounts(_Data):
    """How many presences of an event have each status."""

    unknown: int = Field(default=0, ge=0)
    present: int = Field(default=0, ge=0)
    absent_justified: int = Field(default=0, ge=0)
    absent_unjustified: int = Field(default=0, ge=0)


class AttendanceValidatedData(_Data):
    """`attendance.validated` data: an event's attendance locked, its presences counted (none
    `unknown` any more: validation made them `absent_unjustified`)."""

    event_id: uuid.UUID
    session_id: uuid.UUID
    counts: PresenceCounts


class SendConfirmation(_Data):
    """`notification.send_confirmation`: the only place the raw confirmation token travels."""

    registration: Registration
    token: str
    expires_at: datetime


class CertificateAvailable(_Data):
    """`notification.certificate_available`: a learner's certificate can be downloaded (their
    session's completion is decided and at least one event they attended is validated).

    `certificate_url` is where the learner downloads it
    (`<PUBLIC_URL>/api/registrations/<id>/certificate`); a third party checks it at
    `<PUBLIC_URL>/api/certificates/<certificate_id>`."""

    registration: Registration
    certificate_id: uuid.UUID
    certificate_url: Url


class RegisterCommand(_Data):
    """`registration.register`: the body of `POST /api/registrations`, sent with the caller's
    bearer token in the AMQP header `authorization` (`Bearer <JWT>`), verified as on HTTP; a
    principal in the body is ignored.

    The outcome is published as the usual `registration.*` events and, where the message has
    `reply_to`, answered there with `{"status": <http status>, "body": <registration|problem>}`
    (401 for a missing or invalid token).
    """

    session_id: uuid.UUID
    user: RegistrationUser | None = None
    force: bool = False
    answers: GivenAnswers = Field(default_factory=dict)


TRAINING_EVENTS = (
    "catalog.training.created",
    "catalog.training.updated",
    "catalog.training.deleted",
)
SESSION_EVENTS = (
    "catalog.session.created",
    "catalog.session.updated",
    "catalog.session.cancelled",
    "catalog.session.deleted",
)
EVENT_EVENTS = (
    "catalog.event.created",
    "catalog.event.updated",
    "catalog.event.deleted",
)
CURRICULUM_EVENTS = (
    "catalog.curriculum.created",
    "catalog.curriculum.updated",
    "catalog.curriculum.deleted",
)
REGISTRATION_EVENTS = (
    "registration.requested",
    "registration.confirmed",
    "registration.waitlisted",
    "registration.offered",
    "registration.promoted",
    "registration.validated",
    "registration.refused",
    "registration.cancelled",
    "registration.expired",
    "registration.moved",
    "registration.completed",
)
EVENT_REGISTRATION_EVENTS = (
    "event_registration.registered",
    "event_registration.waitlisted",
    "event_registration.promoted",
    "event_registration.cancelled",
)
ATTENDANCE_EVENTS = (
    "attendance.recorded",
    "attendance.validated",
)
SEND_CONFIRMATION = "notification.send_confirmation"
CERTIFICATE_AVAILABLE = "notification.certificate_available"
REGISTER = "registration.register"
REGISTRATION_COMMANDS = (SEND_CONFIRMATION, CERTIFICATE_AVAILABLE)
"""The commands registration sends notification."""

CATALOG_SOURCE = "training/catalog"
REGISTRATION_SOURCE = "training/registration"
# By family, as the broker's topic permissions grant them: a type of a family that
# this code does not know yet is still its owner's.
_OWNERS_BY_PREFIX = (
    ("catalog.", CATALOG_SOURCE),
    ("registration.", REGISTRATION_SOURCE),
    ("event_registration.", REGISTRATION_SOURCE),
    ("attendance.", REGISTRATION_SOURCE),
)


def owner_of(type_: str) -> str | None:
    """The only `source` that may publish `type_`; None when no service owns it, as for
    `registration.register`, which the platform sends."""
    if type_ == REGISTER:
        return None
    if type_ in REGISTRATION_COMMANDS:
        return REGISTRATION_SOURCE
    return next((owner for prefix, owner in _OWNERS_BY_PREFIX if type_.startswith(prefix)), None)


DATA_MODELS: dict[str, type[_Data]] = {
    **dict.fromkeys(TRAINING_EVENTS, TrainingData),
    **dict.fromkeys(SESSION_EVENTS, SessionData),
    **dict.fromkeys(EVENT_EVENTS, EventData),
    **dict.fromkeys(CURRICULUM_EVENTS, CurriculumData),
    **dict.fromkeys(REGISTRATION_EVENTS, RegistrationData),
    **dict.fromkeys(EVENT_REGISTRATION_EVENTS, EventRegistrationData),
    "attendance.recorded": PresenceData,
    "attendance.validated": AttendanceValidatedData,
    SEND_CONFIRMATION: SendConfirmation,
    CERTIFICATE_AVAILABLE: CertificateAvailable,
    REGISTER: RegisterCommand,
}


def parse_data(event: CloudEvent) -> _Data:
    """The typed data of an envelope; KeyError for a type this code does not know."""
    return DATA_MODELS[event.type].model_validate(event.data)
