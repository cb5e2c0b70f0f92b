"""Where a validation goes back to, over a fake API (httpx.MockTransport): to /awaiting when the
form came from there, to the session's page otherwise; never to a place the form names that is
not one of the console's known pages. And the inbox's message of a session, which names no
registration."""

import json

import httpx
import pytest

from .fakes import REGISTRATION_ID, SESSION_ID, SITE, console, manager, not_found

pytestmark = pytest.mark.unit

MANAGER = manager("max", name="Max")
FROM_THE_CONSOLE = {"Origin": SITE}
VALIDATE = f"/sessions/{SESSION_ID}/registrations/{REGISTRATION_ID}/validate"


class ValidatingApi:
    """Answers the validation; keeps the bodies it was sent."""

    def __init__(self) -> None:
        self.validations: list[object] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == (
            f"/api/registrations/{REGISTRATION_ID}/validate"
        ):
            self.validations.append(json.loads(request.content))
            return httpx.Response(200, json={"id": REGISTRATION_ID, "status": "confirmed"})
        return not_found(request)


async def test_a_validation_sent_from_awaiting_goes_back_there() -> None:
    fake = ValidatingApi()
    async with console(fake, signed_in=MANAGER, headers=FROM_THE_CONSOLE) as client:
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
    async with console(fake, signed_in=MANAGER, headers=FROM_THE_CONSOLE) as client:
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

    async with console(empty, signed_in=MANAGER, headers=FROM_THE_CONSOLE) as client:
        page = await client.get("/awaiting?done=registration_validated")
    assert page.status_code == 200
    assert "The registration is validated." in page.text


async def test_a_sessions_message_in_the_inbox_leads_to_the_session_in_the_catalog() -> None:
    """A message to a session's learners names the session and the message, no registration:
    the inbox shows it (it used to answer 500) with its link to the catalog."""
    message = {
        "id": REGISTRATION_ID,
        "subject": "Salle changée",
        "body": "Rendez-vous en salle 3.",
        "kind": "session.message",
        "created_at": "2027-05-01T08:00:00+00:00",
        "read_at": None,
        "ref": {"session_id": SESSION_ID, "message_id": REGISTRATION_ID},
    }

    def inbox(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [message], "total": 1, "unread": 1})

    async with console(inbox, signed_in=MANAGER, headers=FROM_THE_CONSOLE) as client:
        page = await client.get("/inbox")
    assert page.status_code == 200
    assert f'href="/catalog/{SESSION_ID}"' in page.text
