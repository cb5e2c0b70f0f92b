"""What a learner signs up with, over registration's HTTP API on the real database: the session's
registration window (409 outside it for a learner acting for themself, managers not bound), the
answers to its questions (422 naming the question, stored, shown, carried by a move; that the
events carry them is tests/test_sign_up.py's), the export's columns, the answers' statistics
and `/api/seats`' `open`."""

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from registration.settings import RegistrationSettings
from registration.use_cases.registrations import Registrations

from shared.auth import mint_token
from shared.events import SessionData
from testsupport.infra import Servers, create_vhost, delete_vhost, unique_name

from .conftest import app_state, serving, session_data

pytestmark = pytest.mark.integration

SECRET = "sign-up-secret-0123456789abcdef-0123"
DIET = {
    "id": "diet",
    "label": "Diet",
    "kind": "choice",
    "required": True,
    "choices": ["any", "veg"],
}
TOPICS = {"id": "topics", "label": "Topics", "kind": "multiple", "choices": ["a", "b", "c"]}
PARKING = {"id": "parking", "label": "Parking", "kind": "boolean"}
REMARKS = {"id": "remarks", "label": "Remarks", "kind": "text"}
QUESTIONS = [DIET, TOPICS, PARKING, REMARKS]


@pytest.fixture(scope="module")
async def http(servers: Servers, registration_database: str) -> AsyncIterator[httpx.AsyncClient]:
    vhost = unique_name("sign_up")
    settings = RegistrationSettings(
        database_url=registration_database,
        amqp_url=create_vhost(servers, vhost),
        jwt_secret=SECRET,
    )
    try:
        async with serving(settings) as http:
            yield http
    finally:
        delete_vhost(servers, vhost)


def service(http: httpx.AsyncClient) -> Registrations:
    registrations: Registrations = app_state(http, "registrations")
    return registrations


def as_(sub: str, **claims: Any) -> dict[str, str]:
    claims = {"email": f"{sub}@example.org", "name": sub, **claims}
    return {"Authorization": f"Bearer {mint_token(SECRET, sub=sub, **claims)}"}


AS_MANAGER = as_("manager", roles=["training_manager"], organizations=["org-a"])


def soon(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


async def new_session(http: httpx.AsyncClient, **fields: Any) -> SessionData:
    session = session_data(**fields)
    await service(http).replicate_session(str(uuid.uuid4()), "catalog.session.created", session)
    return session


async def sign_up(
    http: httpx.AsyncClient, session: SessionData, who: str, **body: Any
) -> httpx.Response:
    return await http.post(
        "/api/registrations", json={"session_id": str(session.id), **body}, headers=as_(who)
    )


async def created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    registration: dict[str, Any] = answer.json()
    return registration


def for_(user: str) -> dict[str, str]:
    return {"id": user, "email": f"{user}@example.org", "name": user}


def refused_at(answer: httpx.Response) -> list[list[str]]:
    assert answer.status_code == 422, answer.text
    return [error["loc"] for error in answer.json()["errors"]]


# --- the registration window ---------------------------------------------------------------------


async def test_a_learner_registers_themself_only_inside_the_window(
    http: httpx.AsyncClient,
) -> None:
    opens = soon(24)
    early = await new_session(http, registration_opens_at=opens)
    refused = await sign_up(http, early, "early-1")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == f"Registration to this session opens at {opens.isoformat()}."

    closed_at = soon(-1)
    late = await new_session(
        http, registration_opens_at=soon(-48), registration_closes_at=closed_at
    )
    refused = await sign_up(http, late, "late-1")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        f"Registration to this session closed at {closed_at.isoformat()}."
    )

    within = await new_session(http, registration_opens_at=soon(-1), registration_closes_at=soon(1))
    assert (await created(await sign_up(http, within, "within-1")))["status"] == "confirmed"


async def test_a_manager_registering_someone_is_not_bound_by_the_window(
    http: httpx.AsyncClient,
) -> None:
    for window in (
        {"registration_opens_at": soon(24)},
        {"registration_opens_at": soon(-48), "registration_closes_at": soon(-1)},
    ):
        session = await new_session(http, **window)
        answer = await http.post(
            "/api/registrations",
            json={"session_id": str(session.id), "user": for_("managed-1")},
            headers=AS_MANAGER,
        )
        assert (await created(answer))["status"] == "confirmed"


