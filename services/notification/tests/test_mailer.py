"""The email a delivery becomes (no I/O)."""

import uuid
from email import message_from_bytes
from email.policy import default

import pytest
from notification.mailer import email_of
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
