import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.events import CloudEvent, SessionData, new_event, parse_data
from shared.tracing import context_of, fields_of_context, within

pytestmark = pytest.mark.unit


def _session() -> SessionData:
    now = datetime.now(UTC)
    return SessionData(
        id=uuid.uuid4(),
        training_id=uuid.uuid4(),
        title="S",
        start_date=now.date(),
        end_date=now.date(),
        organizations=["o1"],
        version=1,
        created_at=now,
        updated_at=now,
    )


def test_envelope_is_structured_cloudevents() -> None:
    session = _session()
    event = new_event("catalog", "catalog.session.created", session, subject=str(session.id))
    message = event.to_message()
    assert message["specversion"] == "1.0"
    assert message["source"] == "training/catalog"
    assert message["type"] == "catalog.session.created"
    assert message["datacontenttype"] == "application/json"
    assert uuid.UUID(message["id"])
    assert datetime.fromisoformat(message["time"]).utcoffset() is not None
    assert message["data"]["version"] == 1
    assert "requestid" not in message  # only when there is one
    assert message["data"]["description"] is None  # data is the whole resource, nulls included


def test_data_round_trips_through_its_model() -> None:
    session = _session()
    event = CloudEvent.model_validate(
        new_event("catalog", "catalog.session.created", session).to_message()
    )
    assert parse_data(event) == session


def test_unknown_fields_from_newer_producers_are_ignored() -> None:
    session = _session()
    data = {**session.model_dump(mode="json"), "shiny_new_field": 1}
    assert SessionData.model_validate(data) == session


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"subject": "s-1", "request_id": "r-1"},
        {"trace": {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01", "tracestate": "a=b"}},
    ],
)
def test_the_envelope_as_json_is_its_message(attributes: dict[str, Any]) -> None:
    data = {"waitlist_position": None, "when": "2027-03-01T09:30:00Z", "n": [1, 2.5, True]}
    event = new_event("registration", "registration.requested", data, **attributes)
    assert json.loads(event.to_json()) == event.to_message()
    # what new_event builds without validating is what validating it would give
    assert CloudEvent.model_validate(event.to_message()) == event
    assert event.data == data
    assert event.data is not data


def test_an_event_carries_the_trace_it_is_given_or_else_the_current_one() -> None:
    fields = {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}
    given = new_event("registration", "registration.requested", {}, trace=fields)
    assert (given.traceparent, given.tracestate) == (fields["traceparent"], None)
    with within(context_of(fields)):
        current = new_event("registration", "registration.requested", {})
    assert current.traceparent == fields["traceparent"]
    assert fields_of_context(context_of(fields)) == fields
    assert new_event("registration", "registration.requested", {}).traceparent is None