async def test_after_unregistration_closed_a_learner_cancelling_themself_gets_409(
    http: httpx.AsyncClient,
) -> None:
    closes = soon(-1)
    session = await new_session(
        http,
        public_unregistration=True,
        registration_opens_at=soon(-48),
        unregistration_closes_at=closes,
    )
    regs = []
    for user in ("stays-1", "stays-2"):
        answer = await http.post(
            "/api/registrations",
            json={"session_id": str(session.id), "user": for_(user)},
            headers=AS_MANAGER,
        )
        regs.append(await created(answer))
    refused = await http.post(
        f"/api/registrations/{regs[0]['id']}/cancel", headers=as_("stays-1"), json={}
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        f"Unregistration from this session closed at {closes.isoformat()}."
    )
    kept = await http.get(f"/api/registrations/{regs[0]['id']}", headers=as_("stays-1"))
    assert kept.json()["status"] == "confirmed"
    by_manager = await http.post(
        f"/api/registrations/{regs[1]['id']}/cancel", headers=AS_MANAGER, json={}
    )
    assert by_manager.status_code == 200, by_manager.text
    assert by_manager.json()["status"] == "cancelled"


# --- answers -------------------------------------------------------------------------------------


async def test_answers_that_do_not_fit_are_422_naming_the_question(
    http: httpx.AsyncClient,
) -> None:
    session = await new_session(http, questions=QUESTIONS)
    missing = await sign_up(http, session, "answers-1", answers={"topics": ["a"]})
    assert refused_at(missing) == [["body", "answers.diet"]]
    assert "diet requires an answer" in missing.json()["detail"]
    wrong = await sign_up(http, session, "answers-1", answers={"diet": "meat"})
    assert refused_at(wrong) == [["body", "answers.diet"]]
    assert wrong.json()["errors"][0]["msg"] == "must be one of its choices"
    not_a_choice = await sign_up(
        http, session, "answers-1", answers={"diet": "any", "topics": ["a", "z"]}
    )
    assert refused_at(not_a_choice) == [["body", "answers.topics"]]
    # nothing was registered
    mine = await http.get(f"/api/registrations?session_id={session.id}", headers=as_("answers-1"))
    assert mine.json()["total"] == 0


async def test_answers_outside_the_input_bounds_are_422(http: httpx.AsyncClient) -> None:
    session = await new_session(http, questions=QUESTIONS)
    too_many = {f"q{n}": "x" for n in range(21)}
    assert refused_at(await sign_up(http, session, "bounds-1", answers=too_many)) == [
        ["body", "answers"]
    ]
    too_long = await sign_up(http, session, "bounds-1", answers={"remarks": "x" * 20_001})
    assert all(loc[:3] == ["body", "answers", "remarks"] for loc in refused_at(too_long))
    a_number = await sign_up(http, session, "bounds-1", answers={"parking": 1})
    assert all(loc[:3] == ["body", "answers", "parking"] for loc in refused_at(a_number))


async def test_answers_are_stored_and_shown(http: httpx.AsyncClient) -> None:
    session = await new_session(http, questions=QUESTIONS)
    answers = {"diet": "veg", "topics": ["c", "a"], "parking": False, "remarks": "Hello"}
    reg = await created(await sign_up(http, session, "stored-1", answers=answers))
    assert reg["answers"] == answers
    shown = await http.get(f"/api/registrations/{reg['id']}", headers=as_("stored-1"))
    assert shown.json()["answers"] == answers
    listed = await http.get(f"/api/registrations?session_id={session.id}", headers=AS_MANAGER)
    assert [r["answers"] for r in listed.json()["items"]] == [answers]


async def test_a_manager_may_omit_required_answers_but_not_give_wrong_ones(
    http: httpx.AsyncClient,
) -> None:
    session = await new_session(http, questions=QUESTIONS)
    body: dict[str, Any] = {"session_id": str(session.id), "user": for_("omitted-1")}
    reg = await created(await http.post("/api/registrations", json=body, headers=AS_MANAGER))
    assert reg["answers"] == {}
    wrong = await http.post(
        "/api/registrations",
        json={**body, "user": for_("omitted-2"), "answers": {"parking": "yes"}},
        headers=AS_MANAGER,
    )
    assert refused_at(wrong) == [["body", "answers.parking"]]
    bulk = await http.post(
        "/api/registrations/bulk",
        json={
            "session_id": str(session.id),
            "users": [for_("bulk-1"), for_("bulk-2")],
            "answers": {"diet": "any"},
        },
        headers=AS_MANAGER,
    )
    assert bulk.status_code == 200, bulk.text
    assert [r["registration"]["answers"] for r in bulk.json()["results"]] == [{"diet": "any"}] * 2


