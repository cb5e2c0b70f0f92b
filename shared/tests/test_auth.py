import base64
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from shared.auth import Principal, TokenVerifier, mint_token
from shared.problems import Problem
from testsupport.identity_provider import (
    AUDIENCE,
    ISSUER,
    IdentityProvider,
    new_key,
    serving_jwks,
)

pytestmark = pytest.mark.unit
SECRET = "test-secret-0123456789-0123456789-abc"


async def test_hs256_token_becomes_a_typed_principal() -> None:
    token = mint_token(
        SECRET,
        sub="u1",
        name="Ada",
        email="ada@example.org",
        locale="en",
        roles=["training_manager"],
        organizations=["o1"],
        managed_organizations=["o2"],
    )
    principal = await TokenVerifier(secret=SECRET).verify(token)
    assert principal == Principal(
        sub="u1",
        name="Ada",
        email="ada@example.org",
        locale="en",
        roles=("training_manager",),
        organizations=("o1",),
        managed_organizations=("o2",),
    )
    assert principal.is_training_manager
    assert not principal.is_platform_admin


async def test_locale_defaults_to_french() -> None:
    principal = await TokenVerifier(secret=SECRET).verify(mint_token(SECRET, sub="u1"))
    assert principal.locale == "fr"


@pytest.mark.parametrize(
    ("claim", "locale"),
    [("fr-FR", "fr"), ("en_GB", "en"), ("EN", "en"), ("de", "fr"), (None, "fr")],
)
async def test_locales_we_do_not_write_fall_back_to_a_language_we_do(
    claim: str | None, locale: str
) -> None:
    principal = await TokenVerifier(secret=SECRET).verify(
        mint_token(SECRET, sub="u1", locale=claim)
    )
    assert principal.locale == locale


@pytest.mark.parametrize(
    "token",
    [
        mint_token("another-secret-0123456789-0123456789", sub="u1"),
        mint_token(SECRET, sub="u1", ttl_seconds=-10),
        jwt.encode({"sub": "u1"}, SECRET, algorithm="HS256"),  # no exp
        "not-a-jwt",
    ],
    ids=["wrong-key", "expired", "no-exp", "garbage"],
)
async def test_bad_tokens_are_401(token: str) -> None:
    with pytest.raises(Problem) as refused:
        await TokenVerifier(secret=SECRET).verify(token)
    assert refused.value.status == 401


def _b64(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


async def test_alg_none_is_refused() -> None:
    header = _b64({"alg": "none", "typ": "JWT"})
    claims = _b64({"sub": "u1", "exp": int(time.time()) + 60})
    token = f"{header}.{claims}."
    with pytest.raises(Problem):
        await TokenVerifier(secret=SECRET).verify(token)


def test_training_manager_rights_follow_organizations() -> None:
    manager = Principal(sub="m", roles=("training_manager",), organizations=("o1",))
    assert manager.manages_training_of(["o1", "o9"])
    assert not manager.manages_training_of(["o2"])
    member = Principal(sub="x", organizations=("o1",))
    assert not member.manages_training_of(["o1"])
    admin = Principal(sub="a", roles=("platform_admin",))
    assert admin.manages_training_of(["anything"])


def test_organization_manager_of_learner() -> None:
    org_manager = Principal(sub="om", managed_organizations=("o1",))
    assert org_manager.manages_organization_of(["o1"])
    assert not org_manager.manages_organization_of(["o2"])


def our_verifier(identity_provider: IdentityProvider) -> TokenVerifier:
    return TokenVerifier(
        secret=SECRET, jwks_url=identity_provider.jwks_url, audience=AUDIENCE, issuer=ISSUER
    )


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[IdentityProvider]:
    with serving_jwks() as serving:
        yield serving


async def test_rs256_tokens_are_verified_against_the_jwks(
    identity_provider: IdentityProvider,
) -> None:
    token = identity_provider.token({"roles": ["platform_admin"]})
    verifier = TokenVerifier(secret=SECRET, jwks_url=identity_provider.jwks_url)
    principal = await verifier.verify(token)
    assert principal.sub == "u2"
    assert principal.is_platform_admin
    # an HS256 token signed with the shared secret is not accepted once JWKS is configured
    with pytest.raises(Problem):
        await verifier.verify(mint_token(SECRET, sub="u2"))


@pytest.mark.parametrize(
    "audience", [AUDIENCE, [AUDIENCE], ["payroll-app", AUDIENCE]], ids=["string", "list", "among"]
)
async def test_a_token_for_us_from_our_issuer_is_accepted(
    identity_provider: IdentityProvider, audience: object
) -> None:
    token = identity_provider.token({"aud": audience, "iss": ISSUER, "roles": ["platform_admin"]})
    principal = await our_verifier(identity_provider).verify(token)
    assert principal.sub == "u2"
    assert principal.is_platform_admin


NOT_FOR_US = "The bearer token is not meant for this platform (`aud`)."
NOT_OUR_ISSUER = "The bearer token comes from another issuer (`iss`)."


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"aud": "payroll-app", "iss": ISSUER}, NOT_FOR_US),
        ({"aud": ["payroll-app"], "iss": ISSUER}, NOT_FOR_US),
        ({"aud": f"{AUDIENCE}-staging", "iss": ISSUER}, NOT_FOR_US),
        ({"aud": AUDIENCE, "iss": "https://idp.example.org/realms/payroll"}, NOT_OUR_ISSUER),
        ({"aud": AUDIENCE, "iss": f"{ISSUER}/"}, NOT_OUR_ISSUER),
        ({"iss": ISSUER}, "The bearer token has no `aud` claim."),
        ({"aud": [], "iss": ISSUER}, "The bearer token has no `aud` claim."),
        ({"aud": AUDIENCE}, "The bearer token has no `iss` claim."),
    ],
    ids=[
        "payroll",
        "payroll-list",
        "suffixed",
        "other-iss",
        "iss-slash",
        "no-aud",
        "empty-aud",
        "no-iss",
    ],
)
async def test_a_token_of_another_application_or_issuer_is_401(
    identity_provider: IdentityProvider, claims: dict[str, object], detail: str
) -> None:
    token = identity_provider.token({**claims, "roles": ["platform_admin"]})
    with pytest.raises(Problem) as refused:
        await our_verifier(identity_provider).verify(token)
    assert refused.value.status == 401
    assert refused.value.detail == detail
    # what was wrong, in words of our own: never the token, nor what it claims
    assert token not in refused.value.detail
    assert "payroll" not in refused.value.detail


