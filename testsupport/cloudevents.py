"""What a subscriber may rely on in every event it receives (CONTRACT.md §4): a CloudEvents 1.0
structured-mode JSON event, persistent, its AMQP `message_id` its `id`, its routing key its
`type`, from the service that owns the type."""

import uuid
from datetime import datetime
from typing import Any

from shared.events import CLOUDEVENTS_CONTENT_TYPE
from testsupport.subscriber import Received


def checked_event(received: Received, type_: str, *, source: str) -> dict[str, Any]:
    """The event's `data`, after asserting its envelope and its AMQP properties."""
    envelope, message = received.envelope, received.message
    assert envelope["specversion"] == "1.0"
    assert envelope["type"] == type_
    assert envelope["source"] == f"training/{source}"
    uuid.UUID(envelope["id"])
    assert envelope["subject"]
    assert datetime.fromisoformat(envelope["time"]).tzinfo is not None
    assert envelope["datacontenttype"] == "application/json"
    assert message.content_type == CLOUDEVENTS_CONTENT_TYPE
    assert message.message_id == envelope["id"]
    assert message.routing_key == type_
    assert message.delivery_mode == 2  # persistent
    data: dict[str, Any] = envelope["data"]
    assert isinstance(data, dict)
    return data
