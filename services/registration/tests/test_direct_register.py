"""`POST /api/registrations` answered directly (`api.registrations.DirectRegister`) answers
exactly as FastAPI's own handling of the route does, for the common request and for every odd
one it hands back to FastAPI; the use case is a stand-in (no database)."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi.routing import APIRoute
from registration.api.registrations import DirectRegister
from registration.app import create_app
from registration.settings import RegistrationSettings
from registration.use_cases.admission import RegistrationRequest

from shared.auth import Principal, mint_token
from shared.events import Registration
from shared.refusals import conflict

pytestmark = pytest.mark.unit

SECRET = "direct-register-secret-0123456789abcdef"
SESSION = uuid.UUID("6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10")
FULL = uuid.UUID("00000000-0000-0000-0000-000000000409")
NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


class StandIn:
    """`Registrations.register` as the routes call it: a registration of the caller (or of the
    user a manager names), a 409 for the session `FULL`."""

    def __init__(self) -> None:
        self.calls: list[tuple[Principal, RegistrationRequest]] = []

    async def register(self, actor: Principal, request: RegistrationRequest) -> Registration:
        self.calls.append((actor, request))
        if request.session_id == FULL:
            raise conflict("Already registered to this session.", id=str(FULL))
        user = request.user.model_dump() if request.user else {"id": actor.sub}
        return Registration.model_validate(
            {
                "id": uuid.UUID(int=len(self.calls)),
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
                "session_id": request.session_id,
                "training_id": SESSION,
                "user": {"email": actor.email, "name": actor.name, **user},
                "status": "confirmed",
                "pending_validations": [],
                "answers": dict(request.answers),
            }
        )


@asynccontextmanager
async def client(*, direct: bool) -> AsyncIterator[tuple[httpx.AsyncClient, StandIn]]:
    """The app as its process builds it (nothing connected); `direct=False`: the route handled
    by FastAPI alone, as before `DirectRegister`."""
    with _fastapi_only(not direct):
        app = create_app(
            RegistrationSettings(
                database_url="postgresql://nobody@127.0.0.1:1/none", jwt_secret=SECRET
            )
        )
    stand_in = StandIn()
    app.state.registrations = stand_in
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://r") as http:
        yield http, stand_in


@contextmanager
def _fastapi_only(on: bool) -> Iterator[None]:
    original = DirectRegister.get_route_handler
    if on:
        DirectRegister.get_route_handler = APIRoute.get_route_handler  # type: ignore[method-assign]
    try:
        yield
    finally:
        DirectRegister.get_route_handler = original  # type: ignore[method-assign]


def bearer(sub: str = "lea", **claims: Any) -> str:
    token = mint_token(SECRET, sub=sub, email=f"{sub}@example.org", name="Léa", **claims)
    return f"Bearer {token}"


MANAGER = bearer("manager", roles=["training_manager"], organizations=["org-a"])
JSON = "application/json"
# (headers, body): what a client may send, well or badly
REQUESTS: dict[str, tuple[dict[str, str], bytes]] = {
    "a learner": ({"authorization": bearer()}, b'{"session_id": "%s"}' % str(SESSION).encode()),
    "answers and force": (
        {"authorization": bearer(), "content-type": "application/json; charset=utf-8"},
        b'{"session_id": "%s", "force": true, "answers": {"diet": "veg", "topics": ["a"]}}'
        % str(SESSION).encode(),
    ),
    "a manager for someone": (
        {"authorization": MANAGER},
        b'{"session_id": "%s", "user": {"id": "tom", "email": "tom@example.org", "name": "T"}}'
        % str(SESSION).encode(),
    ),
    "refused by the use case": (
        {"authorization": bearer()},
        b'{"session_id": "%s"}' % str(FULL).encode(),
    ),
    "no token": ({}, b'{"session_id": "%s"}' % str(SESSION).encode()),
    "a forged token": (
        {"authorization": "Bearer abc.def.ghi"},
        b'{"session_id": "%s"}' % str(SESSION).encode(),
    ),
    "a bad token and a bad body": ({"authorization": "Bearer x"}, b"{"),
    "malformed JSON": ({"authorization": bearer()}, b'{"session_id": '),
    "not an object": ({"authorization": bearer()}, b'["%s"]' % str(SESSION).encode()),
    "no body": ({"authorization": bearer()}, b""),
    "a wrong type": ({"authorization": bearer()}, b'{"session_id": 12, "force": "maybe"}'),
    "bad answers": (
        {"authorization": bearer()},
        b'{"session_id": "%s", "answers": {"diet": 3}}' % str(SESSION).encode(),
    ),
    "a NUL in a string": (
        {"authorization": bearer()},
        b'{"session_id": "%s", "answers": {"diet": "a\\u0000b"}}' % str(SESSION).encode(),
    ),
    "too deep": ({"authorization": bearer()}, b"[" * 100_000 + b"]" * 100_000),
    "text/plain": (
        {"authorization": bearer(), "content-type": "text/plain"},
        b'{"session_id": "%s"}' % str(SESSION).encode(),
    ),
    "a +json type": (
        {"authorization": bearer(), "content-type": "application/merge-patch+json"},
        b'{"session_id": "%s"}' % str(SESSION).encode(),
    ),
}


@pytest.mark.parametrize("case", REQUESTS)
async def test_answers_as_fastapi_does(case: str) -> None:
    headers, body = REQUESTS[case]
    answers: list[object] = []
    for direct in (True, False):
        async with client(direct=direct) as (http, stand_in):
            answer = await http.post(
                "/api/registrations", content=body, headers={"content-type": JSON, **headers}
            )
            answers.append((answer.status_code, answer.headers.get("content-type"), answer.content))
            answers.append(tuple(stand_in.calls))
    assert answers[0] == answers[2]
    assert answers[1] == answers[3]


async def test_the_common_request_skips_fastapis_dependency_solving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    solved: list[str] = []
    solve = fastapi.routing.solve_dependencies  # type: ignore[attr-defined]

    async def counted(**kwargs: Any) -> Any:
        solved.append(kwargs["request"].url.path)
        return await solve(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    headers, body = REQUESTS["a learner"]
    async with client(direct=True) as (http, stand_in):
        ok = await http.post(
            "/api/registrations", content=body, headers={**headers, "content-type": JSON}
        )
        bad = await http.post(
            "/api/registrations",
            content=b'{"session_id": 12}',
            headers={**headers, "content-type": JSON},
        )
    assert (ok.status_code, bad.status_code) == (201, 422)
    assert solved == ["/api/registrations"]  # the one that does not fit only
    assert ok.json()["user"] == {
        "id": "lea",
        "email": "lea@example.org",
        "name": "Léa",
        "locale": "fr",
        "organizations": [],
    }
    assert [actor.sub for actor, _ in stand_in.calls] == ["lea"]


def test_the_route_keeps_its_class_once_made_the_apps_own() -> None:
    app = create_app(
        RegistrationSettings(database_url="postgresql://nobody@127.0.0.1:1/none", jwt_secret=SECRET)
    )
    routes = [
        route
        for route in app.routes
        if isinstance(route, APIRoute) and route.path == "/api/registrations"
    ]
    assert [(type(route), route.methods) for route in routes] == [
        (DirectRegister, {"POST"}),
        (APIRoute, {"GET"}),
    ]


async def test_a_client_gone_before_its_body_is_answered_as_fastapi_does() -> None:
    answers = []
    for direct in (True, False):
        async with client(direct=direct) as (http, _):
            transport = http._transport
            assert isinstance(transport, httpx.ASGITransport)
            sent: list[dict[str, Any]] = []
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": "/api/registrations",
                "raw_path": b"/api/registrations",
                "query_string": b"",
                "root_path": "",
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"authorization", bearer().encode()),
                ],
                "client": ("127.0.0.1", 1),
                "server": ("r", 80),
            }

            async def receive() -> dict[str, Any]:
                return {"type": "http.disconnect"}

            await transport.app(scope, receive, _into(sent))  # type: ignore[arg-type]
            answers.append([m.get("status") for m in sent if m["type"] == "http.response.start"])
    assert answers[0] == answers[1] == [400]


def _into(sent: list[dict[str, Any]]) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    return send
