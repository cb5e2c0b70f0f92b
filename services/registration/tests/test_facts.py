"""`announcements.fact`: the data of a `registration.*` event is what `RegistrationData` makes
of the registration and the change, though built from the registration's JSON without
validating it again."""

import importlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from registration.use_cases.announcements import fact

from shared.events import Registration, RegistrationData, event_id

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


def test_the_batch_insert_gives_each_column_its_value_json_columns_as_json_text() -> None:
    session_registrations = importlib.import_module("registration.store.session_registrations")
    reg = registration(answers={"diet": "végétarien", "topics": ["a", "b"], "parking": False})
    row = {
        **reg.model_dump(),
        "user_id": reg.user.id,
        "user": reg.user.model_dump(mode="json"),
        "requested_by": "manager",
        "validations_given": ["user"],
        "confirmation_hash": "h",
        "expires_at": NOW,
        "completion": {"completed": True, "rate": 87.5, "decided_at": "2027-03-01T09:30:15Z"},
    }

    values = session_registrations._values(row)

    assert len(values) == len(session_registrations.COLUMNS)
    for column, value in zip(session_registrations.COLUMNS, values, strict=True):
        if column in session_registrations.JSON_COLUMNS:
            assert json.loads(value) == row[column], column
        else:
            assert value is row[column], column


def test_an_event_id_is_a_random_uuid() -> None:
    ids = [event_id() for _ in range(2000)]

    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)
    # every random digit takes every value: none is fixed by mistake
    for position in (0, 9, 15, 20, 35):
        assert len({text[position] for text in ids}) == 16, position
    assert {text[14] for text in ids} == {"4"}
    assert {text[19] for text in ids} == set("89ab")
