"""The screens over a fake API (httpx.MockTransport): the catalog's coming sessions, what a
validator, an organization manager or a tutor is given to act on, the sessions table's events
with their "i", a learner's view of a session's events, the certificate link, a crafted window
time, the tutors named. The real system's flows are in tests/test_console_*.py."""

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from . import fakes
from .fakes import (
    REGISTRATION_ID,
    SEATS,
    SESSION_ID,
    TRAINING,
    TRAINING_ID,
    Routes,
    console,
    not_found,
    page_of,
    viewer,
)

pytestmark = pytest.mark.unit

EVENT_ID = "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a13"
SESSION: dict[str, Any] = {
    **fakes.SESSION,
    "public_registration": True,
    "validators": [],
    "max_users": 10,
    "event_registration_mode": "auto",
    "user_validation": False,
    "organization_validation": False,
    "registration_validation": False,
    "confirmation_hours": 72,
    "waitlist_offer_hours": None,
    "completion_rate": None,
    "reminder_hours": [24],
    "registration_opens_at": None,
    "registration_closes_at": None,
    "unregistration_closes_at": None,
    "curriculum_id": None,
    "version": 1,
    "created_at": "2027-01-01T00:00:00+00:00",
}
EVENT = {
    "id": EVENT_ID,
    "session_id": SESSION_ID,
    "title": "Gestes de premiers secours",
    "start": "2027-06-01T07:00:00+00:00",
    "end": "2027-06-01T11:00:00+00:00",
    "location": "Salle B",
    "description": None,
    "registration_mode": "auto",
    "max_users": None,
}
COMMENT = {
    "id": "1f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a14",
    "event_id": EVENT_ID,
    "author_id": "tom",
    "author_name": "Tom Tuteur",
    "body": "Apportez une tenue souple.",
    "created_at": "2027-05-01T08:00:00+00:00",
}


class FakeApi:
    """The API's answers by (method, path), with a default for the usual reads; the requests it
    got, to read their queries."""

    def __init__(self, routes: Routes) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        answer = self.routes.get((request.method, path))
        if answer is not None:
            return answer
        if path == f"/api/sessions/{SESSION_ID}":
            return httpx.Response(200, json=SESSION)
        if path == f"/api/trainings/{TRAINING_ID}":
            return httpx.Response(200, json=TRAINING)
        if path == "/api/seats":  # each session asked for: 8 seats of 10, open
            seat = SEATS["items"][0]
            asked = request.url.params.get_list("session_id")
            return page_of(*({**seat, "session_id": ident} for ident in asked))
        if path.endswith("/events") or path.endswith("/comments") or request.method == "GET":
            return page_of()
        return not_found(request)

    def queries(self, path: str) -> list[httpx.QueryParams]:
        return [r.url.params for r in self.requests if r.url.path == path]


MANAGER = viewer("max", "Max", roles=["training_manager"], organizations=["org-1"])


# --- 6. a crafted window time --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/sessions/new", f"/sessions/{SESSION_ID}/edit"])
async def test_a_window_time_no_clock_shows_is_given_back_as_typed(path: str) -> None:
    refused = httpx.Response(
        422,
        json={"status": 422, "title": "Unprocessable", "detail": "out of range",
              "errors": [{"loc": ["body", "registration_opens_at"], "msg": "out of range"}]},
    )  # fmt: skip
    fake = FakeApi(
        {
            ("POST", f"/api/trainings/{TRAINING_ID}/sessions"): refused,
            ("PATCH", f"/api/sessions/{SESSION_ID}"): refused,
        }
    )
    crafted = "0001-01-01T00:00+14:00"
    form = {"training_id": TRAINING_ID, "title": "S", "registration_opens_at": crafted}
    async with console(fake, signed_in=MANAGER) as client:
        page = await client.post(path, data=form)
    assert page.status_code == 422
    assert 'value="0001-01-01T00:00:00+14:00"' in page.text


# --- 3. the sessions table's events ------------------------------------------------------


async def test_each_unfolded_event_has_its_i_and_a_cancelled_session_no_clock() -> None:
    cancelled = {**SESSION, "id": "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a19", "status": "cancelled"}
    fake = FakeApi(
        {
            ("GET", "/api/sessions"): page_of(SESSION, cancelled),
            ("GET", "/api/trainings"): page_of(TRAINING),
            ("GET", f"/api/sessions/{SESSION_ID}/events"): page_of(EVENT),
        }
    )
    async with console(fake, signed_in=MANAGER) as client:
        page = await client.get("/sessions")
    assert page.status_code == 200
    assert f'href="/sessions/{SESSION_ID}?open={EVENT_ID}#event-{EVENT_ID}"' in page.text
    assert f'href="/sessions/{SESSION_ID}#new-event"' in page.text
    assert f'href="/sessions/{cancelled["id"]}#new-event"' not in page.text


