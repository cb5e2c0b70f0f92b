"""The email a delivery becomes (no I/O)."""

import uuid
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.policy import default
from typing import Any

import pytest
from notification.mailer import _email_message, email_of
from notification.records import LeasedDelivery

pytestmark = pytest.mark.unit


def _delivery(subject: str) -> LeasedDelivery:
    return LeasedDelivery(
        id=uuid.uuid4(),
        recipient="lea@example.org",
        subject=subject,
        kind="registration.confirmed",
        text_body="Bonjour",
        html_body="<p>Bonjour</p>",
        calendar=None,
        attempts=0,
    )


@pytest.mark.parametrize(
    ("subject", "header"),
    [
        ("Inscription confirmée : Sécurité", "Inscription confirmée : Sécurité"),
        ("Session «\r\nBcc: x@evil.org»", "Session « Bcc: x@evil.org»"),
        ("Tab\there\x0bvt\x85nel\u2028ls", "Tab here vt nel ls"),
    ],
)
def test_the_subject_is_one_line_whatever_the_title_holds(subject: str, header: str) -> None:
    message = email_of(_delivery(subject), sender="Formation <no-reply@training.local>")
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert parsed["Subject"] == header
    assert parsed["Bcc"] is None


def _parts(message: Message) -> list[tuple[Any, ...]]:
    """What a reader gets of each part: type, parameters (but the boundary), disposition, file
    name, decoded content."""
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    return [
        (
            part.get_content_type(),
            {k: v for k, v in part.get_params() or [] if k != "boundary"},
            part.get_content_disposition(),
            part.get_filename(),
            None if part.is_multipart() else part.get_payload(decode=True),
        )
        for part in parsed.walk()
    ]


def _headers(message: Message) -> dict[str, str]:
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    return {name: str(parsed[name]) for name in HEADERS}


HEADERS = (
    "From",
    "To",
    "Subject",
    "Message-ID",
    "Auto-Submitted",
    "X-Training-Kind",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Bcc",
)
CALENDAR = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Gestes\\, postures\r\nEND:VCALENDAR\r\n"
CANCEL = CALENDAR.replace("METHOD:REQUEST", "METHOD:CANCEL")


@pytest.mark.parametrize(
    ("subject", "text", "html", "calendar", "unsubscribe"),
    [
        (
            "Inscription confirmée : « Gestes »",
            "Bonjour Léa,\n\nconfirmée.",
            "<p>é</p>",
            CALENDAR,
            None,
        ),
        ("Waiting list", "Position 12\r\nof 4500", "<p>12</p>\n", None, "https://x.org/u/abc"),
        (
            "Très " * 60 + "fin",
            "é" * 300,
            "<p>" + "a" * 2000 + "</p>",
            CANCEL,
            "https://lms/" + "u" * 90,
        ),
        ("x" * 120, "", "", None, None),
    ],
)
def test_the_email_is_what_email_message_would_build(
    subject: str, text: str, html: str, calendar: str | None, unsubscribe: str | None
) -> None:
    delivery = LeasedDelivery(
        id=uuid.uuid4(),
        recipient="lea@example.org",
        subject=subject,
        kind="registration.confirmed",
        text_body=text,
        html_body=html,
        calendar=calendar,
        attempts=0,
    )
    sender = "Formation <no-reply@training.local>"
    fast = email_of(delivery, sender=sender, unsubscribe_url=unsubscribe)
    full = _email_message(delivery, sender=sender, unsubscribe_url=unsubscribe)
    assert not isinstance(fast, EmailMessage)  # the email.mime way
    assert _parts(fast) == _parts(full)
    assert _headers(fast) == _headers(full)
    assert max(len(line) for line in fast.as_bytes().splitlines()) <= 998


def test_an_address_that_is_not_ascii_takes_email_messages_way() -> None:
    delivery = _delivery("Bonjour")
    international = LeasedDelivery(**{**vars(delivery), "recipient": "léa@exemple.fr"})
    assert isinstance(email_of(international, sender="Formation <a@b.org>"), EmailMessage)
