"""The publish frames are pamqp's, byte for byte, whatever the properties."""

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pamqp.frame
import pytest
from pamqp.body import ContentBody
from pamqp.commands import Basic
from pamqp.header import ContentHeader

from shared.messaging.publish_frames import content_frames

EVERY_PROPERTY: dict[str, Any] = {
    "content_type": "application/cloudevents+json",
    "content_encoding": "utf-8",
    "headers": {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01", "x-tenant": "t-1"},
    "delivery_mode": 2,
    "priority": 7,
    "correlation_id": "c-1",
    "reply_to": "amq.rabbitmq.reply-to",
    "expiration": "60000",
    "message_id": "m-1",
    "timestamp": datetime(2026, 12, 2, 16, 0, tzinfo=UTC),
    "message_type": "registration.requested",
    "user_id": "guest",
    "app_id": "registration",
    "cluster_id": "c",
}


def pamqps(channel: int, properties: Basic.Properties, body: bytes, max_content: int) -> bytes:
    frames = [
        pamqp.frame.marshal(ContentHeader(body_size=len(body), properties=properties), channel)
    ]
    for start in range(0, len(body), max_content):
        frames.append(pamqp.frame.marshal(ContentBody(body[start : start + max_content]), channel))
    return b"".join(frames)


def properties_of(values: dict[str, Any]) -> Basic.Properties:
    """Set after construction: pamqp validates some properties when they are given to it, not
    when they are marshalled, and a caller may set them later (aiormq sets a message id)."""
    properties = Basic.Properties()
    for name, value in values.items():
        setattr(properties, name, value)
    return properties


def ours(channel: int, properties: Basic.Properties, body: bytes, max_content: int) -> bytes:
    frames: list[bytes] = []
    content_frames(frames, channel, properties, body, max_content)
    return b"".join(frames)


@pytest.mark.parametrize("name", list(EVERY_PROPERTY))
def test_each_property_alone_is_marshalled_as_pamqp_marshals_it(name: str) -> None:
    properties = properties_of({name: EVERY_PROPERTY[name]})
    assert ours(1, properties, b"{}", 131_064) == pamqps(1, properties, b"{}", 131_064)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"é ✓": "texte é ✓", "a": ""},
        {"n": 1, "big": 2**40, "f": 1.5, "d": Decimal("1.25"), "t": True, "none": None},
        {"nested": {"k": "v"}, "list": ["a", 1], "when": datetime(2026, 1, 1, tzinfo=UTC)},
        {"x" * 130: "a name longer than AMQP allows, truncated as pamqp truncates it"},
    ],
)
def test_headers_of_any_kind_are_marshalled_as_pamqp_marshals_them(headers: dict[str, Any]) -> None:
    properties = Basic.Properties(headers=headers, delivery_mode=2)
    assert ours(3, properties, b"x", 131_064) == pamqps(3, properties, b"x", 131_064)


def test_every_property_together_and_a_body_split_in_frames() -> None:
    properties = properties_of(EVERY_PROPERTY)
    for body in (b"", b"y" * 10, b"z" * 25, bytes(range(256)) * 40):
        assert ours(65535, properties, body, 10) == pamqps(65535, properties, body, 10)
    struct_time = properties_of({"timestamp": time.gmtime(1_800_000_000)})  # pamqp takes one
    assert ours(1, struct_time, b"t", 100) == pamqps(1, struct_time, b"t", 100)


@pytest.mark.parametrize(
    "bad",
    [
        {"message_id": "m" * 256},
        {"correlation_id": 12},
        {"delivery_mode": "2"},
        {"headers": {"s": {1, 2}}},
        {"timestamp": "today"},
    ],
)
def test_what_pamqp_refuses_is_refused_and_nothing_appended(bad: dict[str, Any]) -> None:
    properties = properties_of(bad)
    with pytest.raises((TypeError, ValueError)):
        pamqps(1, properties, b"x", 100)
    frames: list[bytes] = [b"before"]
    with pytest.raises((TypeError, ValueError)):
        content_frames(frames, 1, properties, b"x", 100)
    assert frames == [b"before"]
