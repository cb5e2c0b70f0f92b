"""Deleting a training asks first, on a page of its own (as a session and a curriculum do):
the training's page links to it, and only its form deletes."""

import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from console.app import create_app
from console.deps import TOKEN_COOKIE
from console.settings import ConsoleSettings
from console.texts import translate

pytestmark = pytest.mark.unit

SITE = "http://console.test"
TRAINING_ID = "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a20"
TRAINING = {
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


def manager() -> str:
    def segment(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"sub": "marie", "exp": int(time.time() + 3600), "roles": ["training_manager"],
              "organizations": ["org-1"], "locale": "en"}  # fmt: skip
    return f"{segment({'alg': 'HS256'})}.{segment(claims)}.c2ln"


@asynccontextmanager
async def console(
    handler: Callable[[httpx.Request], httpx.Response],
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        ConsoleSettings(CONSOLE_API_URL="http://api.test"), transport=httpx.MockTransport(handler)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=SITE,
            headers={"Accept": "text/html"},
            cookies={TOKEN_COOKIE: manager()},
        ) as client,
    ):
        yield client


async def test_deleting_a_training_asks_first() -> None:
    calls: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.url.path == f"/api/trainings/{TRAINING_ID}":
            return httpx.Response(200, json=TRAINING)
        return httpx.Response(200, json={"items": [], "total": 0})

    async with console(recording) as client:
        page = await client.get(f"/trainings/{TRAINING_ID}")
        assert page.status_code == 200
        assert f'href="/trainings/{TRAINING_ID}/delete"' in page.text
        assert f'action="/trainings/{TRAINING_ID}/delete"' not in page.text  # no one-click form

        question = await client.get(f"/trainings/{TRAINING_ID}/delete")
        assert question.status_code == 200
        sure = translate("trainings.delete_sure", "en", code="SST", title="Secourisme")
        assert sure in question.text
        assert f'action="/trainings/{TRAINING_ID}/delete"' in question.text
        assert f'href="/trainings/{TRAINING_ID}"' in question.text  # keep it
        assert not [call for call in calls if call.method == "DELETE"]

        deleted = await client.post(f"/trainings/{TRAINING_ID}/delete", headers={"Origin": SITE})
        assert deleted.status_code == 303
        assert deleted.headers["location"] == "/trainings?done=training_deleted"
    assert [call.url.path for call in calls if call.method == "DELETE"] == [
        f"/api/trainings/{TRAINING_ID}"
    ]
