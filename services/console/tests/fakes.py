"""What the console's unit tests share to run the app over a fake API: the sample training,
session and registration, a signed-in viewer's token, the API's answers, and the console itself
as an httpx client (`create_app(..., transport=MockTransport)`)."""

import base64
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from console.app import create_app
from console.deps import TOKEN_COOKIE
from console.settings import ConsoleSettings

SITE = "http://console.test"
HTML = {"Accept": "text/html,application/xhtml+xml"}

TRAINING_ID = "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a20"
SESSION_ID = "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10"
REGISTRATION_ID = "0f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a11"
TRAINING: dict[str, Any] = {
    "id": TRAINING_ID,
    "code": "SST",
    "title": "Secourisme",
    "description": None,
    "organizations": ["org-1"],
    "public_registration": True,
    "event_registration_mode": "auto",
    "max_users": None,
    "version": 1,
}
SESSION: dict[str, Any] = {
    "id": SESSION_ID,
    "training_id": TRAINING_ID,
    "title": "Secourisme, juin",
    "start_date": "2027-06-01",
    "end_date": "2027-06-02",
    "location": "Nantes",
    "description": None,
    "status": "scheduled",
    "questions": [],
    "public_unregistration": True,
    "organizations": ["org-1"],
    "tutors": [],
    "default_session": False,
    "workspace_url": None,
}
SEATS = {"items": [{"session_id": SESSION_ID, "max_users": 10, "taken": 2, "waitlisted": 0,
                    "free": 8, "open": True}]}  # fmt: skip

Handler = Callable[[httpx.Request], httpx.Response]
Routes = dict[tuple[str, str], httpx.Response]


def token(sub: str = "marie", *, expires_in: float = 3600, **claims: Any) -> str:
    """A JWT-shaped token the console reads (it checks no signature: the API does)."""

    def segment(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    payload = {"sub": sub, "exp": int(time.time() + expires_in), **claims}
    return f"{segment({'alg': 'HS256'})}.{segment(payload)}.c2ln"


def manager(sub: str = "marie", *, locale: str = "en", **claims: Any) -> str:
    """A training manager of org-1."""
    return token(sub, roles=["training_manager"], organizations=["org-1"], locale=locale, **claims)


def viewer(sub: str = "lea", name: str = "Léa", *, locale: str = "en", **claims: Any) -> str:
    return token(sub, name=name, locale=locale, **claims)


def page_of(*items: Any) -> httpx.Response:
    return httpx.Response(200, json={"items": list(items), "total": len(items)})


def problem(status: int, detail: str, *, title: str = "Problem", **extra: Any) -> httpx.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return httpx.Response(
        status, json={**body, **extra}, headers={"Content-Type": "application/problem+json"}
    )


def not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"status": 404, "title": "Not Found"})


def unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@asynccontextmanager
async def console(
    api: Handler,
    *,
    signed_in: str | None = None,
    environment: str = "local",
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """The console over `api`, asked for HTML, with `signed_in`'s token in its cookie."""
    settings = ConsoleSettings(CONSOLE_API_URL="http://api.test", ENVIRONMENT=environment)
    app = create_app(settings, transport=httpx.MockTransport(api))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=SITE,
            headers={**HTML, **(headers or {})},
            cookies={TOKEN_COOKIE: signed_in} if signed_in else None,
        ) as client,
    ):
        yield client
