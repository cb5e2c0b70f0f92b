"""`announcements.fact`: the data of a `registration.*` event is what `RegistrationData` makes
of the registration and the change, though built from the registration's JSON without
validating it again."""

import importlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from registration.use_cases.announcements import fact

from shared.events import Registration, RegistrationData

pytestmark = pytest.mark.unit

NOW = datetime(2027, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def registration(**fields: Any) -> Registration:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "version": 3,
        "created_at": NOW,
        "updated_at": NOW,
        "session_id": uuid.uuid4(),
        "training_id": uuid.uuid4(),
        "user": {"id": "lea", "email": "lea@example.org", "name": "Léa", "organizations": ["o"]},
        "status": "waitlisted",
        "pending_validations": ["user", "organization"],
        "waitlist_position": 7,
        **fields,
    }
    return Registration.model_validate(values)


REGISTRATIONS = {
    "waitlisted": registration(),
    "offered, answered, completed": registration(
        status="offered",
        waitlist_position=None,
        answers={"diet": "veg", "topics": ["a", "b"], "parking": False},
        offer_expires_at=NOW,
        completion={
            "completed": True,
            "hours_attended": 6.5,
            "hours_total": 7,
            "rate": 92.857,
            "decided_at": NOW,
        },
        forced=True,
    ),
}
CHANGES: dict[str, dict[str, Any]] = {
    "none": {},
    "validated": {"previous_status": "pending", "step": "organization", "reason": "ok"},
    "moved": {"previous_status": "confirmed", "moved_to": (uuid.uuid4(), uuid.uuid4())},
}


@pytest.mark.parametrize("which", REGISTRATIONS)
@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("given_json", [False, True])
def test_the_data_is_registration_data(which: str, change: str, given_json: bool) -> None:
    reg = REGISTRATIONS[which]
    changed = CHANGES[change]
    as_json = reg.model_dump(mode="json") if given_json else None
    event = fact("moved", reg, "manager", "rid-1", **changed, as_json=as_json)
    moved_to = changed.get("moved_to")
    expected = RegistrationData(
        **reg.model_dump(),
        actor="manager",
        **{k: v for k, v in changed.items() if k != "moved_to"},
        moved_to={"id": moved_to[0], "session_id": moved_to[1]} if moved_to else None,
    ).model_dump(mode="json")
    assert event.data == expected
    assert list(event.data) == list(expected)
    assert (event.type, event.subject, event.requestid) == (
        "registration.moved",
        str(reg.id),
        "rid-1",
    )
    assert RegistrationData.model_validate(event.data).model_dump(mode="json") == expected


def test_the_batch_insert_names_every_column_of_registrations_in_order() -> None:
    from registration.tables import registrations

    # the module, not the query function the package names alike
    session_registrations = importlib.import_module("registration.store.session_registrations")

    assert tuple(column.name for column in registrations.columns) == session_registrations.COLUMNS
    assert {
        column.name
        for column in registrations.columns
        if column.type.__class__.__name__ in ("JSON", "JSONB")
    } == session_registrations.JSON_COLUMNS