# --- 7. the tutors named -----------------------------------------------------------------


async def test_the_session_page_names_the_tutors_the_api_names_somewhere() -> None:
    session = {**SESSION, "tutors": ["tom", "max", "zoe"]}
    fake = FakeApi(
        {
            ("GET", f"/api/sessions/{SESSION_ID}"): httpx.Response(200, json=session),
            ("GET", f"/api/sessions/{SESSION_ID}/events"): page_of(EVENT),
            ("GET", f"/api/events/{EVENT_ID}/comments"): page_of(COMMENT),
        }
    )
    async with console(fake, signed_in=MANAGER) as client:
        page = await client.get(f"/sessions/{SESSION_ID}")
    assert page.status_code == 200
    assert "<dd>Tom Tuteur, Max, zoe</dd>" in page.text


# --- 1. the catalog: what has not ended, soonest first --------------------------------------


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def dated(ident: str, title: str, start: date, end: date) -> dict[str, Any]:
    return {**SESSION, "id": ident, "title": title, "start_date": start.isoformat(),
            "end_date": end.isoformat()}  # fmt: skip


class CatalogApi(FakeApi):
    """The sessions API as the catalog asks it: the coming ones, or the begun ones."""

    def __init__(self, coming: list[Any], begun: list[Any]) -> None:
        super().__init__({})
        self.coming, self.begun = coming, begun

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/api/sessions":
            return super().__call__(request)
        self.requests.append(request)
        query = request.url.params
        found = self.coming if "starts_after" in query else self.begun
        if query.get("sort") == "end_date":
            found = sorted(found, key=lambda s: s["end_date"], reverse=True)
        return page_of(*found)


async def test_the_catalog_shows_what_has_not_ended_soonest_first() -> None:
    day = today()
    going = dated(str(uuid.uuid4()), "Going on", day - timedelta(days=2), day + timedelta(1))
    ended = dated(str(uuid.uuid4()), "Ended", day - timedelta(days=9), day - timedelta(1))
    soon = dated(str(uuid.uuid4()), "Soon", day + timedelta(days=3), day + timedelta(4))
    fake = CatalogApi(coming=[soon], begun=[ended, going])
    async with console(fake, signed_in=viewer()) as client:
        page = await client.get("/catalog")
    assert page.status_code == 200
    begun, coming = sorted(fake.queries("/api/sessions"), key=lambda q: "starts_after" in q)
    assert coming["starts_after"] == day.isoformat()
    assert (coming["sort"], coming["order"], coming["status"]) == ("start_date", "asc", "scheduled")
    assert begun["starts_before"] == (day - timedelta(days=1)).isoformat()
    assert "Going on" in page.text
    assert "Soon" in page.text
    assert "Ended" not in page.text
    assert page.text.index("Under way") < page.text.index("Going on") < page.text.index("Soon")
    assert f'<a href="/catalog/{soon["id"]}">register' in page.text  # open: marked
    assert 'href="/catalog?view=begun"' in page.text


async def test_the_catalog_shows_the_begun_ones_on_demand() -> None:
    day = today()
    ended = dated(str(uuid.uuid4()), "Ended", day - timedelta(days=9), day - timedelta(1))
    fake = CatalogApi(coming=[], begun=[ended])
    async with console(fake, signed_in=viewer()) as client:
        page = await client.get("/catalog?view=begun")
    assert page.status_code == 200
    (query,) = fake.queries("/api/sessions")
    assert query["starts_before"] == (day - timedelta(days=1)).isoformat()
    assert query["order"] == "desc"
    assert "Ended" in page.text


# --- 4. a learner's view of a session: its events and their comments ----------------------


async def test_a_learner_reads_the_sessions_events_and_their_comments() -> None:
    fake = FakeApi(
        {
            ("GET", f"/api/sessions/{SESSION_ID}/events"): page_of(EVENT),
            ("GET", f"/api/events/{EVENT_ID}/comments"): page_of(COMMENT),
        }
    )
    async with console(fake, signed_in=viewer()) as client:
        page = await client.get(f"/catalog/{SESSION_ID}")
    assert page.status_code == 200
    assert "<h3>Gestes de premiers secours</h3>" in page.text
    assert "9:00" in page.text  # 07:00 UTC is 09:00 in Paris
    assert "Salle B" in page.text
    assert "Apportez une tenue souple." in page.text
    assert "Tom Tuteur" in page.text
    assert "/comments/" not in page.text  # reading only


