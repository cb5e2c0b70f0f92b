"""Bearer tokens (docs/reference/http.md, Auth) verified into a typed `Principal`.

HS256 with `JWT_SECRET`, or RS256 against `JWT_JWKS_URL` when it is set; either way, when
`JWT_AUDIENCE`/`JWT_ISSUER` are set, only tokens meant for us by our identity provider.
"""

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from jwt.types import Options
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from shared.bounds import Email, Ident, Name
from shared.events import Locale
from shared.problems import RETRY_AFTER_S, Problem
from shared.settings import ServiceSettings

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
    """A bearer token's signature and `exp`, and, when configured, that its `aud` contains
    `audience` and its `iss` is `issuer`: the identity provider signs tokens for other
    applications too, with the same keys."""

    def __init__(
        self,
        *,
        secret: str,
        jwks_url: str | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        verified: "VerifiedTokens | None" = None,
    ) -> None:
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._audience = audience
        self._issuer = issuer
        # unchecked, PyJWT would refuse every token that has an `aud` when none is configured
        self._options: Options = {"require": ["sub", "exp"], "verify_aud": audience is not None}
        self._verified = verified if verified is not None else VerifiedTokens()

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "TokenVerifier":
        return cls(
            secret=settings.jwt_secret,
            jwks_url=settings.jwt_jwks_url,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        )

    async def verify(self, token: str) -> Principal:
        if (principal := self._verified.get(token)) is not None:
            return principal
        try:
            claims = await self._claims(token)
            principal = Principal.model_validate(claims)
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "Token expired", "The bearer token has expired.") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise _invalid(f"The bearer token has no `{exc.claim}` claim.") from exc
        except jwt.InvalidAudienceError as exc:
            raise _invalid("The bearer token is not meant for this platform (`aud`).") from exc
        except jwt.InvalidIssuerError as exc:
            raise _invalid("The bearer token comes from another issuer (`iss`).") from exc
        except jwt.PyJWKClientConnectionError as exc:
            # the token may well be good: not a 401, which a client would not retry
            raise Problem(
                503,
                "Identity provider unreachable",
                "The identity provider's keys cannot be fetched right now; retry later.",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            ) from exc
        except (jwt.PyJWTError, ValidationError) as exc:
            raise _invalid("The bearer token is not valid.") from exc
        with contextlib.suppress(TypeError, ValueError, OverflowError):  # PyJWT took it as int
            self._verified.put(token, principal, float(claims["exp"]))
        return principal

    async def _claims(self, token: str) -> dict[str, Any]:
        if self._jwks is None:
            key: Any = self._secret
            algorithm = "HS256"
        else:
            key = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            algorithm = "RS256"
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=self._audience,
            issuer=self._issuer,
            options=self._options,
        )
        return claims


class VerifiedTokens:
    """The principals of tokens verified lately, each until its token's `exp`, at most `size`
    of them (the least recently used go first): a browser or a platform sends the same token
    with each of its requests, and its signature need not be checked again. A cached token is
    as good as it was when verified, for no longer than it says itself; a refused one is never
    kept."""

    def __init__(self, size: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self._size = size
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, expires_at = entry
        if self._clock() >= expires_at:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return principal

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        self._entries[token] = (principal, expires_at)
        self._entries.move_to_end(token)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _invalid(detail: str) -> Problem:
    return Problem(401, "Invalid token", detail)


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
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verify_authorization(verifier, request.headers.get("authorization", ""))


async def verify_authorization(verifier: TokenVerifier, authorization: str) -> Principal:
    """The caller an `Authorization` value (`Bearer <JWT>`) names, the HTTP header's or the
    AMQP header's alike; a 401 problem when it names none or its token is not valid."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Not authenticated", "A bearer token is required.")
    return await verifier.verify(token.strip())


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
