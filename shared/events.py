"""The CloudEvents 1.0 envelope and the data of every event and command (CONTRACT §4), in code.

Producers build an envelope with `new_event`; consumers read `envelope.data` with the model that
`DATA_MODELS` names for its type. Unknown fields are ignored so producers can add fields safely.
"""

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"

EventRegistrationMode = Literal["auto", "manual", "public"]
SessionStatus = Literal["scheduled", "cancelled"]
RegistrationStatus = Literal[
    "pending", "confirmed", "waitlisted", "refused", "cancelled", "expired"
]
ValidationStep = Literal["user", "organization", "registration", "validator"]
Locale = Literal["fr", "en"]


class CloudEvent(BaseModel):
    """Structured-mode CloudEvents 1.0; `requestid` is an extension attribute for tracing."""

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    requestid: str | None = None

    def to_message(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def new_event(
    service: str,
    type: str,
    data: BaseModel | dict[str, Any],
    *,
    subject: str | None = None,
    request_id: str | None = None,
) -> CloudEvent:
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=f"training/{service}",
        type=type,
        subject=subject,
        time=datetime.now(UTC),
        data=payload,
        requestid=request_id,
    )


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SessionRules(_Data):
    """The registration rules a training carries as defaults and each session as its own copy."""

    public_registration: bool = False
    public_unregistration: bool = False
    event_registration_mode: EventRegistrationMode = "auto"
    max_users: int | None = Field(default=None, ge=1)
    user_validation: bool = False
    organization_validation: bool = False
    registration_validation: bool = False
    validators: list[str] = Field(default_factory=list)
    confirmation_hours: float = Field(default=72, gt=0)


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


class SessionData(Versioned, SessionRules):
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


class RegistrationUser(_Data):
    id: str
    email: str
    name: str
    locale: Locale = "fr"
    organizations: list[str] = Field(default_factory=list)


class Registration(Versioned):
    """A session registration as the API shows it."""

    session_id: uuid.UUID
    training_id: uuid.UUID
    user: RegistrationUser
    status: RegistrationStatus
    pending_validations: list[ValidationStep]
    waitlist_position: int | None = None
    forced: bool = False


class RegistrationData(Registration):
    """`registration.*` data: the whole registration plus what the change was."""

    previous_status: RegistrationStatus | None = None
    reason: str | None = None
    actor: str | None = None
    step: ValidationStep | None = None


class SendConfirmation(_Data):
    """`notification.send_confirmation`: the only place the raw confirmation token travels."""

    registration: Registration
    token: str
    expires_at: datetime


SESSION_EVENTS = (
    "catalog.session.created",
    "catalog.session.updated",
    "catalog.session.cancelled",
    "catalog.session.deleted",
)
REGISTRATION_EVENTS = (
    "registration.requested",
    "registration.confirmed",
    "registration.waitlisted",
    "registration.promoted",
    "registration.validated",
    "registration.refused",
    "registration.cancelled",
    "registration.expired",
    "registration.moved",
)

DATA_MODELS: dict[str, type[_Data]] = {
    "catalog.training.created": TrainingData,
    "catalog.training.updated": TrainingData,
    "catalog.training.deleted": TrainingData,
    **dict.fromkeys(SESSION_EVENTS, SessionData),
    **dict.fromkeys(REGISTRATION_EVENTS, RegistrationData),
    "notification.send_confirmation": SendConfirmation,
}


def parse_data(event: CloudEvent) -> _Data:
    """The typed data of an envelope; KeyError for a type this code does not know."""
    return DATA_MODELS[event.type].model_validate(event.data)
