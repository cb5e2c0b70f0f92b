"""A batch's notices rendered once per shape (`templates.Renderer`) are what `templates.render`
gives each, byte for byte: every registration kind, both locales, names and positions of every
sort, one renderer for them all (so that most are filled in from a shape rendered for another
learner)."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

from notification import templates
from notification.domain import (
    MOVED,
    OFFER_DECLINED,
    OFFER_EXPIRED,
    SESSION_CANCELLED,
    Notice,
    Recipient,
)
from notification.domain import SessionView as View
from notification.registration_notices import (
    certificate_notice,
    confirmation_notice,
    registration_notices,
)

from shared.events import CertificateAvailable, Locale, RegistrationData, SendConfirmation

NAMES = [
    "Jean",
    "Jean Dupont",
    "Zoë O'Brien-Łukasz",
    '<b>"Tom" & Jerry</b>',
    "",
    " Jean",
    "Jean ",
    "Jean  Dupont",
    "Jean\nDupont",
    "Jean\n\nDupont",
    "Jean\tDupont",
    "Jean\u2028Dupont",
    "{{ position }}",
    "0",
]
POSITIONS = [None, 0, 1, 7, 4500]
FACTS = [
    ("requested", "pending", None, []),
    ("requested", "pending", None, ["validator"]),
    ("confirmed", "confirmed", None, []),
    ("waitlisted", "waitlisted", None, []),
    ("offered", "offered", None, []),
    ("promoted", "confirmed", None, []),
    ("refused", "refused", None, []),
    ("expired", "expired", None, []),
    ("expired", "expired", OFFER_EXPIRED, []),
    ("cancelled", "cancelled", None, []),
    ("cancelled", "cancelled", SESSION_CANCELLED, []),
    ("cancelled", "cancelled", MOVED, []),
    ("cancelled", "cancelled", OFFER_DECLINED, []),
]
NOW = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)
TEMPLATES = Path(templates.__file__).parent / "templates"


def session(validators: tuple[str, ...] = ()) -> View:
    return View(
        uuid.UUID(int=1),
        'Gestes & "postures" <niveau 1>',
        date(2027, 3, 1),
        date(2027, 3, 3),
        "Lyon",
        ("org-1",),
        ("tutor-1",),
        validators,
        "scheduled",
        1,
    )


def registration(name: str, locale: str, status: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "session_id": str(uuid.UUID(int=1)),
        "training_id": str(uuid.UUID(int=2)),
        "user": {
            "id": f"u-{uuid.uuid4().hex[:6]}",
            "email": "learner@example.org",
            "name": name,
            "locale": locale,
            "organizations": ["org-1"],
        },
        "status": status,
        "pending_validations": [],
        "waitlist_position": None,
        "forced": False,
        "version": 2,
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
        "offer_expires_at": (NOW + timedelta(days=2)).isoformat(),
        **changes,
    }


def notices() -> list[Notice]:
    found: list[Notice] = []
    locales: tuple[Locale, ...] = ("fr", "en")
    for locale, name, position in product(locales, NAMES, POSITIONS):
        for fact, status, reason, pending in FACTS:
            data = RegistrationData.model_validate(
                registration(
                    name,
                    locale,
                    status,
                    reason=reason,
                    pending_validations=pending,
                    waitlist_position=position,
                )
            )
            for view in (session(("validator-1",)), None):
                validator = Recipient("validator-1", "validator@example.org", name, locale)
                validators = {"validator-1": validator}
                found += registration_notices(
                    fact,
                    str(uuid.uuid4()),
                    data,
                    view,
                    public_url="http://127.0.0.1:8080",
                    contacts=validators,
                )
        command = SendConfirmation.model_validate(
            {
                "registration": registration(
                    name, locale, "pending", pending_validations=["user", "organization"]
                ),
                "token": "t0ken",
                "expires_at": (NOW + timedelta(days=1)).isoformat(),
            }
        )
        found.append(confirmation_notice("e-1", command, session(), "http://127.0.0.1:8080"))
        certificate = CertificateAvailable.model_validate(
            {
                "registration": registration(name, locale, "confirmed"),
                "certificate_id": str(uuid.UUID(int=3)),
                "certificate_url": "http://127.0.0.1:8080/c/3",
            }
        )
        found.append(certificate_notice(certificate, session(), "http://127.0.0.1:8080"))
    return found


def test_a_batchs_notices_render_as_each_alone() -> None:
    told = notices()
    registration_kinds = {path.stem for path in (TEMPLATES / "en").glob("registration.*.txt")}
    expected = product(registration_kinds | {"session.cancelled"}, ("fr", "en"))
    assert {(notice.kind, notice.recipient.locale) for notice in told} == set(expected)
    renderer = templates.Renderer()
    for notice in told:
        assert renderer.render(notice) == templates.render(notice), notice
    filled = len(told) - len(renderer._shapes)  # how many were filled in
    assert filled > len(told) / 2


def test_a_renderer_keeps_its_latest_shapes_only() -> None:
    told = notices()
    renderer = templates.Renderer(kept=2)
    for notice in [*told, *told]:
        assert renderer.render(notice) == templates.render(notice), notice
        assert len(renderer._shapes) <= 2


def test_the_templates_use_the_filled_in_words_only_as_the_renderer_expects() -> None:
    """A mark stands for the name or the position: a template that tested it otherwise than
    for truth (`{% if name %}`), or printed it otherwise than whole, would render differently."""
    allowed = {"{{ m.hello(name) }}", "{{ position }}", "{% if name %}", "{{ name }}"}
    allowed |= {"{% macro hello(name) %}"}
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_dir():
            continue
        source = path.read_text()
        for tag in re.findall(r"{[{%].*?[}%]}", source, flags=re.DOTALL):
            if re.search(r"\b(name|position)\b", tag):
                assert tag in allowed, (path.name, tag)
        if path.name == "_macros.txt":
            [hello] = [line for line in source.splitlines() if "macro hello(name)" in line]
            assert re.fullmatch(
                r"{% macro hello\(name\) %}\w+{% if name %} {{ name }}{% endif %},{% endmacro %}",
                hello,
            ), hello
