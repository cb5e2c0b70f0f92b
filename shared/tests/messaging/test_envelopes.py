"""What a message body must be before any handler sees it."""

import pytest

from shared.messaging.consumer import UndecodableMessage, decode_envelope

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "body",
    [b"[" * 50_000 + b"]" * 50_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"\xff{", b"[1]"],
    ids=["deep list", "deep object", "not UTF-8", "not an object"],
)
def test_a_body_that_cannot_be_read_is_undecodable_not_an_error(body: bytes) -> None:
    with pytest.raises(UndecodableMessage):
        decode_envelope(body)


def test_an_object_is_the_envelope() -> None:
    assert decode_envelope(b'{"id": "1"}') == {"id": "1"}
