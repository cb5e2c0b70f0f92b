import uuid
from datetime import UTC, datetime

import pytest

from shared.events import CloudEvent, SessionData, new_event, parse_data

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
