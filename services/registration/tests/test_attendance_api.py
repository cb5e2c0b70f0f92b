"""Attendance over HTTP on the real database: presences following event registrations, marking
in bulk, validating, the check-in code and a learner's check-in (its window, its wrong tries),
who may do each, the `attendance.*` events in the outbox, and the session's completion."""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from registration.api import attendance as attendance_api
from registration.api import registrations as registrations_api
from registration.use_cases.event_registrations import (
    EventRegistrationRequest,
    EventRegistrations,
)
from registration.use_cases.presences import Presences
from registration.use_cases.registrations import Registrations
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import Principal, TokenVerifier, mint_token
from shared.db import make_sessionmaker
from shared.events import EventData, SessionData
from shared.listing import Listing
from shared.problems import install_problem_handlers

from .test_event_registrations import (
    ADMIN,
    MANAGER,
    OTHER_MANAGER,
    TUTOR,
    change_event,
    confirmed,
    learner,
    new_event,
    new_session,
    outbox_of,
)

pytestmark = pytest.mark.integration

SECRET = "attendance-api-secret-0123456789-abcdef"
CODE = re.compile(r"[A-Z2-9]{8}")
PUBLIC_URL = "https://training.example"


@pytest.fixture(scope="module")
def events(engine: AsyncEngine) -> EventRegistrations:
    return EventRegistrations(make_sessionmaker(engine))


