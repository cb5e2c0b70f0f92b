import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import Principal, TokenVerifier, mint_token
from shared.problems import Problem

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


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    server.shutdown()


async def test_rs256_tokens_are_verified_against_the_jwks(
    jwks_server: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, key = jwks_server
    claims = {"sub": "u2", "exp": int(time.time()) + 60, "roles": ["platform_admin"]}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    principal = await TokenVerifier(secret=SECRET, jwks_url=url).verify(token)
    assert principal.sub == "u2"
    assert principal.is_platform_admin
    # an HS256 token signed with the shared secret is not accepted once JWKS is configured
    with pytest.raises(Problem):
        await TokenVerifier(secret=SECRET, jwks_url=url).verify(mint_token(SECRET, sub="u2"))
