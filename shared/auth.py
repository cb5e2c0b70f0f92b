"""Bearer tokens (CONTRACT §2) verified into a typed `Principal`.

HS256 with `JWT_SECRET`, or RS256 against `JWT_JWKS_URL` when it is set.
"""

import asyncio
import time
from collections.abc import Iterable
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from jwt.types import Options
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from shared.bounds import Email, Ident, Name
from shared.events import Locale
from shared.problems import Problem

PLATFORM_ADMIN = "platform_admin"
TRAINING_MANAGER = "training_manager"


class Principal(BaseModel):
    """Who is calling, from the token's claims."""

    model_config = ConfigDict(frozen=True)

    sub: Ident
    name: Name = ""
    email: Email = ""
    locale: Locale = "fr"
    roles: tuple[str, ...] = ()
    organizations: tuple[Ident, ...] = ()
    managed_organizations: tuple[Ident, ...] = ()

    @field_validator("locale", mode="before")
    @classmethod
    def _supported_locale(cls, value: object) -> str:
        """`fr-FR` and `en_GB` speak their language; a language we do not write, our default."""
        language = str(value or "").replace("_", "-").split("-")[0].lower()
        return language if language in ("fr", "en") else "fr"

    @property
    def is_platform_admin(self) -> bool:
        return PLATFORM_ADMIN in self.roles

    @property
    def is_training_manager(self) -> bool:
        return TRAINING_MANAGER in self.roles

    def manages_training_of(self, organizations: Iterable[str]) -> bool:
        """Manager of a training: a training_manager in one of its organizations (admins always)."""
        if self.is_platform_admin:
            return True
        return self.is_training_manager and not set(self.organizations).isdisjoint(organizations)

    def manages_organization_of(self, learner_organizations: Iterable[str]) -> bool:
        if self.is_platform_admin:
            return True
        return not set(self.managed_organizations).isdisjoint(learner_organizations)


class TokenVerifier:
    def __init__(self, *, secret: str, jwks_url: str | None = None) -> None:
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None

    async def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                key: Any = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
                claims = jwt.decode(token, key, algorithms=["RS256"], options=_DECODE_OPTIONS)
            else:
                claims = jwt.decode(
                    token, self._secret, algorithms=["HS256"], options=_DECODE_OPTIONS
                )
            return Principal.model_validate(claims)
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "Token expired", "The bearer token has expired.") from exc
        except (jwt.PyJWTError, ValidationError) as exc:
            raise Problem(401, "Invalid token", "The bearer token is not valid.") from exc


_DECODE_OPTIONS: Options = {"require": ["sub", "exp"], "verify_aud": False}


def mint_token(
    secret: str,
    *,
    sub: str,
    ttl_seconds: int = 3600,
    **claims: Any,
) -> str:
    """An HS256 token with the contract's claims, for the dev CLI, tests and benchmarks."""
    now = int(time.time())
    payload = {"sub": sub, "iat": now, "exp": now + ttl_seconds, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


async def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Not authenticated", "A bearer token is required.")
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(token.strip())


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