@pytest.fixture
async def http(
    registrations: Registrations, events: EventRegistrations, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    """The attendance and registrations routes in-process, on the test database."""
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(attendance_api.router)
    app.include_router(registrations_api.router)
    app.state.registrations = registrations
    app.state.presences = Presences(make_sessionmaker(engine), PUBLIC_URL)
    app.state.token_verifier = TokenVerifier(secret=SECRET)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
        yield client


def auth(principal: Principal) -> dict[str, str]:
    claims: dict[str, Any] = {
        "roles": list(principal.roles),
        "organizations": list(principal.organizations),
    }
    return {"Authorization": f"Bearer {mint_token(SECRET, sub=principal.sub, **claims)}"}


async def an_event(
    registrations: Registrations, events: EventRegistrations, learners: int = 2, **fields: Any
) -> tuple[SessionData, EventData]:
    """A session with `learners` confirmed learners (learner-<session>-<n>) and one `auto`
    event they are registered to, starting in 10 minutes (its check-in window open)."""
    session = await new_session(registrations)
    for n in range(learners):
        await confirmed(registrations, session, f"{session.id}-{n}")
    now = datetime.now(UTC)
    event = await new_event(
        events,
        session,
        start=now + timedelta(minutes=10),
        end=now + timedelta(hours=2),
        **fields,
    )
    return session, event


def someone_of(session: SessionData, n: int) -> Principal:
    return learner(f"{session.id}-{n}")


async def attendance_of(
    http: httpx.AsyncClient, event: EventData, by: Principal = MANAGER
) -> dict[str, Any]:
    reply = await http.get(f"/api/events/{event.id}/attendance", headers=auth(by))
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def statuses(body: dict[str, Any]) -> dict[str, str]:
    return {item["user_id"]: item["status"] for item in body["items"]}


async def mark(
    http: httpx.AsyncClient, event: EventData, by: Principal, **marks: str
) -> httpx.Response:
    items = [{"user_id": user, "status": status} for user, status in marks.items()]
    return await http.put(
        f"/api/events/{event.id}/attendance", json={"items": items}, headers=auth(by)
    )


async def told(engine: AsyncEngine, event: EventData) -> list[tuple[str, dict[str, Any]]]:
    return [(e["routing_key"], e["payload"]["data"]) for e in await outbox_of(engine, event.id)]


async def test_each_registered_learner_has_a_presence_and_a_cancelled_one_none(
    registrations: Registrations, events: EventRegistrations, http: httpx.AsyncClient
) -> None:
    session, event = await an_event(registrations, events, registration_mode="manual")
    first, second = someone_of(session, 0).sub, someone_of(session, 1).sub
    assert (await attendance_of(http, event, TUTOR))["items"] == []
    for user in (first, second):
        await events.register(TUTOR, EventRegistrationRequest(event.id, user))
    body = await attendance_of(http, event, TUTOR)
    assert body["validated"] is False
    assert statuses(body) == {first: "unknown", second: "unknown"}
    item = body["items"][0]
    assert item["event_id"] == str(event.id)
    assert item["session_id"] == str(session.id)
    assert (item["version"], item["note"], item["signed_at"], item["validated"]) == (
        1,
        None,
        None,
        False,
    )
    assert (await mark(http, event, TUTOR, **{first: "present"})).status_code == 200
    place = next(
        r
        for r in (await events.event_registrations(MANAGER, {"event_id": event.id}, _all()))[0]
        if r.user_id == first
    )
    await events.cancel(MANAGER, place.id, None)  # a marked presence goes with its place
    assert statuses(await attendance_of(http, event)) == {second: "unknown"}
    await events.register(MANAGER, EventRegistrationRequest(event.id, first))
    assert statuses(await attendance_of(http, event)) == {first: "unknown", second: "unknown"}


async def test_a_learner_promoted_from_the_events_line_gets_a_presence(
    registrations: Registrations, events: EventRegistrations, http: httpx.AsyncClient
) -> None:
    session, event = await an_event(registrations, events, registration_mode="manual", max_users=1)
    first, second = someone_of(session, 0).sub, someone_of(session, 1).sub
    seated = await events.register(MANAGER, EventRegistrationRequest(event.id, first))
    waiting = await events.register(MANAGER, EventRegistrationRequest(event.id, second))
    assert (seated.status, waiting.status) == ("registered", "waitlisted")
    assert statuses(await attendance_of(http, event)) == {first: "unknown"}
    own = await registrations.registrations(MANAGER, {"session_id": session.id}, _all())
    leaving = next(r for r in own[0] if r.user.id == first)
    await registrations.cancel(MANAGER, leaving.id, None)  # the session registration ends
    assert statuses(await attendance_of(http, event)) == {second: "unknown"}


async def test_marking_is_all_or_nothing_and_each_change_is_recorded(
    registrations: Registrations,
    events: EventRegistrations,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
) -> None:
    session, event = await an_event(registrations, events)
    first, second = someone_of(session, 0).sub, someone_of(session, 1).sub
    refused = await mark(http, event, TUTOR, **{first: "present", "stranger-1": "present"})
    assert refused.status_code == 422, refused.text
    assert "stranger-1" in refused.json()["detail"]
    assert refused.json()["errors"][0]["loc"] == ["body", "items"]
    assert statuses(await attendance_of(http, event)) == {first: "unknown", second: "unknown"}
    reply = await http.put(
        f"/api/events/{event.id}/attendance",
        json={
            "items": [
                {"user_id": first, "status": "present"},
                {"user_id": second, "status": "absent_justified", "note": "ill"},
            ]
        },
        headers=auth(TUTOR),
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert statuses(body) == {first: "present", second: "absent_justified"}
    by_user = {item["user_id"]: item for item in body["items"]}
    assert (by_user[second]["note"], by_user[second]["marked_by"], by_user[second]["version"]) == (
        "ill",
        "tutor",
        2,
    )
    recorded = [data for kind, data in await told(engine, event) if kind == "attendance.recorded"]
    assert [(d["user_id"], d["previous_status"], d["status"], d["actor"]) for d in recorded] == [
        (first, "unknown", "present", "tutor"),
        (second, "unknown", "absent_justified", "tutor"),
    ]
    again = await mark(http, event, MANAGER, **{first: "present"})  # changes nothing
    assert again.status_code == 200
    assert len([k for k, _ in await told(engine, event) if k == "attendance.recorded"]) == 2
    too_long = await http.put(
        f"/api/events/{event.id}/attendance",
        json={"items": [{"user_id": first, "status": "present", "note": "x" * 2001}]},
        headers=auth(MANAGER),
    )
    assert too_long.status_code == 422


async def test_who_may_read_mark_and_validate(
    registrations: Registrations, events: EventRegistrations, http: httpx.AsyncClient
) -> None:
    session, event = await an_event(registrations, events)
    first = someone_of(session, 0)
    for stranger in (first, OTHER_MANAGER, Principal(sub="someone-else")):
        got = await http.get(f"/api/events/{event.id}/attendance", headers=auth(stranger))
        assert got.status_code == 403, got.text
        assert (await mark(http, event, stranger, **{first.sub: "present"})).status_code == 403
        validated = await http.post(
            f"/api/events/{event.id}/attendance/validate", headers=auth(stranger)
        )
        assert validated.status_code == 403
    tutor_validates = await http.post(
        f"/api/events/{event.id}/attendance/validate", headers=auth(TUTOR)
    )
    assert tutor_validates.status_code == 403
    assert (await attendance_of(http, event, ADMIN))["validated"] is False
    unknown = await http.get(f"/api/events/{uuid.uuid4()}/attendance", headers=auth(MANAGER))
    assert unknown.status_code == 404


async def test_validation_locks_the_attendance_for_all_but_managers(
    registrations: Registrations,
    events: EventRegistrations,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
) -> None:
    session, event = await an_event(registrations, events, learners=3)
    first, second, third = (someone_of(session, n).sub for n in range(3))
    assert (await mark(http, event, TUTOR, **{first: "present"})).status_code == 200
    reply = await http.post(f"/api/events/{event.id}/attendance/validate", headers=auth(MANAGER))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["validated"] is True
    assert all(item["validated"] for item in body["items"])
    assert statuses(body) == {
        first: "present",
        second: "absent_unjustified",
        third: "absent_unjustified",
    }
    facts = await told(engine, event)
    assert [k for k, _ in facts][-3:] == [
        "attendance.recorded",
        "attendance.recorded",
        "attendance.validated",
    ]
    counts = facts[-1][1]
    assert counts == {
        "event_id": str(event.id),
        "session_id": str(session.id),
        "counts": {"unknown": 0, "present": 1, "absent_justified": 0, "absent_unjustified": 2},
    }
    assert all(d["validated"] and d["actor"] == "manager" for _, d in facts[-3:-1])
    again = await http.post(f"/api/events/{event.id}/attendance/validate", headers=auth(MANAGER))
    assert again.status_code == 200
    assert len(await told(engine, event)) == len(facts)  # idempotent: nothing told again
    assert (await mark(http, event, TUTOR, **{second: "present"})).status_code == 403
    assert (await mark(http, event, MANAGER, **{second: "unknown"})).status_code == 422
    changed = await mark(http, event, MANAGER, **{second: "absent_justified"})
    assert changed.status_code == 200, changed.text
    assert statuses(changed.json())[second] == "absent_justified"
    kind, data = (await told(engine, event))[-1]
    assert (kind, data["previous_status"], data["validated"]) == (
        "attendance.recorded",
        "absent_unjustified",
        True,
    )


async def test_the_check_in_code_is_read_by_staff_and_renewed(
    registrations: Registrations, events: EventRegistrations, http: httpx.AsyncClient
) -> None:
    session, event = await an_event(registrations, events)
    path = f"/api/events/{event.id}/check-in-code"
    for stranger in (someone_of(session, 0), OTHER_MANAGER):
        assert (await http.get(path, headers=auth(stranger))).status_code == 403
        assert (await http.post(path, headers=auth(stranger))).status_code == 403
    got = await http.get(path, headers=auth(TUTOR))
    assert got.status_code == 200, got.text
    code = got.json()
    assert CODE.fullmatch(code["code"])
    assert datetime.fromisoformat(code["valid_from"]) == event.start - timedelta(minutes=30)
    assert datetime.fromisoformat(code["valid_until"]) == event.end
    assert (await http.get(path, headers=auth(MANAGER))).json() == code  # the same code
    renewed = await http.post(path, headers=auth(MANAGER))
    assert renewed.status_code == 200
    assert CODE.fullmatch(renewed.json()["code"])
    assert renewed.json()["code"] != code["code"]
    assert (await http.get(path, headers=auth(TUTOR))).json() == renewed.json()


async def code_of(http: httpx.AsyncClient, event: EventData) -> str:
    reply = await http.get(f"/api/events/{event.id}/check-in-code", headers=auth(MANAGER))
    code: str = reply.json()["code"]
    return code


async def check_in(
    http: httpx.AsyncClient, event: EventData, by: Principal, code: str
) -> httpx.Response:
    return await http.post(
        f"/api/events/{event.id}/check-in", json={"code": code}, headers=auth(by)
    )


async def test_a_learner_checks_in_once_with_the_current_code(
    registrations: Registrations,
    events: EventRegistrations,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
) -> None:
    session, event = await an_event(registrations, events)
    me = someone_of(session, 0)
    old = await code_of(http, event)
    code = (await http.post(f"/api/events/{event.id}/check-in-code", headers=auth(TUTOR))).json()[
        "code"
    ]
    stale = await check_in(http, event, me, old)  # the old code stopped working
    assert stale.status_code == 422, stale.text
    for stranger in (MANAGER, TUTOR, learner("not-registered")):
        assert (await check_in(http, event, stranger, code)).status_code == 403
    reply = await check_in(http, event, me, f" {code.lower()} ")
    assert reply.status_code == 200, reply.text
    presence = reply.json()
    assert (presence["status"], presence["marked_by"], presence["version"]) == (
        "present",
        me.sub,
        2,
    )
    assert presence["signed_at"] is not None
    again = await check_in(http, event, me, code)
    assert again.status_code == 200
    assert again.json() == presence  # already present: unchanged
    kind, data = (await told(engine, event))[-1]
    assert (kind, data["previous_status"], data["actor"]) == (
        "attendance.recorded",
        "unknown",
        me.sub,
    )
    await http.post(f"/api/events/{event.id}/attendance/validate", headers=auth(MANAGER))
    other = someone_of(session, 1)
    closed = await check_in(http, event, other, code)
    assert closed.status_code == 409, closed.text


async def test_check_in_outside_the_window_is_a_conflict(
    registrations: Registrations, events: EventRegistrations, http: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    session, event = await an_event(registrations, events)
    later = await change_event(
        events, event, start=now + timedelta(minutes=31), end=now + timedelta(hours=2)
    )
    reply = await check_in(http, later, someone_of(session, 0), await code_of(http, later))
    assert reply.status_code == 409, reply.text
    over = await change_event(
        events, later, start=now - timedelta(hours=2), end=now - timedelta(seconds=1)
    )
    reply = await check_in(http, over, someone_of(session, 0), await code_of(http, over))
    assert reply.status_code == 409


async def test_ten_wrong_codes_then_429_with_retry_after_even_for_the_right_one(
    registrations: Registrations, events: EventRegistrations, http: httpx.AsyncClient
) -> None:
    session, event = await an_event(registrations, events)
    me, other = someone_of(session, 0), someone_of(session, 1)
    code = await code_of(http, event)
    wrong = "22222222" if code != "22222222" else "33333333"
    for _ in range(10):
        assert (await check_in(http, event, me, wrong)).status_code == 422
    blocked = await check_in(http, event, me, code)
    assert blocked.status_code == 429, blocked.text
    assert 1 <= int(blocked.headers["Retry-After"]) <= 600
    assert blocked.headers["content-type"].startswith("application/problem+json")
    assert (await check_in(http, event, other, code)).status_code == 200  # per learner


def _all() -> Listing:
    return Listing(limit=500)


async def test_wrong_codes_tried_at_once_never_pass_the_limit(
    registrations: Registrations, events: EventRegistrations, http: httpx.AsyncClient
) -> None:
    session, event = await an_event(registrations, events, learners=1)
    me = someone_of(session, 0)
    code = await code_of(http, event)
    wrong = "22222222" if code != "22222222" else "33333333"
    replies = await asyncio.gather(*(check_in(http, event, me, wrong) for _ in range(15)))
    answered = sorted(reply.status_code for reply in replies)
    assert answered == [422] * 10 + [429] * 5
