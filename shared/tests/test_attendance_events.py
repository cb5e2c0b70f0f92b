"""The data of `attendance.*` and `registration.completed`: a presence, an event's validated
counts, a registration's completion."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from shared.events import (
    AttendanceValidatedData,
    CloudEvent,
    PresenceData,
    RegistrationData,
    new_event,
    parse_data,
)

pytestmark = pytest.mark.unit

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


def _presence(**fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "user_id": "learner-1",
        "version": 1,
        "updated_at": NOW.isoformat(),
        **fields,
    }


def _registration(**fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "training_id": str(uuid.uuid4()),
        "user": {"id": "learner-1", "email": "l@example.org", "name": "L"},
        "status": "confirmed",
        "pending_validations": [],
        "version": 3,
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
        **fields,
    }


def _parsed(type_: str, data: dict[str, Any]) -> Any:
    envelope = new_event("registration", type_, data).to_message()
    return parse_data(CloudEvent.model_validate(envelope))


def test_a_new_presence_is_unknown_unsigned_and_open() -> None:
    presence = _parsed("attendance.recorded", _presence())
    assert isinstance(presence, PresenceData)
    assert (presence.status, presence.note, presence.signed_at) == ("unknown", None, None)
    assert (presence.marked_by, presence.validated, presence.previous_status) == (None, False, None)


def test_a_recorded_presence_says_what_it_was_and_who_changed_it() -> None:
    data = _presence(
        status="absent_justified",
        note="ill",
        marked_by="tutor-1",
        validated=True,
        version=2,
        previous_status="unknown",
        actor="tutor-1",
    )
    presence = _parsed("attendance.recorded", data)
    assert (presence.status, presence.previous_status, presence.actor) == (
        "absent_justified",
        "unknown",
        "tutor-1",
    )
    assert PresenceData.model_validate(presence.model_dump(mode="json")) == presence


@pytest.mark.parametrize(
    ("fields", "loc"),
    [({"status": "late"}, ("status",)), ({"note": "x" * 2_001}, ("note",))],
)
def test_a_presence_has_one_of_four_statuses_and_a_short_note(
    fields: dict[str, Any], loc: tuple[str, ...]
) -> None:
    PresenceData.model_validate(_presence(note="x" * 2_000))
    with pytest.raises(ValidationError) as raised:
        PresenceData.model_validate(_presence(**fields))
    assert [error["loc"] for error in raised.value.errors()] == [loc]


def test_validated_attendance_counts_the_four_statuses() -> None:
    data = {
        "event_id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "counts": {"present": 7, "absent_justified": 1, "absent_unjustified": 2},
    }
    validated = _parsed("attendance.validated", data)
    assert isinstance(validated, AttendanceValidatedData)
    assert validated.counts.model_dump() == {
        "unknown": 0,
        "present": 7,
        "absent_justified": 1,
        "absent_unjustified": 2,
    }
    with pytest.raises(ValidationError):
        AttendanceValidatedData.model_validate({**data, "counts": {"present": -1}})


def test_a_completed_registration_carries_its_completion() -> None:
    completion = {
        "completed": True,
        "hours_attended": 10.5,
        "hours_total": 12,
        "rate": 87.5,
        "decided_at": NOW.isoformat(),
    }
    registration = _parsed("registration.completed", _registration(completion=completion))
    assert isinstance(registration, RegistrationData)
    assert registration.completion is not None
    assert (registration.completion.completed, registration.completion.rate) == (True, 87.5)


def test_a_registration_without_completion_has_none() -> None:
    assert RegistrationData.model_validate(_registration()).completion is None


@pytest.mark.parametrize("rate", [-0.1, 100.1])
def test_a_completion_rate_is_a_percentage(rate: float) -> None:
    completion = {
        "completed": False,
        "hours_attended": 0,
        "hours_total": 0,
        "rate": rate,
        "decided_at": NOW.isoformat(),
    }
    with pytest.raises(ValidationError) as raised:
        RegistrationData.model_validate(_registration(completion=completion))
    assert [error["loc"] for error in raised.value.errors()] == [("completion", "rate")]
