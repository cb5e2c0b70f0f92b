"""Event registrations end to end through the gateway: auto events following the session's
confirmed learners, manual and public events with their own seats and line, cancellation and
promotion, a deleted event, and every refusal (docs/reference/http.md) — watched on the bus."""

import uuid
from typing import Any

import httpx
import pytest

from testsupport.subscriber import Subscriber, subscribed
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-evreg"
START, END = "2027-04-01T09:00:00+02:00", "2027-04-01T12:00:00+02:00"


def manager(system: System, sub: str = "ev-manager", org: str = ORG) -> dict[str, str]:
    return system.auth(sub, name="Marc", roles=["training_manager"], organizations=[org])


def admin(system: System) -> dict[str, str]:
    return system.auth("ev-admin", roles=["platform_admin"])


def learner(system: System, sub: str) -> dict[str, str]:
    return system.auth(sub, name=f"Learner {sub}", email=f"{sub}@example.org", locale="en")


async def call(
    system: System, method: str, path: str, headers: dict[str, str], body: Any = None
) -> httpx.Response:
    return await system.http.request(method, path, json=body, headers=headers)


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    return response.json() if response.content else None


async def create_session(system: System, tutors: list[str] | None = None) -> dict[str, Any]:
    training = expect(
        await call(
            system,
            "POST",
            "/api/trainings",
            manager(system),
            {
                "code": f"EV-{uuid.uuid4().hex[:8]}",
                "title": "Sauveteur",
                "organizations": [ORG],
                "public_registration": True,
                "public_unregistration": True,
            },
        ),
        201,
    )
    session: dict[str, Any] = expect(
        await call(
            system,
            "POST",
            f"/api/trainings/{training['id']}/sessions",
            manager(system),
            {
                "title": "Avril",
                "start_date": "2027-04-01",
                "end_date": "2027-04-02",
                "tutors": tutors or [],
            },
        ),
        201,
    )

    async def known() -> bool:
        seats = await system.http.get(
            "/api/seats", params={"session_id": session["id"]}, headers=manager(system)
        )
        return bool(seats.json()["items"])

    await eventually(known, within=20, what="the session to reach registration")
    return session


