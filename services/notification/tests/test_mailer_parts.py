"""The text parts `email_of` builds are byte for byte those of the `email.mime` way they replace
(`MIMENonMultipart` then `set_payload` with the charset): headers in their order, the same
quoted-printable body, the same whole email (no I/O)."""

import random
import uuid
from email.encoders import encode_base64
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.nonmultipart import MIMENonMultipart

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from notification import mailer
from notification.mailer import email_of, one_line
from notification.records import LeasedDelivery

pytestmark = pytest.mark.unit

CALENDAR = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Gestes\\, postures\r\nEND:VCALENDAR\r\n"
CONTENTS = [
    "",
    "Bonjour",
    "Bonjour Léa,\n\nvotre inscription est confirmée.\n",
    "Position 12\r\nof 4500\r\n",
    "a line ending in a space \nand a tab\t\nand = signs == =3D\n",
    "é" * 300,
    "x" * 75 + "\n" + "y" * 76 + "\n" + "z" * 77 + " \n" + "w" * 74 + "=" + "v" * 10,
    "<p>" + "a" * 2000 + "</p>",
    "\u2028line\x0bseparators\x85and\x0cfeeds\x1c\x1d\x1e",
    "no final newline" + " " * 80,
    "🎓 émoji 😀\n\n\n",
]


def _reference_text(content: str, subtype: str) -> MIMENonMultipart:
    """The part as it was built before (the stdlib's own steps)."""
    part = MIMENonMultipart("text", subtype)
    part.set_payload((b"\n".join(content.encode().splitlines()) + b"\n").decode(), mailer._UTF8)
    return part


@pytest.mark.parametrize("content", CONTENTS)
@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_a_text_part_is_byte_for_byte_the_mime_classes_one(content: str, subtype: str) -> None:
    fast, reference = mailer._text(content, subtype), _reference_text(content, subtype)
    assert fast.items() == reference.items()
    assert fast.get_payload() == reference.get_payload()
    assert fast.as_bytes() == reference.as_bytes()
    assert fast.as_string() == reference.as_string()
    assert fast.get_payload(decode=True) == reference.get_payload(decode=True)


def _flattened(delivery: LeasedDelivery, unsubscribe: str | None) -> bytes:
    random.seed(18)  # the multiparts' boundaries
    return email_of(
        delivery, sender="Formation <no-reply@training.local>", unsubscribe_url=unsubscribe
    ).as_bytes()


@pytest.mark.parametrize("calendar", [None, CALENDAR])
@pytest.mark.parametrize("unsubscribe", [None, "https://lms.example.org/unsubscribe/abc"])
@pytest.mark.parametrize("content", CONTENTS[::2])
def test_the_whole_email_is_byte_for_byte_what_it_was(
    monkeypatch: pytest.MonkeyPatch, calendar: str | None, unsubscribe: str | None, content: str
) -> None:
    monkeypatch.setattr(mailer, "formatdate", lambda **_: "Fri, 04 Dec 2026 18:00:00 GMT")
    delivery = LeasedDelivery(
        id=uuid.uuid4(),
        recipient="lea@example.org",
        subject="Inscription confirmée : « Gestes »",
        kind="registration.confirmed",
        text_body=content,
        html_body=f"<p>{content}</p>",
        calendar=calendar,
        attempts=0,
    )
    fast = _flattened(delivery, unsubscribe)
    monkeypatch.setattr(mailer, "_text", _reference_text)
    assert fast == _flattened(delivery, unsubscribe)


def _reference_one_line(value: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "Inscription confirmée",
        "  two  spaces  ",
        "a\r\nb",
        "tab\tthere",
        "\u2028\x85é\u00a0x",
        "\u3000ideographic",
    ],
)
def test_one_line_is_what_it_was(value: str) -> None:
    assert one_line(value) == _reference_one_line(value)


def test_a_text_part_is_a_message() -> None:
    assert isinstance(mailer._text("x", "plain"), Message)


def _body(content: str) -> bytes:
    return b"\n".join(content.encode().splitlines()) + b"\n"


# what folding and quoting turn on: escapes near a line's 76th character, spaces and tabs at its end
_TRICKY = st.text(st.sampled_from("a=é €😀 \t\n\r\x0b\x85\x7f\x00"), max_size=600)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_TRICKY, st.text(max_size=400)))
@example("a" * 74 + "é" + "\n" + "b" * 75 + " \n" + "c" * 76 + "\t")
@example("=" * 200 + "\n" + "x" * 73 + "=" + "y" * 5 + " ")
@example("漢字" * 100)
def test_the_quoted_printable_body_is_the_charsets_own(content: str) -> None:
    body = _body(content)
    assert mailer._quoted_printable(body) == mailer._UTF8.body_encode(body)


def _reference_calendar_parts(calendar: str, method: str) -> tuple[Message, Message]:
    """The invitation and the attachment as they were built before (the stdlib's own steps)."""
    invitation = MIMENonMultipart("text", "calendar", method=method, charset="utf-8")
    invitation.set_payload(calendar.encode())
    encode_base64(invitation)
    attachment = MIMEApplication(calendar.encode(), "ics")
    attachment.add_header("Content-Disposition", "attachment", filename="invitation.ics")
    return invitation, attachment


@pytest.mark.parametrize(
    ("calendar", "method"),
    [
        (CALENDAR, "REQUEST"),
        (CALENDAR.replace("REQUEST", "CANCEL"), "CANCEL"),
        ("é" * 500, "REQUEST"),
    ],
)
def test_the_calendar_parts_are_byte_for_byte_the_mime_classes_ones(
    calendar: str, method: str
) -> None:
    delivery = LeasedDelivery(
        id=uuid.uuid4(),
        recipient="lea@example.org",
        subject="Invitation",
        kind="registration.confirmed",
        text_body="texte",
        html_body="<p>texte</p>",
        calendar=calendar,
        attempts=0,
    )
    mixed = email_of(delivery, sender="Formation <no-reply@training.local>")
    alternative, attachment = _parts(mixed)
    invitation = _parts(alternative)[2]
    for fast, reference in zip(
        (invitation, attachment), _reference_calendar_parts(calendar, method), strict=True
    ):
        assert fast.items() == reference.items()
        assert fast.get_payload() == reference.get_payload()
        assert fast.as_bytes() == reference.as_bytes()
        assert fast.get_payload(decode=True) == calendar.encode()


def _parts(message: Message) -> list[Message]:
    payload = message.get_payload()
    assert isinstance(payload, list)
    parts = [part for part in payload if isinstance(part, Message)]
    assert len(parts) == len(payload)
    return parts
