"""Where a validation goes back to, over a fake API (httpx.MockTransport): to /awaiting when the
form came from there, to the session's page otherwise; never to a place the form names that is
not one of the console's known pages. And the inbox's message of a session, which names no
registration."""

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from console.app import create_app
from console.deps import TOKEN_COOKIE
from console.settings import ConsoleSettings

pytestmark = pytest.mark.unit

SESSION_ID = uuid.UUID("6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10")
REGISTRATION_ID = uuid.UUID("0f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a11")
VALIDATE = f"/sessions/{SESSION_ID}/registrations/{REGISTRATION_ID}/validate"


def bearer() -> str:
    claims = {"sub": "max", "name": "Max", "locale": "en", "roles": ["training_manager"],
              "organizations": ["org-1"]}  # fmt: skip
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"header.{encoded}.signature"


class ValidatingApi:
    """Answers the validation; keeps the bodies it was sent."""

    def __init__(self) -> None:
        self.validations: list[object] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == (
            f"/api/registrations/{REGISTRATION_ID}/validate"
        ):
            self.validations.append(json.loads(request.content))
            return httpx.Response(200, json={"id": str(REGISTRATION_ID), "status": "confirmed"})
        return httpx.Response(404, json={"status": 404, "title": "Not Found"})


@asynccontextmanager
async def console(
    fake: Callable[[httpx.Request], httpx.Response],
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        ConsoleSettings(CONSOLE_API_URL="http://api.test"), transport=httpx.MockTransport(fake)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://console.test",
            headers={"Accept": "text/html", "Origin": "http://console.test"},
            cookies={TOKEN_COOKIE: bearer()},
        ) as client,
    ):
        yield client


async def test_a_validation_sent_from_awaiting_goes_back_there() -> None:
    fake = ValidatingApi()
    async with console(fake) as client:
        answer = await client.post(VALIDATE, data={"step": "registration", "back": "/awaiting"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/awaiting?done=registration_validated"
    assert fake.validations == [{"step": "registration"}]


@pytest.mark.parametrize(
    "back",
    [None, "", "https://elsewhere.example/awaiting", "//elsewhere.example", "/awaiting/../x"],
)
async def test_any_other_validation_goes_back_to_the_sessions_page(back: str | None) -> None:
    fake = ValidatingApi()
    form = {"step": "registration"} if back is None else {"step": "registration", "back": back}
    async with console(fake) as client:
        answer = await client.post(VALIDATE, data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        f"/sessions/{SESSION_ID}?done=registration_validated#registrations"
    )
    assert fake.validations == [{"step": "registration"}]


async def test_the_awaiting_page_shows_the_notice_it_is_sent_back_with() -> None:
    """The redirect's `done` is said on /awaiting as on any page."""

    def empty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [], "total": 0})

    async with console(empty) as client:
        page = await client.get("/awaiting?done=registration_validated")
    assert page.status_code == 200
    assert "The registration is validated." in page.text


async def test_a_sessions_message_in_the_inbox_leads_to_the_session_in_the_catalog() -> None:
    """A message to a session's learners names the session and the message, no registration:
    the inbox shows it (it used to answer 500) with its link to the catalog."""
    message = {
        "id": str(REGISTRATION_ID),
        "subject": "Salle changée",
        "body": "Rendez-vous en salle 3.",
        "kind": "session.message",
        "created_at": "2027-05-01T08:00:00+00:00",
        "read_at": None,
        "ref": {"session_id": str(SESSION_ID), "message_id": str(REGISTRATION_ID)},
    }

    def inbox(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [message], "total": 1, "unread": 1})

    async with console(inbox) as client:
        page = await client.get("/inbox")
    assert page.status_code == 200
    assert f'href="/catalog/{SESSION_ID}"' in page.text
