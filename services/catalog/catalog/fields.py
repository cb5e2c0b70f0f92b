"""What a request gives of a resource, by resource: the fields a POST or a PATCH carries, as the
use cases and the store take them. Every key is optional (a PATCH names only what it changes); a
creation's bodies make sure its required ones are there."""

import uuid
from datetime import date, datetime
from typing import TypedDict

from shared.events import EventRegistrationMode, QuestionKind, SessionStatus


class QuestionFields(TypedDict):
    """`shared.events.Question`, dumped: every key present."""

    id: str
    label: str
    kind: QuestionKind
    required: bool
    choices: list[str] | None


class RuleChanges(TypedDict, total=False):
    """`shared.events.SessionRules`, a training's defaults or a session's own copy."""

    public_registration: bool
    public_unregistration: bool
    event_registration_mode: EventRegistrationMode
    max_users: int | None
    user_validation: bool
    organization_validation: bool
    registration_validation: bool
    validators: list[str]
    confirmation_hours: float
    waitlist_offer_hours: float | None
    completion_rate: int | None
    reminder_hours: list[float]
    questions: list[QuestionFields]


class TrainingChanges(RuleChanges, total=False):
    code: str
    title: str
    description: str | None
    organizations: list[str]


class SessionChanges(RuleChanges, total=False):
    title: str
    start_date: date
    end_date: date
    description: str | None
    default_session: bool
    location: str | None
    workspace_url: str | None
    tutors: list[str]
    curriculum_id: uuid.UUID | None
    organizations: list[str]
    """Never requested: always its training's."""
    status: SessionStatus
    cancel_reason: str | None
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    unregistration_closes_at: datetime | None


class EventChanges(TypedDict, total=False):
    title: str
    start: datetime
    end: datetime
    description: str | None
    location: str | None
    max_users: int | None
    registration_mode: EventRegistrationMode


class CurriculumChanges(TypedDict, total=False):
    code: str
    title: str
    parent_id: uuid.UUID | None
    training_ids: list[uuid.UUID]
    blocking: bool
    organizations: list[str]
    """Never requested: the union of its trainings'."""
