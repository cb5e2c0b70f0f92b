"""Bearer tokens with the claims of docs/reference/http.md (Auth), for the dev CLI, tests and
benchmarks."""

from collections.abc import Iterable
from typing import Literal

from devstack.defaults import ADMIN_TOKEN_TTL_S
from shared.auth import PLATFORM_ADMIN, mint_token

Locale = Literal["fr", "en"]

ADMIN_SUB = "admin"


def mint(
    secret: str,
    *,
    sub: str,
    name: str | None = None,
    email: str | None = None,
    locale: Locale = "fr",
    roles: Iterable[str] = (),
    organizations: Iterable[str] = (),
    managed_organizations: Iterable[str] = (),
    ttl_s: int = 3600,
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    """An HS256 JWT signed with `secret`; `name`/`email`, `aud` (`audience`) and `iss` (`issuer`)
    are left out when not given."""
    claims: dict[str, object] = {
        "locale": locale,
        "roles": list(roles),
        "organizations": list(organizations),
        "managed_organizations": list(managed_organizations),
    }
    optional = {"name": name, "email": email, "aud": audience, "iss": issuer}
    claims.update({claim: value for claim, value in optional.items() if value is not None})
    return mint_token(secret, sub=sub, ttl_seconds=ttl_s, **claims)


def admin_token(
    secret: str,
    *,
    ttl_s: int = ADMIN_TOKEN_TTL_S,
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    return mint(
        secret,
        sub=ADMIN_SUB,
        name="Platform Admin",
        email="admin@example.org",
        locale="en",
        roles=[PLATFORM_ADMIN],
        ttl_s=ttl_s,
        audience=audience,
        issuer=issuer,
    )