async def test_a_move_drops_the_answers_the_target_does_not_ask_for(
    http: httpx.AsyncClient,
) -> None:
    source = await new_session(http, questions=QUESTIONS)
    target = await new_session(http, questions=[{**DIET, "choices": ["any", "vegan"]}, TOPICS])
    answers = {"diet": "veg", "topics": ["b"], "parking": True, "remarks": "x"}
    reg = await created(await sign_up(http, source, "mover-1", answers=answers))
    moved = await http.post(
        f"/api/registrations/{reg['id']}/move",
        json={"session_id": str(target.id)},
        headers=AS_MANAGER,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["answers"] == {"topics": ["b"]}
    old = await http.get(f"/api/registrations/{reg['id']}", headers=AS_MANAGER)
    assert old.json()["answers"] == answers


# --- what managers read of the answers -----------------------------------------------------------


async def test_the_export_has_a_column_per_question(http: httpx.AsyncClient) -> None:
    session = await new_session(http, questions=QUESTIONS)
    first = await created(
        await sign_up(
            http,
            session,
            "export-1",
            answers={"diet": "veg", "topics": ["a", "c"], "parking": True, "remarks": "=1+2"},
        )
    )
    await created(await sign_up(http, session, "export-2", answers={"diet": "any"}))
    answer = await http.get(
        f"/api/registrations/export?session_id={session.id}", headers=AS_MANAGER
    )
    assert answer.status_code == 200, answer.text
    header, *rows = list(csv.reader(io.StringIO(answer.text)))
    assert header == [
        "id",
        "user_id",
        "email",
        "name",
        "status",
        "waitlist_position",
        "created_at",
        "diet",
        "topics",
        "parking",
        "remarks",
    ]
    assert rows[0][0] == first["id"]
    assert rows[0][7:] == ["veg", "a;c", "true", "'=1+2"]
    assert rows[1][7:] == ["any", "", "", ""]


async def test_the_answers_statistics_count_the_active_registrations(
    http: httpx.AsyncClient,
) -> None:
    session = await new_session(http, questions=QUESTIONS)
    given = [
        {"diet": "veg", "topics": ["a", "b"], "parking": True, "remarks": "r"},
        {"diet": "veg", "topics": ["b"], "parking": False},
        {"diet": "any"},
    ]
    regs = [
        await created(await sign_up(http, session, f"stats-{n}", answers=answers))
        for n, answers in enumerate(given)
    ]
    cancelled = await http.post(
        f"/api/registrations/{regs[2]['id']}/cancel", headers=AS_MANAGER, json={}
    )
    assert cancelled.status_code == 200, cancelled.text
    answer = await http.get(f"/api/sessions/{session.id}/answers", headers=AS_MANAGER)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "questions": [
            {
                "id": "diet",
                "label": "Diet",
                "kind": "choice",
                "answered": 2,
                "counts": {"any": 0, "veg": 2},
            },
            {
                "id": "topics",
                "label": "Topics",
                "kind": "multiple",
                "answered": 2,
                "counts": {"a": 1, "b": 2, "c": 0},
            },
            {
                "id": "parking",
                "label": "Parking",
                "kind": "boolean",
                "answered": 2,
                "counts": {"true": 1, "false": 1},
            },
            {"id": "remarks", "label": "Remarks", "kind": "text", "answered": 1},
        ]
    }


async def test_only_a_manager_reads_the_answers_statistics(http: httpx.AsyncClient) -> None:
    session = await new_session(http, questions=QUESTIONS)
    learner = await http.get(f"/api/sessions/{session.id}/answers", headers=as_("curious-1"))
    assert learner.status_code == 403, learner.text
    other = as_("other-manager", roles=["training_manager"], organizations=["org-b"])
    assert (await http.get(f"/api/sessions/{session.id}/answers", headers=other)).status_code == 403
    unknown = await http.get(f"/api/sessions/{uuid.uuid4()}/answers", headers=AS_MANAGER)
    assert unknown.status_code == 404, unknown.text


# --- seats ---------------------------------------------------------------------------------------


async def test_seats_say_whether_learners_may_register_themselves_now(
    http: httpx.AsyncClient,
) -> None:
    sessions = [
        await new_session(http),
        await new_session(http, registration_opens_at=soon(-1), registration_closes_at=soon(1)),
        await new_session(http, public_registration=False),
        await new_session(http, registration_opens_at=soon(24)),
        await new_session(http, registration_opens_at=soon(-48), registration_closes_at=soon(-1)),
    ]
    cancelled = await new_session(http)
    await service(http).replicate_session(
        str(uuid.uuid4()),
        "catalog.session.cancelled",
        cancelled.model_copy(update={"version": 2, "status": "cancelled"}),
    )
    query = "&".join(f"session_id={s.id}" for s in [*sessions, cancelled])
    answer = await http.get(f"/api/seats?{query}", headers=as_("browser-1"))
    assert answer.status_code == 200, answer.text
    assert [item["open"] for item in answer.json()["items"]] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]
