"""Who is signed in, read from the token's claims: what the page shows, and the tokens that sign
nobody in (unreadable, expired, without a `sub`)."""

import base64
import json

import pytest
from console.viewer import viewer_from_token

pytestmark = pytest.mark.unit

NOW = 1_800_000_000.0


def segment(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token(claims: object) -> str:
    """A JWT's shape (the console never checks the signature: the API does)."""
    return f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{segment(claims)}.c2lnbmF0dXJl"


def test_the_claims_say_who_is_signed_in() -> None:
    raw = token(
        {
            "sub": "marie",
            "name": "Marie Curie",
            "email": "marie@example.org",
            "locale": "en",
            "roles": ["training_manager", 7],
            "organizations": ["org-1", "org-2"],
            "managed_organizations": ["org-9"],
            "exp": NOW + 60,
        }
    )
    viewer = viewer_from_token(f"  {raw}\n", now=NOW)
    assert viewer is not None
    assert viewer.token == raw  # what the API gets: without the spaces pasted around it
    assert viewer.id == "marie"
    assert viewer.name == "Marie Curie"
    assert viewer.email == "marie@example.org"
    assert viewer.locale == "en"
    assert viewer.roles == {"training_manager"}  # a claim that is no string is left out
    assert viewer.organizations == {"org-1", "org-2"}
    assert viewer.managed_organizations == {"org-9"}
    assert viewer.expires_at == NOW + 60
    assert viewer.is_training_manager
    assert not viewer.is_admin
    assert viewer.manages_learners


def test_the_fewest_claims_a_learner_without_locale_in_french() -> None:
    viewer = viewer_from_token(token({"sub": "lea"}), now=NOW)
    assert viewer is not None
    assert viewer.name == "lea"  # no name: the id
    assert viewer.email == ""
    assert viewer.locale == "fr"
    assert viewer.roles == frozenset()
    assert viewer.organizations == frozenset()
    assert viewer.expires_at is None
    assert not (viewer.is_admin)
    assert not (viewer.is_training_manager)
    assert not (viewer.manages_learners)


@pytest.mark.parametrize("locale", ["de", "EN", "", None, 3, ["en"]])
def test_a_locale_the_console_does_not_speak_is_french(locale: object) -> None:
    viewer = viewer_from_token(token({"sub": "lea", "locale": locale}), now=NOW)
    assert viewer is not None
    assert viewer.locale == "fr"


def test_an_admin() -> None:
    viewer = viewer_from_token(token({"sub": "root", "roles": ["platform_admin"]}), now=NOW)
    assert viewer is not None
    assert viewer.is_admin


@pytest.mark.parametrize("exp", [NOW, NOW - 1, 0])
def test_an_expired_token_signs_nobody_in(exp: float) -> None:
    assert viewer_from_token(token({"sub": "lea", "exp": exp}), now=NOW) is None


def test_expiry_is_read_against_the_clock_by_default() -> None:
    assert viewer_from_token(token({"sub": "lea", "exp": 1})) is None
    assert viewer_from_token(token({"sub": "lea", "exp": 4_000_000_000})) is not None


@pytest.mark.parametrize("exp", ["soon", True, None, [1]])
def test_an_exp_that_is_no_number_is_no_expiry(exp: object) -> None:
    viewer = viewer_from_token(token({"sub": "lea", "exp": exp}), now=NOW)
    assert viewer is not None
    assert viewer.expires_at is None


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "not a token",
        "a.b",
        "a.b.c.d",
        "header.%%%%.signature",
        f"h.{segment(b'not json')}.s",
        "h." + segment(b"\xff\xfe") + ".s",
        f"h.{segment([1, 2])}.s",
        f"h.{segment('marie')}.s",
        f"h.{segment(None)}.s",
        token({"name": "nobody"}),
        token({"sub": ""}),
        token({"sub": 42}),
        token({"sub": ["lea"]}),
    ],
)
def test_an_odd_token_signs_nobody_in(raw: str) -> None:
    assert viewer_from_token(raw, now=NOW) is None


@pytest.mark.parametrize(
    "payload",
    [
        b'{"sub": "lea", "exp": 1' + b"0" * 400 + b"}",  # an integer beyond any float
        b'{"sub": "lea", "exp": NaN}',
        b"[" * 5000 + b"]" * 5000,  # nested deeper than the parser recurses
    ],
)
def test_a_token_the_parser_chokes_on_signs_nobody_in(payload: bytes) -> None:
    assert viewer_from_token(f"h.{segment(payload)}.s", now=NOW) is None


def test_an_exp_of_infinity_never_expires() -> None:
    infinity = segment(b'{"sub": "lea", "exp": Infinity}')
    viewer = viewer_from_token(f"h.{infinity}.s", now=NOW)
    assert viewer is not None


@pytest.mark.parametrize("odd", ["€", "é", " ", ";", '"', "\\", ","])
def test_a_token_no_header_nor_cookie_can_carry_signs_nobody_in(odd: str) -> None:
    """A bearer token is token68 (RFC 6750): anything else would break the cookie or the
    Authorization header the console sets from it."""
    claims = segment(b'{"sub": "lea"}')
    readable = f"h.{claims}.s"
    assert viewer_from_token(readable, now=NOW) is not None
    assert viewer_from_token(readable + odd + "x", now=NOW) is None
