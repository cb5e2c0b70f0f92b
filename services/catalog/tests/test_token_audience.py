"""The catalog behind an identity provider, configured as an operator would (JWT_JWKS_URL,
JWT_AUDIENCE, JWT_ISSUER in the environment): its routes and its Idempotency-Key middleware take
only tokens meant for this platform by that issuer."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import catalog
import httpx
import pytest
from catalog.app import create_app
from catalog.settings import CatalogSettings

from shared.auth import mint_token
from shared.migrations import upgrade_to_head
from shared.settings import DEV_JWT_SECRET, read_settings
from testsupport.identity_provider import AUDIENCE, ISSUER, IdentityProvider, serving_jwks
from testsupport.infra import (
    Servers,
    create_database,
    create_vhost,
    delete_vhost,
    drop_databases,
    unique_name,
)

pytestmark = pytest.mark.integration

MIGRATIONS = Path(catalog.__file__).parent / "migrations"
ADMIN = {"sub": "admin-1", "roles": ["platform_admin"]}
PAYROLL = "payroll-app"


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[IdentityProvider]:
    with serving_jwks() as serving:
        yield serving


@pytest.fixture(scope="module")
async def http(
    servers: Servers, identity_provider: IdentityProvider
) -> AsyncIterator[httpx.AsyncClient]:
    name = unique_name("catalog_tokens")
    database_url = await create_database(servers, name)
    vhost = unique_name("catalog_tokens")
    environment = {
        "CATALOG_DATABASE_URL": database_url,
        "AMQP_URL": create_vhost(servers, vhost),
        "JWT_JWKS_URL": identity_provider.jwks_url,
        "JWT_AUDIENCE": AUDIENCE,
        "JWT_ISSUER": ISSUER,
    }
    try:
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(CatalogSettings.model_config, "env_file", None)
            for variable, value in environment.items():
                patch.setenv(variable, value)
            settings = read_settings(CatalogSettings)
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as http,
        ):
            yield http
    finally:
        delete_vhost(servers, vhost)
        await drop_databases(servers, name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_for_this_platform_from_its_issuer_is_served(
    http: httpx.AsyncClient, identity_provider: IdentityProvider
) -> None:
    token = identity_provider.token({**ADMIN, "aud": [AUDIENCE, "console"], "iss": ISSUER})
    answer = await http.get("/api/trainings", headers=bearer(token))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"aud": PAYROLL, "iss": ISSUER}, "not meant for this platform"),
        ({"aud": AUDIENCE, "iss": "https://idp.example.org/realms/payroll"}, "another issuer"),
        ({"iss": ISSUER}, "The bearer token has no `aud` claim."),
    ],
    ids=["payroll-app", "other-issuer", "no-aud"],
)
async def test_a_token_of_another_application_or_issuer_is_401(
    http: httpx.AsyncClient,
    identity_provider: IdentityProvider,
    claims: dict[str, object],
    detail: str,
) -> None:
    token = identity_provider.token({**ADMIN, **claims})
    answer = await http.get("/api/trainings", headers=bearer(token))
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert detail in answer.json()["detail"]
    assert token not in answer.text


async def test_hs256_tokens_are_401_once_a_jwks_is_configured(http: httpx.AsyncClient) -> None:
    token = mint_token(DEV_JWT_SECRET, sub="admin-1", roles=["platform_admin"], aud=AUDIENCE)
    answer = await http.get("/api/trainings", headers=bearer(token))
    assert answer.status_code == 401


async def test_an_idempotency_key_replays_nothing_to_another_applications_token(
    http: httpx.AsyncClient, identity_provider: IdentityProvider
) -> None:
    """Same `sub`, same key, same body: only a token meant for us is its owner."""
    code = f"SEC-{uuid.uuid4().hex[:8]}"
    body = {"code": code, "title": "Security", "organizations": ["org-1"]}
    ours = identity_provider.token({**ADMIN, "aud": AUDIENCE, "iss": ISSUER})
    payroll = identity_provider.token({**ADMIN, "aud": PAYROLL, "iss": ISSUER})
    headers = {"Idempotency-Key": code}

    created = await http.post("/api/trainings", json=body, headers={**headers, **bearer(ours)})
    assert created.status_code == 201, created.text
    replayed = await http.post("/api/trainings", json=body, headers={**headers, **bearer(ours)})
    assert replayed.json()["id"] == created.json()["id"]
    refused = await http.post("/api/trainings", json=body, headers={**headers, **bearer(payroll)})
    assert refused.status_code == 401
    assert created.json()["id"] not in refused.text
