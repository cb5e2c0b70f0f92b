"""Who is signed in: the claims of their bearer token, read for display only.

The console never decides anything with them: every call it makes carries the token and the API
verifies it. A token that cannot be read, or whose `exp` has passed, signs nobody in.
"""

import base64
import binascii
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Literal

Locale = Literal["fr", "en"]
LOCALES: tuple[Locale, ...] = ("fr", "en")
TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
"""What a bearer token is made of (RFC 6750): ASCII only, so it fits a cookie and a header."""


def looks_like_a_token(text: str) -> bool:
    return TOKEN68.fullmatch(text.strip()) is not None


@dataclass(frozen=True)
class Viewer:
    token: str
    id: str
    name: str
    email: str
    locale: Locale
    roles: frozenset[str]
    organizations: frozenset[str]
    managed_organizations: frozenset[str]
    expires_at: float | None

    @property
    def is_admin(self) -> bool:
        return "platform_admin" in self.roles

    @property
    def is_training_manager(self) -> bool:
        return "training_manager" in self.roles

    @property
    def manages_learners(self) -> bool:
        """An organization manager: may give the `organization` step of their learners."""
        return bool(self.managed_organizations)


def viewer_from_token(token: str, *, now: float | None = None) -> Viewer | None:
    """The viewer a JWT names, or None when it is not a readable, unexpired token."""
    if not looks_like_a_token(token):
        return None
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    claims = _payload(parts[1])
    if claims is None:
        return None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return None
    exp = claims.get("exp")
    expires_at = (
        _number(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None
    )
    if expires_at is not None and math.isnan(expires_at):  # NaN, or an int beyond any float
        return None
    if expires_at is not None and expires_at <= (time.time() if now is None else now):
        return None
    locale = claims.get("locale")
    return Viewer(
        token=token.strip(),
        id=sub,
        name=_text(claims.get("name")) or sub,
        email=_text(claims.get("email")),
        locale=locale if locale in LOCALES else "fr",
        roles=_strings(claims.get("roles")),
        organizations=_strings(claims.get("organizations")),
        managed_organizations=_strings(claims.get("managed_organizations")),
        expires_at=expires_at,
    )


def _payload(segment: str) -> dict[str, object] | None:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def _number(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float
        return math.nan


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: object) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    return frozenset(item for item in value if isinstance(item, str))