# --- 5. the certificate link --------------------------------------------------------------


async def test_the_certificate_link_does_not_wait_for_the_completion() -> None:
    begun = {**SESSION, "start_date": (today() - timedelta(days=3)).isoformat()}
    registration: dict[str, Any] = {
        "id": REGISTRATION_ID,
        "session_id": SESSION_ID,
        "status": "confirmed",
        "pending_validations": [],
        "completion": None,
        "created_at": "2027-01-01T00:00:00+00:00",
    }
    fake = FakeApi(
        {
            ("GET", f"/api/sessions/{SESSION_ID}"): httpx.Response(200, json=begun),
            ("GET", "/api/registrations"): page_of(registration),
        }
    )
    async with console(fake, signed_in=viewer()) as client:
        page = await client.get("/my/registrations")
    assert page.status_code == 200
    assert f'href="/my/registrations/{REGISTRATION_ID}/certificate.pdf"' in page.text
    assert "once an event you attended has its attendance validated" in page.text


# --- 2. what awaits an organization manager, a validator, a tutor -------------------------


def pending(ident: str, step: str, organizations: list[str]) -> dict[str, Any]:
    return {
        "id": ident,
        "session_id": SESSION_ID,
        "status": "pending",
        "pending_validations": [step],
        "user": {"id": f"learner-{ident[:4]}", "name": f"Learner {ident[:4]}",
                 "email": "l@example.org", "organizations": organizations},
        "created_at": "2027-05-01T08:00:00+00:00",
    }  # fmt: skip


class AwaitingApi(FakeApi):
    def __init__(self, session: dict[str, Any], registrations: list[Any]) -> None:
        super().__init__(
            {("GET", f"/api/sessions/{SESSION_ID}"): httpx.Response(200, json=session)}
        )
        self.session, self.registrations = session, registrations

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = request.url.params
        if request.url.path == "/api/sessions":
            self.requests.append(request)
            return page_of(self.session) if "starts_after" in query else page_of()
        if request.url.path == "/api/registrations":
            self.requests.append(request)
            return page_of(*(r for r in self.registrations if r["status"] == query["status"]))
        return super().__call__(request)


OTHER = "2f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a15"


async def test_an_organization_manager_is_given_the_registrations_awaiting_them() -> None:
    mine = pending(REGISTRATION_ID, "organization", ["org-9"])
    elsewhere = pending(OTHER, "organization", ["org-2"])
    fake = AwaitingApi(SESSION, [mine, elsewhere])
    bearer = viewer("olga", "Olga", managed_organizations=["org-9"])
    async with console(fake, signed_in=bearer) as client:
        home = await client.get("/")
        page = await client.get("/awaiting")
    assert 'href="/awaiting"' in home.text
    assert page.status_code == 200
    action = f"/sessions/{SESSION_ID}/registrations/{REGISTRATION_ID}/validate"
    assert f'action="{action}"' in page.text
    assert 'value="organization"' in page.text
    assert OTHER not in page.text
    statuses = {q["status"] for q in fake.queries("/api/registrations")}
    assert statuses == {"pending", "waitlisted", "offered"}


async def test_a_validator_and_a_tutor_are_given_their_sessions() -> None:
    session = {**SESSION, "validators": ["vera"], "tutors": ["vera"]}
    fake = AwaitingApi(session, [pending(REGISTRATION_ID, "validator", [])])
    async with console(fake, signed_in=viewer("vera", "Vera")) as client:
        page = await client.get("/awaiting")
    assert page.status_code == 200
    assert 'value="validator"' in page.text
    assert f'<li><a href="/sessions/{SESSION_ID}">Secourisme, juin</a>' in page.text
    assert "(tutor, validator)" in page.text


async def test_the_validators_inbox_message_leads_to_the_sessions_page() -> None:
    message = {
        "id": OTHER,
        "subject": "A registration awaits your validation",
        "body": "Léa asks.",
        "kind": "registration.awaits_validation",
        "created_at": "2027-05-01T08:00:00+00:00",
        "read_at": None,
        "ref": {"registration_id": REGISTRATION_ID, "session_id": SESSION_ID},
    }
    inbox = httpx.Response(200, json={"items": [message], "total": 1, "unread": 1})
    fake = FakeApi({("GET", "/api/inbox"): inbox})
    async with console(fake, signed_in=viewer("vera", "Vera")) as client:
        page = await client.get("/inbox")
    assert page.status_code == 200
    assert f'href="/sessions/{SESSION_ID}#registration-{REGISTRATION_ID}"' in page.text