async def test_a_token_signed_by_another_key_is_401(identity_provider: IdentityProvider) -> None:
    another_key = new_key()
    # with our key id, even
    token = identity_provider.token({"aud": AUDIENCE, "iss": ISSUER}, key=another_key)
    with pytest.raises(Problem) as refused:
        await our_verifier(identity_provider).verify(token)
    assert refused.value.status == 401
    assert refused.value.detail == "The bearer token is not valid."


async def test_hs256_tokens_are_refused_when_a_jwks_is_configured(
    identity_provider: IdentityProvider,
) -> None:
    token = mint_token(SECRET, sub="u2", roles=["platform_admin"], aud=AUDIENCE, iss=ISSUER)
    with pytest.raises(Problem) as refused:
        await our_verifier(identity_provider).verify(token)
    assert refused.value.status == 401


async def test_hs256_tokens_for_us_from_our_issuer_are_accepted() -> None:
    verifier = TokenVerifier(secret=SECRET, audience=AUDIENCE, issuer=ISSUER)
    token = mint_token(SECRET, sub="u1", aud=[AUDIENCE], iss=ISSUER)
    assert (await verifier.verify(token)).sub == "u1"


@pytest.mark.parametrize(
    ("audience", "issuer"),
    [("payroll-app", ISSUER), (AUDIENCE, "https://elsewhere.example.org"), (None, None)],
    ids=["other-aud", "other-iss", "neither"],
)
async def test_hs256_tokens_are_held_to_the_audience_and_issuer_too(
    audience: str | None, issuer: str | None
) -> None:
    verifier = TokenVerifier(secret=SECRET, audience=AUDIENCE, issuer=ISSUER)
    claims: dict[str, Any] = {
        name: value for name, value in (("aud", audience), ("iss", issuer)) if value
    }
    with pytest.raises(Problem) as refused:
        await verifier.verify(mint_token(SECRET, sub="u1", **claims))
    assert refused.value.status == 401


async def test_without_an_audience_or_issuer_configured_any_is_accepted() -> None:
    token = mint_token(SECRET, sub="u1", aud="someone-else", iss="anyone")
    assert (await TokenVerifier(secret=SECRET).verify(token)).sub == "u1"


async def test_an_unreachable_identity_provider_is_503_not_401(
    identity_provider: IdentityProvider,
) -> None:
    """The token may be good: a 503 with Retry-After tells the client to try again."""
    token = identity_provider.token({"aud": AUDIENCE, "iss": ISSUER})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    verifier = TokenVerifier(
        secret=SECRET,
        jwks_url=f"http://127.0.0.1:{closed}/jwks.json",
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    with pytest.raises(Problem) as refused:
        await verifier.verify(token)
    assert refused.value.status == 503
    assert int(refused.value.headers["Retry-After"]) > 0
