"""Deleting a training asks first, on a page of its own (as a session and a curriculum do):
the training's page links to it, and only its form deletes."""

import httpx
import pytest
from console.texts import translate

from .fakes import SITE, TRAINING, TRAINING_ID, console, manager

pytestmark = pytest.mark.unit


async def test_deleting_a_training_asks_first() -> None:
    calls: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.url.path == f"/api/trainings/{TRAINING_ID}":
            return httpx.Response(200, json=TRAINING)
        return httpx.Response(200, json={"items": [], "total": 0})

    async with console(recording, signed_in=manager()) as client:
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
