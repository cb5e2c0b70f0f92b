"""Session registrations end to end through the gateway: every flow and every
refusal of docs/reference/http.md (Registration), watched on the bus as a subscriber sees it."""

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest
from aio_pika.abc import AbstractIncomingMessage, HeadersType

from shared.events import new_event
from testsupport.subscriber import Subscriber, subscribed
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-reg"
LEARNER_ORG = "org-learners"


def manager(system: System, sub: str = "reg-manager") -> dict[str, str]:
    return system.auth(sub, name="Marc", roles=["training_manager"], organizations=[ORG])


def admin(system: System) -> dict[str, str]:
    return system.auth("reg-admin", roles=["platform_admin"])


def learner(system: System, sub: str, **claims: Any) -> dict[str, str]:
    return system.auth(
        sub, name=f"Learner {sub}", email=f"{sub}@example.org", locale="en", **claims
    )


class Commands:
    """Stands where notification listens: `notification.send_confirmation` on training.commands."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def token_for(self, registration_id: str) -> str:
        async def found() -> str | None:
            return next(
                (
                    c["data"]["token"]
                    for c in self.received
                    if c["data"]["registration"]["id"] == registration_id
                ),
                None,
            )

        return await eventually(found, within=20, what="the confirmation command")


@pytest.fixture(scope="module")
async def commands(system: System) -> AsyncIterator[Commands]:
    captured = Commands()
    connection = await aio_pika.connect_robust(system.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            "training.commands", aio_pika.ExchangeType.DIRECT, durable=True
        )
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, "notification.send_confirmation")

        async def collect(message: AbstractIncomingMessage) -> None:
            async with message.process():
                captured.received.append(json.loads(message.body))

        await queue.consume(collect)
        yield captured
    finally:
        await asyncio.shield(connection.close())


async def create_session(
    system: System, *, tutors: list[str] | None = None, **rules: Any
) -> dict[str, Any]:
    response = await system.http.post(
        "/api/trainings",
        json={
            "code": f"REG-{uuid.uuid4().hex[:8]}",
            "title": "Premiers secours",
            "organizations": [ORG],
            **rules,
        },
        headers=manager(system),
    )
    assert response.status_code == 201, response.text
    response = await system.http.post(
        f"/api/trainings/{response.json()['id']}/sessions",
        json={
            "title": "Avril",
            "start_date": "2027-04-01",
            "end_date": "2027-04-02",
            "tutors": tutors or [],
        },
        headers=manager(system),
    )
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()

    async def known() -> bool:
        seats = await system.http.get(
            "/api/seats", params={"session_id": session["id"]}, headers=manager(system)
        )
        return bool(seats.json()["items"])

    await eventually(known, within=20, what="the session to reach registration")
    return session


async def post(
    system: System, path: str, headers: dict[str, str], body: Any = None
) -> httpx.Response:
    return await system.http.post(path, json=body if body is not None else {}, headers=headers)


async def register(
    system: System, session: dict[str, Any], headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await post(system, "/api/registrations", headers, {"session_id": session["id"], **body})


def someone(sub: str, **fields: Any) -> dict[str, Any]:
    return {"id": sub, "email": f"{sub}@example.org", "name": f"Learner {sub}", **fields}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def event(bus: Subscriber, type_: str, registration_id: str) -> dict[str, Any]:
    received = await bus.wait_for(
        lambda e: e["type"] == type_ and e["subject"] == registration_id, what=type_
    )
    data: dict[str, Any] = received.envelope["data"]
    return data


async def publish_catalog(system: System, type_: str, session: dict[str, Any]) -> None:
    """What catalog announces when a session changes (its cancel/PATCH calls come later)."""
    envelope = new_event("catalog", type_, session, subject=session["id"]).to_message()
    connection = await aio_pika.connect(system.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("training.events")
        await exchange.publish(
            aio_pika.Message(
                json.dumps(envelope).encode(),
                message_id=envelope["id"],
                content_type="application/cloudevents+json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=type_,
        )


# --- flows ---------------------------------------------------------------------------------------


async def test_a_full_session_waitlists_and_a_freed_seat_promotes_the_head(
    healthy_system: System,
) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["registration.#"]) as bus:
        session = await create_session(system, public_registration=True, max_users=1)
        first = await register(system, session, learner(system, "wl-1"))
        assert first.status_code == 201, first.text
        assert first.json()["status"] == "confirmed"
        second = await register(system, session, learner(system, "wl-2"))
        assert second.status_code == 201
        waiting = second.json()
        assert (waiting["status"], waiting["waitlist_position"]) == ("waitlisted", 1)
        assert (await event(bus, "registration.waitlisted", waiting["id"]))["version"] == 1

        seats = await system.http.get(
            "/api/seats",
            params=[("session_id", session["id"]), ("session_id", str(uuid.uuid4()))],
            headers=learner(system, "anyone"),
        )
        assert seats.json() == {
            "items": [
                {
                    "session_id": session["id"],
                    "max_users": 1,
                    "taken": 1,
                    "waitlisted": 1,
                    "free": 0,
                    "open": True,  # public_registration and no window: learners may register
                }
            ]
        }

        cancelled = await post(
            system,
            f"/api/registrations/{first.json()['id']}/cancel",
            manager(system),
            {"reason": "sick"},
        )
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        data = await event(bus, "registration.cancelled", first.json()["id"])
        assert (data["reason"], data["previous_status"], data["actor"]) == (
            "sick",
            "confirmed",
            "reg-manager",
        )
        promoted = await event(bus, "registration.promoted", waiting["id"])
        assert promoted["previous_status"] == "waitlisted"
        confirmed = await event(bus, "registration.confirmed", waiting["id"])
        assert confirmed["version"] == 2
        now = await system.http.get(
            f"/api/registrations/{waiting['id']}", headers=learner(system, "wl-2")
        )
        assert now.json()["status"] == "confirmed"
        assert now.json()["waitlist_position"] is None

        mine = await system.http.get(
            "/api/registrations", params={"sort": "status"}, headers=learner(system, "wl-2")
        )
        assert [r["id"] for r in mine.json()["items"]] == [waiting["id"]]
        assert mine.json()["total"] == 1


async def test_the_learner_confirms_with_the_emailed_token(
    healthy_system: System, commands: Commands
) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["#"]) as bus:
        session = await create_session(system, public_registration=True, user_validation=True)
        me = learner(system, "tok-1")
        created = await register(system, session, me)
        registration = created.json()
        assert (registration["status"], registration["pending_validations"]) == (
            "pending",
            ["user"],
        )
        token = await commands.token_for(registration["id"])
        path = f"/api/registrations/{registration['id']}/confirm"
        problem(await post(system, path, me, {"token": "wrong-token"}), 422)
        problem(await post(system, path, me, {"token": "not a token!"}), 422)
        problem(await post(system, path, learner(system, "tok-2"), {"token": token}), 403)
        confirmed = await post(system, path, me, {"token": token})
        assert confirmed.status_code == 200
        assert confirmed.json()["status"] == "confirmed"
        validated = await event(bus, "registration.validated", registration["id"])
        assert validated["step"] == "user"
        await event(bus, "registration.confirmed", registration["id"])
        problem(await post(system, path, me, {"token": token}), 409)  # single use
        assert all(token not in json.dumps(r.envelope) for r in bus.received)


async def test_validations_each_by_whom_it_belongs_to(
    healthy_system: System, commands: Commands
) -> None:
    system = healthy_system
    session = await create_session(
        system,
        public_registration=True,
        organization_validation=True,
        registration_validation=True,
    )
    me = learner(system, "val-1", organizations=[LEARNER_ORG])
    registration = (await register(system, session, me)).json()
    assert registration["pending_validations"] == ["organization", "registration"]
    path = f"/api/registrations/{registration['id']}/validate"
    org_manager = system.auth("val-om", managed_organizations=[LEARNER_ORG])
    other_org_manager = system.auth("val-om2", managed_organizations=["elsewhere"])
    problem(await post(system, path, manager(system), {"step": "organization"}), 403)
    problem(await post(system, path, other_org_manager, {"step": "organization"}), 403)
    problem(await post(system, path, org_manager, {"step": "registration"}), 403)
    problem(await post(system, path, me, {"step": "registration"}), 403)
    problem(await post(system, path, manager(system), {"step": "all"}), 403)
    problem(await post(system, path, manager(system), {"step": "validator"}), 403)
    problem(await post(system, path, manager(system), {"step": "everything"}), 422)
    given = await post(system, path, org_manager, {"step": "organization"})
    assert given.json()["pending_validations"] == ["registration"]
    problem(await post(system, path, org_manager, {"step": "organization"}), 409)
    done = await post(system, path, manager(system), {"step": "registration"})
    assert (done.json()["status"], done.json()["version"]) == ("confirmed", 3)

    # manager steps wait for the learner's own confirmation; `all` does not
    waiting = await create_session(
        system, public_registration=True, user_validation=True, registration_validation=True
    )
    pending = (await register(system, waiting, learner(system, "val-2"))).json()
    await commands.token_for(pending["id"])
    step = f"/api/registrations/{pending['id']}/validate"
    problem(await post(system, step, manager(system), {"step": "registration"}), 409)
    everything = await post(system, step, admin(system), {"step": "all"})
    assert everything.json()["status"] == "confirmed"


async def test_refusing_and_cancelling_are_final_and_need_the_right_role(
    healthy_system: System,
) -> None:
    system = healthy_system
    session = await create_session(
        system, public_registration=True, registration_validation=True, tutors=["ref-tutor"]
    )
    me = learner(system, "ref-1")
    registration = (await register(system, session, me)).json()
    path = f"/api/registrations/{registration['id']}"
    problem(await post(system, f"{path}/refuse", system.auth("ref-tutor"), {}), 403)
    problem(await post(system, f"{path}/cancel", me, {}), 403)  # no public_unregistration
    problem(await post(system, f"{path}/cancel", system.auth("ref-tutor"), {}), 403)
    refused = await post(system, f"{path}/refuse", manager(system), {"reason": "prerequisites"})
    assert refused.json()["status"] == "refused"
    problem(await post(system, f"{path}/cancel", manager(system), {}), 409)
    problem(await post(system, f"{path}/refuse", manager(system), {}), 409)

    free = await create_session(system, public_registration=True, public_unregistration=True)
    mine = (await register(system, free, me)).json()
    left = await post(system, f"/api/registrations/{mine['id']}/cancel", me)
    assert left.json()["status"] == "cancelled"
    again = await register(system, free, me)  # a cancelled registration is no longer active
    assert again.status_code == 201


async def test_managers_and_tutors_register_others_and_managers_force(
    healthy_system: System,
) -> None:
    system = healthy_system
    session = await create_session(
        system,
        public_registration=False,
        organization_validation=True,
        registration_validation=True,
        max_users=1,
        tutors=["for-tutor"],
    )
    by_tutor = await register(system, session, system.auth("for-tutor"), user=someone("for-1"))
    assert by_tutor.status_code == 201
    assert by_tutor.json()["pending_validations"] == []
    assert by_tutor.json()["status"] == "confirmed"
    problem(await register(system, session, learner(system, "for-x"), user=someone("for-2")), 403)
    problem(
        await register(
            system, session, system.auth("for-tutor"), user=someone("for-2"), force=True
        ),
        403,
    )
    forced = await register(system, session, manager(system), user=someone("for-2"), force=True)
    assert forced.status_code == 201
    assert (forced.json()["status"], forced.json()["forced"]) == ("confirmed", True)
    waiting = await register(system, session, manager(system), user=someone("for-3"))
    assert waiting.json()["status"] == "waitlisted"
    duplicate = problem(
        await register(system, session, manager(system), user=someone("for-1")), 409
    )
    assert duplicate["id"] == by_tutor.json()["id"]
    problem(await register(system, session, learner(system, "for-4")), 403)  # not public

    bulk = await post(
        system,
        "/api/registrations/bulk",
        manager(system),
        {"session_id": session["id"], "users": [someone("for-5"), someone("for-1")]},
    )
    assert bulk.status_code == 200
    results = bulk.json()["results"]
    assert [r["user_id"] for r in results] == ["for-5", "for-1"]
    assert results[0]["registration"]["status"] == "waitlisted"
    assert results[1]["error"]["status"] == 409
    problem(
        await post(
            system,
            "/api/registrations/bulk",
            system.auth("for-tutor"),
            {"session_id": session["id"], "users": [someone("for-6")]},
        ),
        403,
    )


async def test_a_manager_moves_a_registration(healthy_system: System) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["registration.#"]) as bus:
        source = await create_session(system, public_registration=True)
        target = await create_session(system, public_registration=True, max_users=5)
        me = learner(system, "mv-1")
        registration = (await register(system, source, me)).json()
        path = f"/api/registrations/{registration['id']}/move"
        problem(await post(system, path, me, {"session_id": target["id"]}), 403)
        problem(await post(system, path, manager(system), {"session_id": str(uuid.uuid4())}), 404)
        moved = await post(system, path, manager(system), {"session_id": target["id"]})
        assert moved.status_code == 200
        assert (moved.json()["session_id"], moved.json()["status"]) == (target["id"], "confirmed")
        old = await event(bus, "registration.moved", registration["id"])
        assert (old["status"], old["reason"]) == ("cancelled", "moved")
        assert old["moved_to"] == {"id": moved.json()["id"], "session_id": target["id"]}
        await event(bus, "registration.requested", moved.json()["id"])


async def test_the_export_is_csv_safe_for_spreadsheets(healthy_system: System) -> None:
    system = healthy_system
    session = await create_session(system, public_registration=True)
    sneaky = system.auth("=HYPERLINK(1)", name="=cmd|' /C calc'!A0", email="-2+3@evil.org")
    registration = (await register(system, session, sneaky)).json()
    problem(
        await system.http.get(
            "/api/registrations/export",
            params={"session_id": session["id"]},
            headers=learner(system, "exp-1"),
        ),
        403,
    )
    export = await system.http.get(
        "/api/registrations/export", params={"session_id": session["id"]}, headers=manager(system)
    )
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8"))))
    assert rows[0] == [
        "id",
        "user_id",
        "email",
        "name",
        "status",
        "waitlist_position",
        "created_at",
    ]
    assert rows[1][:5] == [
        registration["id"],
        "'=HYPERLINK(1)",
        "'-2+3@evil.org",
        "'=cmd|' /C calc'!A0",
        "confirmed",
    ]


async def test_a_cancelled_session_ends_its_registrations(healthy_system: System) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["registration.#"]) as bus:
        session = await create_session(system, public_registration=True, max_users=1)
        seated = (await register(system, session, learner(system, "sc-1"))).json()
        waiting = (await register(system, session, learner(system, "sc-2"))).json()
        await publish_catalog(
            system,
            "catalog.session.cancelled",
            {**session, "status": "cancelled", "version": session["version"] + 1},
        )
        for registration in (seated, waiting):
            data = await event(bus, "registration.cancelled", registration["id"])
            assert data["reason"] == "session_cancelled"
        problem(await register(system, session, learner(system, "sc-3")), 409)


async def test_raising_max_users_promotes_the_line(healthy_system: System) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["registration.#"]) as bus:
        session = await create_session(system, public_registration=True, max_users=1)
        await register(system, session, learner(system, "mx-1"))
        waiting = (await register(system, session, learner(system, "mx-2"))).json()
        await publish_catalog(
            system,
            "catalog.session.updated",
            {**session, "max_users": 2, "version": session["version"] + 1},
        )
        await event(bus, "registration.promoted", waiting["id"])


async def test_the_register_command_answers_its_reply_queue(healthy_system: System) -> None:
    system = healthy_system
    session = await create_session(system, public_registration=True)
    forged = {"sub": "cmd-admin", "roles": ["platform_admin"]}
    command = new_event(
        "platform", "registration.register", {"session_id": session["id"], "principal": forged}
    ).to_message()
    caller: HeadersType = {
        "authorization": f"Bearer {system.token('cmd-1', email='c@example.org')}"
    }
    connection = await aio_pika.connect(system.amqp_url)
    async with connection:
        channel = await connection.channel()
        replies = await channel.declare_queue(exclusive=True)
        exchange = await channel.get_exchange("training.commands")
        answers: list[tuple[str | None, dict[str, Any]]] = []

        async def collect(message: AbstractIncomingMessage) -> None:
            async with message.process():
                answers.append((message.correlation_id, json.loads(message.body)))

        await replies.consume(collect)
        for correlation, headers in (("first", caller), ("second", caller), ("anonymous", {})):
            await exchange.publish(
                aio_pika.Message(
                    json.dumps({**command, "id": str(uuid.uuid4())}).encode(),
                    headers=headers,
                    reply_to=replies.name,
                    correlation_id=correlation,
                    content_type="application/cloudevents+json",
                ),
                routing_key="registration.register",
            )
        await eventually(lambda: _at_least(answers, 3), within=20, what="three replies")
    by_correlation = dict(answers)
    assert by_correlation["first"]["status"] == 201
    assert by_correlation["first"]["body"]["user"]["id"] == "cmd-1"  # the token's, not the body's
    assert by_correlation["second"]["status"] == 409
    assert by_correlation["second"]["body"]["id"] == by_correlation["first"]["body"]["id"]
    assert by_correlation["anonymous"]["status"] == 401


async def _at_least(items: list[Any], count: int) -> bool:
    return len(items) >= count


# --- the refusals of docs/reference/http.md that are not above ---------------------------------


async def test_refusals_through_the_gateway(healthy_system: System) -> None:
    system = healthy_system
    session = await create_session(system, public_registration=True)
    me = learner(system, "no-1")
    registration = (await register(system, session, me)).json()
    reg_path = f"/api/registrations/{registration['id']}"

    for method, path in [
        ("POST", "/api/registrations"),
        ("GET", "/api/registrations"),
        ("GET", reg_path),
        ("POST", f"{reg_path}/cancel"),
        ("GET", f"/api/seats?session_id={session['id']}"),
    ]:
        problem(await system.http.request(method, path, json={}), 401)
    problem(await system.http.get(reg_path, headers={"Authorization": "Bearer not-a-token"}), 401)

    duplicate = problem(await register(system, session, me), 409)
    assert duplicate["id"] == registration["id"]
    problem(await system.http.get(reg_path, headers=learner(system, "no-2")), 403)
    other_manager = system.auth("no-m", roles=["training_manager"], organizations=["other"])
    problem(await system.http.get(reg_path, headers=other_manager), 403)
    problem(await post(system, f"{reg_path}/cancel", other_manager), 403)
    assert (await system.http.get(reg_path, headers=manager(system))).status_code == 200

    unknown = problem(
        await post(system, "/api/registrations", me, {"session_id": str(uuid.uuid4())}), 404
    )
    assert "session" in unknown["detail"]
    problem(await system.http.get(f"/api/registrations/{uuid.uuid4()}", headers=me), 404)
    problem(await post(system, f"/api/registrations/{uuid.uuid4()}/cancel", manager(system)), 404)

    invalid = problem(await post(system, "/api/registrations", me, {"session_id": "nope"}), 422)
    assert invalid["errors"][0]["loc"] == ["body", "session_id"]
    problem(await system.http.get("/api/registrations?sort=email", headers=me), 422)
    problem(await system.http.get("/api/registrations?limit=501", headers=me), 422)
    problem(await system.http.get("/api/seats", headers=me), 422)
    malformed = await system.http.post(
        "/api/registrations",
        content=b"{not json",
        headers={**me, "Content-Type": "application/json"},
    )
    problem(malformed, 400)


async def test_an_unconfirmed_request_expires_within_seconds_of_its_deadline(
    healthy_system: System, commands: Commands
) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["registration.#"]) as bus:
        hours = 2 / 3600  # two seconds
        session = await create_session(
            system, public_registration=True, user_validation=True, confirmation_hours=hours
        )
        me = learner(system, "ex-1")
        registration = (await register(system, session, me)).json()
        token = await commands.token_for(registration["id"])
        received = await bus.wait_for(
            lambda e: e["type"] == "registration.expired" and e["subject"] == registration["id"],
            within=2 + 10,
            what="registration.expired within 10 s of the deadline",
        )
        assert received.envelope["data"]["previous_status"] == "pending"
        late = await post(
            system, f"/api/registrations/{registration['id']}/confirm", me, {"token": token}
        )
        problem(late, 409)
        seats = await system.http.get(
            "/api/seats", params={"session_id": session["id"]}, headers=me
        )
        assert seats.json()["items"][0]["taken"] == 0
