"""The secrets in the URLs notification gives out (a calendar feed, one-click unsubscribe), and
what is stored of them; no I/O.

Each secret is derived, HMAC-SHA256 under the server's link key, from what it stands for (the
user and the feed's rotation, or the user and an email category): 256 bits no one can guess
without the key, the same every time it is asked for, so the URL can be shown again and put in
every email without being stored. The database keeps only its SHA-256 (`digest`), to find whom
a URL belongs to: a lookup by hash, not a comparison of the secret with a stored one, so its
time says nothing about how close a guess came."""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Final

from notification.preferences import Category

DEV_LINK_SECRET: Final = "dev-link-secret-change-me-0123456789abcdef"  # noqa: S105 - local default
SECRET_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{43}")
"""A derived secret: 32 bytes in URL-safe base64, unpadded."""


def digest(secret: str) -> str:
    """What is stored of a secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def well_formed(secret: str) -> bool:
    return SECRET_SHAPE.fullmatch(secret) is not None


@dataclass(frozen=True)
class Links:
    public_url: str
    key: str = DEV_LINK_SECRET

    def _derive(self, *parts: str) -> str:
        message = "\0".join(parts).encode()
        mac = hmac.new(self.key.encode(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def feed_secret(self, user_id: str, rotation: int) -> str:
        return self._derive("calendar", user_id, str(rotation))

    def feed_url(self, secret: str) -> str:
        return f"{self.public_url}/calendar/{secret}.ics"

    def unsubscribe_token(self, user_id: str, category: Category) -> str:
        return self._derive("unsubscribe", user_id, category)

    def unsubscribe_url(self, token: str) -> str:
        return f"{self.public_url}/unsubscribe/{token}"
