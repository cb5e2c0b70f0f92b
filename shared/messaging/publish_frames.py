"""The AMQP frames of a publish, byte for byte as pamqp marshals them, in half its CPU.

pamqp encodes a message's properties by looking up each one's type by name and dispatching
on it, about 10 µs a message: once the relay's frames went out together, the largest part of
publishing (docs/performance.md, issue 18, "The relay's publishing"). Here each property's
encoder is resolved once, text is encoded inline (a headers table of text alone too) and the
rest (any other table, a timestamp, an octet) goes through pamqp's own encoders; a test holds
the bytes to pamqp's."""

import struct
from collections.abc import Callable
from typing import Any

from pamqp import encode
from pamqp.commands import Basic
from pamqp.constants import FRAME_BODY, FRAME_END_CHAR, FRAME_HEADER

_FRAME_START = struct.Struct(">BHI")
_CONTENT_HEADER = struct.Struct(">HxxQH")  # class id, weight (0), body size, property flags
_LONG = struct.Struct(">I")
_MAX_SHORTSTR = 255
_MAX_FIELD_NAME = 128


def _short_string(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"str required, received {type(value)}")
    encoded = value.encode()
    if len(encoded) > _MAX_SHORTSTR:
        raise TypeError(f"string exceeds maximum length of {_MAX_SHORTSTR} bytes")
    return bytes((len(encoded),)) + encoded


def _field_table(value: Any) -> bytes:
    """pamqp's field table; a table of text alone (trace context, say) encoded inline."""
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    ):
        return encode.field_table(value)
    data: list[bytes] = []
    for key, item in sorted(value.items()):
        name, text = key.encode(), item.encode()
        if len(name) > _MAX_FIELD_NAME:
            return encode.field_table(value)  # which truncates it, and says so
        data += (bytes((len(name),)), name, b"S", _LONG.pack(len(text)), text)
    table = b"".join(data)
    return _LONG.pack(len(table)) + table


_ENCODERS: dict[str, Callable[[Any], bytes]] = {
    "shortstr": _short_string,
    "octet": encode.octet,
    "table": _field_table,
    "timestamp": encode.timestamp,
}
_PROPERTIES = [
    (name, Basic.Properties.flags[name], _ENCODERS[Basic.Properties.amqp_type(name)])
    for name in Basic.Properties.__slots__
]
"""In the order of the wire, with each one's flag and encoder (pamqp's table of types)."""


def content_frames(
    frames: list[bytes],
    channel: int,
    properties: Basic.Properties,
    body: bytes,
    max_content: int,
) -> None:
    """Append the content header frame and the body frames (of at most `max_content` bytes)
    of a message to `frames`. Raises TypeError or ValueError as pamqp does for a property it
    cannot encode; then nothing was appended."""
    flags = 0
    encoded = []
    for name, flag, encoder in _PROPERTIES:
        value = getattr(properties, name)
        if value is not None and value != "":
            flags |= flag
            encoded.append(encoder(value))
    header = _CONTENT_HEADER.pack(Basic.frame_id, len(body), flags) + b"".join(encoded)
    frames += (_FRAME_START.pack(FRAME_HEADER, channel, len(header)), header, FRAME_END_CHAR)
    for start in range(0, len(body), max_content):
        piece = body[start : start + max_content]
        frames += (_FRAME_START.pack(FRAME_BODY, channel, len(piece)), piece, FRAME_END_CHAR)