async def create_event(system: System, session: dict[str, Any], **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = expect(
        await call(
            system,
            "POST",
            f"/api/sessions/{session['id']}/events",
            manager(system),
            {"title": "Séance", "start": START, "end": END, **fields},
        ),
        201,
    )

    async def known() -> bool:  # 404 until registration has the event (nobody's registered)
        response = await call(
            system,
            "POST",
            "/api/event-registrations",
            admin(system),
            {"event_id": event["id"], "user_id": "nobody"},
        )
        return response.status_code == 409

    await eventually(known, within=20, what="the event to reach registration")
    return event


async def confirmed(system: System, session: dict[str, Any], sub: str) -> dict[str, Any]:
    registration: dict[str, Any] = expect(
        await call(
            system,
            "POST",
            "/api/registrations",
            learner(system, sub),
            {"session_id": session["id"]},
        ),
        201,
    )
    assert registration["status"] == "confirmed"
    return registration


async def register(
    system: System, headers: dict[str, str], event: dict[str, Any], user_id: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"event_id": event["id"]}
    if user_id is not None:
        body["user_id"] = user_id
    return await call(system, "POST", "/api/event-registrations", headers, body)


async def of_event(system: System, event: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    response = await system.http.get(
        "/api/event-registrations",
        params={"event_id": event["id"], "limit": 500},
        headers=manager(system),
    )
    return {
        r["user_id"]: (r["status"], r["waitlist_position"])
        for r in expect(response, 200)["items"]
        if r["status"] != "cancelled"
    }


async def fact(bus: Subscriber, type_: str, ident: str, version: int) -> dict[str, Any]:
    received = await bus.wait_for(
        lambda e: e["type"] == type_ and e["subject"] == ident and e["data"]["version"] == version,
        what=f"{type_} v{version}",
    )
    data: dict[str, Any] = received.envelope["data"]
    return data


async def test_auto_events_follow_the_confirmed_learners(healthy_system: System) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["event_registration.#"]) as bus:
        session = await create_session(system)
        first = await confirmed(system, session, "ev-auto-1")
        event = await create_event(system, session)  # auto: the session's mode by default
        assert event["registration_mode"] == "auto"

        async def registered(*subs: str) -> bool:
            return await of_event(system, event) == {s: ("registered", None) for s in subs}

        await eventually(lambda: registered("ev-auto-1"), what="the confirmed learner joined")
        await confirmed(system, session, "ev-auto-2")
        assert await registered("ev-auto-1", "ev-auto-2")  # in the same transaction
        mine = expect(
            await system.http.get("/api/event-registrations", headers=learner(system, "ev-auto-2")),
            200,
        )
        assert mine["total"] == 1
        [entry] = mine["items"]
        assert set(entry) >= {
            "id",
            "event_id",
            "session_id",
            "user_id",
            "status",
            "waitlist_position",
            "version",
        }
        data = await fact(bus, "event_registration.registered", entry["id"], 1)
        assert data["user"]["email"] == "ev-auto-2@example.org"
        assert data["event_id"] == event["id"]

        # the learner leaves the session: their event registration is cancelled
        expect(
            await call(
                system,
                "POST",
                f"/api/registrations/{first['id']}/cancel",
                learner(system, "ev-auto-1"),
                {},
            ),
            200,
        )
        assert await registered("ev-auto-2")
        cancelled = await bus.wait_for(
            lambda e: (
                e["type"] == "event_registration.cancelled" and e["data"]["user_id"] == "ev-auto-1"
            ),
            what="the cancelled event registration",
        )
        assert cancelled.envelope["data"]["reason"] == "registration_cancelled"

        # a deleted event cancels its registrations
        expect(await call(system, "DELETE", f"/api/events/{event['id']}", manager(system)), 204)
        deleted = await bus.wait_for(
            lambda e: (
                e["type"] == "event_registration.cancelled" and e["data"]["user_id"] == "ev-auto-2"
            ),
            what="event_deleted",
        )
        assert deleted.envelope["data"]["reason"] == "event_deleted"
        expect(await register(system, admin(system), event, "ev-auto-2"), 404)


async def test_a_public_event_has_its_own_seats_and_line(healthy_system: System) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["event_registration.#"]) as bus:
        session = await create_session(system, tutors=["ev-tutor"])
        for sub in ("ev-pub-1", "ev-pub-2", "ev-pub-3"):
            await confirmed(system, session, sub)
        event = await create_event(system, session, registration_mode="public", max_users=1)
        one = expect(await register(system, learner(system, "ev-pub-1"), event), 201)
        two = expect(await register(system, learner(system, "ev-pub-2"), event), 201)
        tutor = system.auth("ev-tutor")
        three = expect(await register(system, tutor, event, "ev-pub-3"), 201)
        assert [(r["status"], r["waitlist_position"]) for r in (one, two, three)] == [
            ("registered", None),
            ("waitlisted", 1),
            ("waitlisted", 2),
        ]
        assert (one["user_id"], one["session_id"], one["version"]) == (
            "ev-pub-1",
            session["id"],
            1,
        )
        again = expect(await register(system, learner(system, "ev-pub-2"), event), 409)
        assert again["id"] == two["id"]

        # the learner cancels their own; the head of the line takes the seat at once
        left = expect(
            await call(
                system,
                "POST",
                f"/api/event-registrations/{one['id']}/cancel",
                learner(system, "ev-pub-1"),
                {"reason": "busy"},
            ),
            200,
        )
        assert (left["status"], left["version"]) == ("cancelled", 2)
        assert await of_event(system, event) == {
            "ev-pub-2": ("registered", None),
            "ev-pub-3": ("waitlisted", 1),
        }
        promoted = await fact(bus, "event_registration.promoted", two["id"], 2)
        assert promoted["previous_status"] == "waitlisted"
        assert (await fact(bus, "event_registration.cancelled", one["id"], 2))["reason"] == "busy"
        expect(
            await call(system, "POST", f"/api/event-registrations/{one['id']}/cancel", tutor, {}),
            409,
        )

        # raising the event's max_users promotes the line
        expect(
            await call(system, "PATCH", f"/api/events/{event['id']}", tutor, {"max_users": 5}),
            200,
        )
        await fact(bus, "event_registration.promoted", three["id"], 3)
        assert await of_event(system, event) == {
            "ev-pub-2": ("registered", None),
            "ev-pub-3": ("registered", None),
        }
        # lists are sorted and paged as everywhere
        page = expect(
            await system.http.get(
                "/api/event-registrations",
                params={"event_id": event["id"], "sort": "status", "order": "desc", "limit": 1},
                headers=tutor,
            ),
            200,
        )
        assert (page["total"], len(page["items"])) == (3, 1)


