"""The rules a learner's registration follows, over the catalog's HTTP API: `waitlist_offer_hours`,
`questions`, `completion_rate` and `reminder_hours` on trainings (defaults) and sessions (their own
copy, taken from the training when omitted), and a session's own registration window."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import catalog
import httpx
import pytest
from catalog.app import create_app
from catalog.settings import CatalogSettings

from shared.auth import mint_token
from shared.migrations import upgrade_to_head
from testsupport.infra import (
    Servers,
    create_database,
    create_vhost,
    delete_vhost,
    drop_databases,
    unique_name,
)

pytestmark = pytest.mark.integration

MIGRATIONS = Path(catalog.__file__).parent / "migrations"
SECRET = "registration-rules-secret-0123456789"
QUESTIONS: list[dict[str, object]] = [
    {"id": "diet", "label": "Diet", "kind": "choice", "required": True, "choices": ["any", "veg"]},
    {"id": "remarks", "label": "Remarks", "kind": "text"},
]
OPENS, CLOSES = "2027-02-01T09:00:00+01:00", "2027-02-20T18:00:00+01:00"


@pytest.fixture(scope="module")
async def database_url(servers: Servers) -> AsyncIterator[str]:
    name = unique_name("catalog_rules")
    url = await create_database(servers, name)
    try:
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        yield url
    finally:
        await drop_databases(servers, name)


@pytest.fixture(scope="module")
async def http(servers: Servers, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    vhost = unique_name("catalog_rules")
    settings = CatalogSettings(
        database_url=database_url, amqp_url=create_vhost(servers, vhost), jwt_secret=SECRET
    )
    app = create_app(settings)
    token = mint_token(SECRET, sub="admin-1", roles=["platform_admin"])
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://c",
                headers={"Authorization": f"Bearer {token}"},
            ) as http,
        ):
            yield http
    finally:
        delete_vhost(servers, vhost)


async def _created(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await http.post(path, json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def _training(http: httpx.AsyncClient, **rules: Any) -> dict[str, Any]:
    body = {"code": unique_name("T"), "title": "Training", "organizations": ["o1"], **rules}
    return await _created(http, "/api/trainings", body)


async def _session(http: httpx.AsyncClient, training_id: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "Session", "start_date": "2027-03-01", "end_date": "2027-03-02", **fields}
    return await _created(http, f"/api/trainings/{training_id}/sessions", body)


def _refused_field(answer: httpx.Response) -> list[Any]:
    assert answer.status_code == 422, answer.text
    return [error["loc"] for error in answer.json()["errors"]]


async def test_a_training_carries_the_defaults_and_a_session_copies_them(
    http: httpx.AsyncClient,
) -> None:
    training = await _training(http, waitlist_offer_hours=12.5, questions=QUESTIONS)
    assert training["waitlist_offer_hours"] == 12.5
    assert training["questions"][1] == {**QUESTIONS[1], "required": False, "choices": None}
    session = await _session(http, training["id"])
    assert session["waitlist_offer_hours"] == 12.5
    assert session["questions"] == training["questions"]
    assert session["registration_opens_at"] is None

    own = await _session(http, training["id"], waitlist_offer_hours=None, questions=[])
    assert own["waitlist_offer_hours"] is None
    assert own["questions"] == []


async def test_a_training_without_the_new_rules_has_their_defaults(
    http: httpx.AsyncClient,
) -> None:
    training = await _training(http)
    assert training["waitlist_offer_hours"] is None
    assert training["questions"] == []
    assert "registration_opens_at" not in training


async def test_the_rules_change_by_patch(http: httpx.AsyncClient) -> None:
    training = await _training(http, waitlist_offer_hours=2)
    changed = await http.patch(
        f"/api/trainings/{training['id']}",
        json={"waitlist_offer_hours": None, "questions": QUESTIONS[1:]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["waitlist_offer_hours"] is None
    assert [q["id"] for q in changed.json()["questions"]] == ["remarks"]

    session = await _session(http, training["id"])
    path = f"/api/sessions/{session['id']}"
    answer = await http.patch(path, json={"waitlist_offer_hours": 48, "questions": QUESTIONS})
    assert answer.status_code == 200, answer.text
    assert answer.json()["waitlist_offer_hours"] == 48
    assert answer.json()["version"] == 2
    again = await http.patch(path, json={"questions": QUESTIONS})  # as it is: no new version
    assert again.json()["version"] == 2


async def test_a_session_window_is_set_shown_and_cleared(http: httpx.AsyncClient) -> None:
    training = await _training(http)
    session = await _session(
        http, training["id"], registration_opens_at=OPENS, registration_closes_at=CLOSES
    )
    shown = (await http.get(f"/api/sessions/{session['id']}")).json()
    assert shown["registration_opens_at"] == "2027-02-01T08:00:00Z"
    assert shown["registration_closes_at"] == "2027-02-20T17:00:00Z"
    assert shown["unregistration_closes_at"] is None

    path = f"/api/sessions/{session['id']}"
    answer = await http.patch(
        path, json={"registration_opens_at": None, "unregistration_closes_at": OPENS}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["registration_opens_at"] is None
    assert answer.json()["unregistration_closes_at"] == "2027-02-01T08:00:00Z"


async def test_a_window_that_closes_before_it_opens_is_422_naming_the_field(
    http: httpx.AsyncClient,
) -> None:
    training = await _training(http)
    path = f"/api/trainings/{training['id']}/sessions"
    body = {"title": "S", "start_date": "2027-03-01", "end_date": "2027-03-02"}
    same = {**body, "registration_opens_at": OPENS, "registration_closes_at": OPENS}
    assert _refused_field(await http.post(path, json=same)) == [["body", "registration_closes_at"]]
    early = {**body, "registration_opens_at": CLOSES, "unregistration_closes_at": OPENS}
    assert _refused_field(await http.post(path, json=early)) == [
        ["body", "unregistration_closes_at"]
    ]

    session = await _session(http, training["id"], registration_closes_at=OPENS)
    answer = await http.patch(
        f"/api/sessions/{session['id']}", json={"registration_opens_at": CLOSES}
    )
    assert _refused_field(answer) == [["body", "registration_closes_at"]]
    assert (await http.get(f"/api/sessions/{session['id']}")).json()["version"] == 1


async def test_a_training_has_no_window(http: httpx.AsyncClient) -> None:
    body = {"code": unique_name("T"), "title": "T", "organizations": ["o1"]}
    answer = await http.post("/api/trainings", json={**body, "registration_opens_at": OPENS})
    assert _refused_field(answer) == [["body", "registration_opens_at"]]


def _question(id_: str, kind: str = "text", **more: Any) -> dict[str, Any]:
    return {"id": id_, "label": id_.title(), "kind": kind, **more}


@pytest.mark.parametrize(
    ("questions", "loc"),
    [
        ([_question("a"), _question("a")], ["body", "questions"]),
        ([_question("a", choices=["x", "y"])], ["body", "questions", "0", "choices"]),
        ([_question("a", "multiple")], ["body", "questions", "0", "choices"]),
        ([_question(f"q{i}") for i in range(21)], ["body", "questions"]),
        ([_question("Not a slug")], ["body", "questions", "0", "id"]),
    ],
    ids=["duplicate-ids", "choices-on-text", "multiple-without-choices", "21-questions", "id"],
)
async def test_questions_out_of_bounds_are_422(
    http: httpx.AsyncClient, questions: list[dict[str, Any]], loc: list[Any]
) -> None:
    body = {"code": unique_name("T"), "title": "T", "organizations": ["o1"]}
    assert (
        _refused_field(await http.post("/api/trainings", json={**body, "questions": questions}))[0]
        == loc
    )

    training = await _training(http)
    session = await _session(http, training["id"])
    for path in (f"/api/trainings/{training['id']}", f"/api/sessions/{session['id']}"):
        assert _refused_field(await http.patch(path, json={"questions": questions}))[0] == loc
    answer = await http.post(
        f"/api/trainings/{training['id']}/sessions",
        json={
            "title": "S",
            "start_date": "2027-03-01",
            "end_date": "2027-03-02",
            "questions": questions,
        },
    )
    assert _refused_field(answer)[0] == loc


@pytest.mark.parametrize("hours", [0, -1, 8_761])
async def test_offer_hours_out_of_bounds_are_422(http: httpx.AsyncClient, hours: float) -> None:
    training = await _training(http)
    answer = await http.patch(
        f"/api/trainings/{training['id']}", json={"waitlist_offer_hours": hours}
    )
    assert _refused_field(answer) == [["body", "waitlist_offer_hours"]]


async def test_completion_and_reminders_default_and_are_copied_to_sessions(
    http: httpx.AsyncClient,
) -> None:
    plain = await _training(http)
    assert (plain["completion_rate"], plain["reminder_hours"]) == (None, [24])

    training = await _training(http, completion_rate=80, reminder_hours=[48, 1.5])
    assert (training["completion_rate"], training["reminder_hours"]) == (80, [48, 1.5])
    session = await _session(http, training["id"])
    assert (session["completion_rate"], session["reminder_hours"]) == (80, [48, 1.5])
    shown = (await http.get(f"/api/sessions/{session['id']}")).json()
    assert (shown["completion_rate"], shown["reminder_hours"]) == (80, [48, 1.5])

    own = await _session(http, training["id"], completion_rate=None, reminder_hours=[])
    assert (own["completion_rate"], own["reminder_hours"]) == (None, [])


async def test_completion_and_reminders_change_by_patch(http: httpx.AsyncClient) -> None:
    training = await _training(http, completion_rate=70)
    path = f"/api/trainings/{training['id']}"
    answer = await http.patch(path, json={"completion_rate": None, "reminder_hours": [2]})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["completion_rate"], answer.json()["reminder_hours"]) == (None, [2])

    session = await _session(http, training["id"])
    path = f"/api/sessions/{session['id']}"
    answer = await http.patch(path, json={"completion_rate": 100, "reminder_hours": [72, 24]})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["completion_rate"], answer.json()["reminder_hours"]) == (100, [72, 24])
    assert answer.json()["version"] == 2
    again = await http.patch(path, json={"reminder_hours": [72.0, 24.0]})  # as it is
    assert again.json()["version"] == 2
    refused = await http.patch(path, json={"reminder_hours": None})  # [] is for no reminder
    assert refused.status_code == 422
    assert "reminder_hours may not be null" in refused.text


@pytest.mark.parametrize(
    ("rules", "loc"),
    [
        ({"completion_rate": 0}, ["body", "completion_rate"]),
        ({"completion_rate": 101}, ["body", "completion_rate"]),
        ({"completion_rate": 80.5}, ["body", "completion_rate"]),
        ({"reminder_hours": [1, 2, 3, 4, 5, 6]}, ["body", "reminder_hours"]),
        ({"reminder_hours": [24, 24]}, ["body", "reminder_hours"]),
        ({"reminder_hours": [24, 0]}, ["body", "reminder_hours", "1"]),
        ({"reminder_hours": [8_761]}, ["body", "reminder_hours", "0"]),
    ],
    ids=["rate-0", "rate-101", "rate-fraction", "6-reminders", "repeated", "0-hours", "8761-hours"],
)
async def test_completion_and_reminders_out_of_bounds_are_422(
    http: httpx.AsyncClient, rules: dict[str, Any], loc: list[Any]
) -> None:
    body = {"code": unique_name("T"), "title": "T", "organizations": ["o1"], **rules}
    assert _refused_field(await http.post("/api/trainings", json=body)) == [loc]

    training = await _training(http)
    session = await _session(http, training["id"])
    for path in (f"/api/trainings/{training['id']}", f"/api/sessions/{session['id']}"):
        assert _refused_field(await http.patch(path, json=rules)) == [loc]
    session_body = {"title": "S", "start_date": "2027-03-01", "end_date": "2027-03-02", **rules}
    answer = await http.post(f"/api/trainings/{training['id']}/sessions", json=session_body)
    assert _refused_field(answer) == [loc]
