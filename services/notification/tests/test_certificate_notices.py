"""The pure rules of a learner's certificate becoming available: one notice per registration,
in the learner's language, with the download link (also a button) and the verification one."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from notification.domain import BOTH, INTERNAL_ONLY, SessionView
from notification.registration_notices import certificate_notice, verification_url
from notification.templates import render

from shared.events import CertificateAvailable

pytestmark = pytest.mark.unit

NOW = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)
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
COMPLETION = {
    "completed": True,
    "hours_attended": 10.5,
    "hours_total": 14,
    "rate": 75,
    "decided_at": NOW,
}


def _command(locale: str, *, email: str = "u1@example.org", **changes: Any) -> CertificateAvailable:
    registration_id = uuid.uuid4()
    registration: dict[str, Any] = {
        "id": registration_id,
        "session_id": SESSION.id,
        "training_id": uuid.uuid4(),
        "user": {"id": "u1", "email": email, "name": "Léa", "locale": locale},
        "status": "confirmed",
        "pending_validations": [],
        "completion": COMPLETION,
        "version": 7,
        "created_at": NOW,
        "updated_at": NOW,
    }
    registration.update(changes)
    return CertificateAvailable.model_validate(
        {
            "registration": registration,
            "certificate_id": uuid.uuid4(),
            "certificate_url": f"https://lms.example.org/api/registrations/{registration_id}/certificate",
        }
    )


def test_the_verification_link_is_the_certificates_public_page() -> None:
    certificate_id = uuid.uuid4()
    expected = f"https://lms.example.org/api/certificates/{certificate_id}"
    assert verification_url(PUBLIC_URL, certificate_id) == expected
    assert verification_url("https://lms.example.org", certificate_id) == expected


def test_one_notice_per_registration_whatever_the_command() -> None:
    command = _command("fr")
    again = command.model_copy(update={"certificate_id": uuid.uuid4()})
    notice = certificate_notice(command, SESSION, PUBLIC_URL)
    assert notice.kind == "registration.certificate_available"
    assert notice.channels == BOTH
    assert notice.key("email") == certificate_notice(again, SESSION, PUBLIC_URL).key("email")
    assert notice.key("internal") != notice.key("email")
    assert str(command.registration.id) in notice.key("email")
    assert notice.ref == {
        "registration_id": str(command.registration.id),
        "session_id": str(SESSION.id),
        "certificate_id": str(command.certificate_id),
    }


def test_a_learner_without_an_address_is_told_in_the_inbox_only() -> None:
    notice = certificate_notice(_command("en", email=""), SESSION, PUBLIC_URL)
    assert notice.channels == INTERNAL_ONLY


@pytest.mark.parametrize(
    ("locale", "subject", "says"),
    [
        (
            "fr",
            "Votre attestation est disponible : « Sécurité au travail »",
            [
                "Bonjour Léa,",
                "est disponible pour la session « Sécurité au travail » du 1er mars 2027 au 3 mars"
                " 2027, Lyon.",
                "10,5 h de présence sur 14 h : la formation est validée.",
                "Pour la télécharger, ouvrez ce lien :",
                "en vérifier l'authenticité",
            ],
        ),
        (
            "en",
            'Your certificate is available: "Sécurité au travail"',
            [
                "Hello Léa,",
                'is available for "Sécurité au travail" from 1 March 2027 to 3 March 2027, Lyon.',
                "10.5 h attended out of 14 h: the training is completed.",
                "To download it, open this link:",
                "check that it is genuine",
            ],
        ),
    ],
)
def test_the_notice_in_the_learners_language_carries_both_links(
    locale: str, subject: str, says: list[str]
) -> None:
    command = _command(locale)
    words = render(certificate_notice(command, SESSION, PUBLIC_URL))
    verify = f"https://lms.example.org/api/certificates/{command.certificate_id}"
    assert words.subject == subject
    for text in (words.body, words.text):
        for part in says:
            assert part in text
        assert command.certificate_url in text
        assert verify in text
    button = "Télécharger mon attestation" if locale == "fr" else "Download my certificate"
    assert f'href="{command.certificate_url}"' in words.html
    assert button in words.html


@pytest.mark.parametrize(
    ("locale", "says", "not_said"),
    [
        ("fr", "Elle indique 2 h de présence sur 6 h.", "validée"),
        ("en", "It shows 2 h attended out of 6 h.", "completed"),
    ],
)
def test_a_session_not_completed_still_has_its_certificate(
    locale: str, says: str, not_said: str
) -> None:
    completion = {**COMPLETION, "completed": False, "hours_attended": 2, "hours_total": 6}
    words = render(certificate_notice(_command(locale, completion=completion), SESSION, PUBLIC_URL))
    assert says in words.body
    assert not_said not in words.body


def test_without_the_session_replica_the_notice_still_carries_the_link() -> None:
    command = _command("fr", completion=None)
    words = render(certificate_notice(command, None, PUBLIC_URL))
    assert words.subject == "Votre attestation est disponible : votre session de formation"
    assert "est disponible pour votre session de formation." in words.body
    assert command.certificate_url in words.body
    assert "présence" not in words.body
