"""The pure rules of a seat offered from the waitlist: the offer with its deadline and its two
links, and how it ends (accepted, declined, not accepted in time), in both languages."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from notification.domain import BOTH, SessionView
from notification.registration_notices import offer_url, registration_notices
from notification.templates import render

from shared.events import RegistrationData

pytestmark = pytest.mark.unit

NOW = datetime(2027, 1, 10, 8, 30, tzinfo=UTC)
DEADLINE = datetime(2027, 1, 12, 14, 5, tzinfo=UTC)
PUBLIC_URL = "https://lms.example.org/"
SESSION = SessionView(
    id=uuid.uuid4(),
    title="Sécurité au travail",
    start_date=date(2027, 3, 1),
    end_date=date(2027, 3, 3),
    location="Lyon",
    organizations=("org",),
    tutors=(),
    validators=(),
    status="scheduled",
    version=1,
)


def _registration(locale: str, status: str, **changes: Any) -> RegistrationData:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "session_id": SESSION.id,
        "training_id": uuid.uuid4(),
        "user": {"id": "u1", "email": "u1@example.org", "name": "Léa", "locale": locale},
        "status": status,
        "pending_validations": [],
        "version": 2,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return RegistrationData.model_validate(values)


def _links(registration: RegistrationData) -> tuple[str, str]:
    base = f"https://lms.example.org/offer?registration={registration.id}"
    return f"{base}&answer=accept", f"{base}&answer=decline"


def test_the_offer_links_are_built_as_the_confirmation_link_is() -> None:
    registration_id = uuid.uuid4()
    assert offer_url(PUBLIC_URL, registration_id, "accept") == (
        f"https://lms.example.org/offer?registration={registration_id}&answer=accept"
    )
    assert offer_url("https://lms.example.org", registration_id, "decline").endswith(
        "&answer=decline"
    )


@pytest.mark.parametrize(
    ("locale", "subject", "deadline"),
    [
        ("fr", "Une place vous est proposée : « Sécurité au travail »", "12 janvier 2027 à 14:05"),
        ("en", 'A seat is offered to you: "Sécurité au travail"', "12 January 2027, 14:05"),
    ],
)
def test_an_offered_seat_tells_the_deadline_and_both_links(
    locale: str, subject: str, deadline: str
) -> None:
    offered = _registration(locale, "offered", offer_expires_at=DEADLINE)
    (notice,) = registration_notices("offered", "event-1", offered, SESSION, public_url=PUBLIC_URL)
    assert notice.kind == "registration.offered"
    assert notice.channels == BOTH
    assert notice.fact == "event-1"
    accept, decline = _links(offered)
    assert notice.context["accept_url"] == accept
    assert notice.context["decline_url"] == decline
    words = render(notice)
    assert words.subject == subject
    assert f"{deadline} (UTC+00:00)" in words.body  # the zone the confirmation email gives too
    assert accept in words.text
    assert decline in words.text
    assert "Léa" in words.body
    for link in (accept, decline):  # a button each in HTML
        assert f'href="{link.replace("&", "&amp;")}"' in words.html
    assert f'lang="{locale}"' in words.html


def test_an_offer_is_told_before_the_session_is_known_too() -> None:
    offered = _registration("fr", "offered", offer_expires_at=DEADLINE)
    (notice,) = registration_notices("offered", "e", offered, None, public_url=PUBLIC_URL)
    words = render(notice)
    assert "votre session de formation" in words.subject
    assert "12 janvier 2027 à 14:05" in words.body


def test_a_stale_offer_tells_no_one() -> None:
    offered = _registration("en", "offered", offer_expires_at=DEADLINE, version=2)
    assert (
        registration_notices(
            "offered", "e", offered, SESSION, public_url=PUBLIC_URL, known_version=3
        )
        == []
    )


@pytest.mark.parametrize(
    ("fact", "status", "reason", "kind", "says"),
    [
        (
            "cancelled",
            "cancelled",
            "offer_declined",
            "registration.offer_declined",
            {"fr": "qui vous était proposée", "en": "was declined"},
        ),
        (
            "expired",
            "expired",
            "offer_expired",
            "registration.offer_expired",
            {"fr": "n'a pas été acceptée à temps", "en": "was not accepted in time"},
        ),
    ],
)
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_an_offer_that_ends_says_how(
    locale: str, fact: str, status: str, reason: str, kind: str, says: dict[str, str]
) -> None:
    ended = _registration(locale, status, reason=reason, previous_status="offered")
    (notice,) = registration_notices(fact, "e", ended, SESSION, public_url=PUBLIC_URL)
    assert notice.kind == kind
    assert notice.channels == BOTH
    words = render(notice)
    assert "Sécurité au travail" in words.subject
    assert says[locale] in words.body
    assert "/offer?" not in words.text  # nothing left to answer


@pytest.mark.parametrize(
    ("locale", "says"),
    [("fr", "Vous avez accepté la place proposée"), ("en", "You accepted the seat offered")],
)
def test_an_accepted_offer_is_told_as_a_promotion(locale: str, says: str) -> None:
    accepted = _registration(locale, "confirmed", previous_status="offered")
    (notice,) = registration_notices("promoted", "e", accepted, SESSION, public_url=PUBLIC_URL)
    assert notice.kind == "registration.promoted"
    assert says in render(notice).body