async def test_every_refusal(healthy_system: System) -> None:
    system = healthy_system
    session = await create_session(system, tutors=["ev-ref-tutor"])
    await confirmed(system, session, "ev-ref-1")
    manual = await create_event(system, session, registration_mode="manual")
    auto = await create_event(system, session)
    public = await create_event(system, session, registration_mode="public")
    stranger_manager = manager(system, "ev-other", "org-elsewhere")

    # 401
    for method, path in (
        ("POST", "/api/event-registrations"),
        ("GET", "/api/event-registrations"),
        ("POST", f"/api/event-registrations/{uuid.uuid4()}/cancel"),
    ):
        expect(await call(system, method, path, {}, {"event_id": manual["id"]}), 401)
        bad = {"Authorization": "Bearer not-a-token"}
        expect(await call(system, method, path, bad, {"event_id": manual["id"]}), 401)
    # 403
    expect(await register(system, learner(system, "ev-ref-1"), manual), 403)
    expect(await register(system, learner(system, "ev-ref-2"), public, "ev-ref-1"), 403)
    expect(await register(system, stranger_manager, manual, "ev-ref-1"), 403)
    by_tutor = expect(await register(system, system.auth("ev-ref-tutor"), manual, "ev-ref-1"), 201)
    cancel_path = f"/api/event-registrations/{by_tutor['id']}/cancel"
    expect(await call(system, "POST", cancel_path, learner(system, "ev-ref-1"), {}), 403)
    expect(await call(system, "POST", cancel_path, stranger_manager, {}), 403)
    expect(
        await system.http.get(
            f"/api/event-registrations/{by_tutor['id']}", headers=learner(system, "ev-ref-2")
        ),
        403,
    )
    hidden = await system.http.get(
        "/api/event-registrations",
        params={"event_id": manual["id"]},
        headers=learner(system, "ev-ref-2"),
    )
    assert expect(hidden, 200) == {"items": [], "total": 0}
    # 404
    expect(await register(system, manager(system), {"id": str(uuid.uuid4())}, "ev-ref-1"), 404)
    expect(
        await call(
            system, "POST", f"/api/event-registrations/{uuid.uuid4()}/cancel", manager(system), {}
        ),
        404,
    )
    # 409: no confirmed session registration, already registered, auto event, already cancelled
    expect(await register(system, learner(system, "ev-ref-2"), public), 409)
    expect(await register(system, manager(system), manual, "ev-ref-nobody"), 409)
    twice = expect(await register(system, manager(system), manual, "ev-ref-1"), 409)
    assert twice["id"] == by_tutor["id"]
    expect(await register(system, manager(system), auto, "ev-ref-1"), 409)
    expect(await call(system, "POST", cancel_path, manager(system), {}), 200)
    expect(await call(system, "POST", cancel_path, manager(system), {}), 409)
    # 422
    for body in ({}, {"event_id": "not-a-uuid"}, {"event_id": manual["id"], "user_id": ""}):
        invalid = expect(
            await call(system, "POST", "/api/event-registrations", manager(system), body), 422
        )
        assert invalid["errors"]
    expect(
        await system.http.get(
            "/api/event-registrations", params={"sort": "user_id"}, headers=manager(system)
        ),
        422,
    )
    expect(await call(system, "POST", cancel_path, manager(system), {"reason": "x" * 2001}), 422)
    # 400
    malformed = await system.http.post(
        "/api/event-registrations",
        content=b"{",
        headers={**manager(system), "content-type": "application/json"},
    )
    expect(malformed, 400)
