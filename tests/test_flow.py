"""The foundation's flow, end to end through the gateway: a manager creates a training and a
session, the session reaches registration through the outbox and the bus, a learner registers,
and notification writes the message the learner reads — seen from the platform and a subscriber."""

import uuid
from typing import Any

import httpx
import pytest

from shared.events import EVENT_REGISTRATION_EVENTS, REGISTRATION_EVENTS, SEND_CONFIRMATION
from testsupport.subscriber import subscribed
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-flow"


def manager(system: System) -> dict[str, str]:
    return system.auth(
        "manager-1",
        name="Marie Manager",
        email="marie@example.org",
        roles=["training_manager"],
        organizations=[ORG],
    )


async def create_session(system: System, **rules: Any) -> dict[str, Any]:
    code = f"FLOW-{uuid.uuid4().hex[:8]}"
    response = await system.http.post(
        "/api/trainings",
        json={"code": code, "title": "Sécurité au travail", "organizations": [ORG], **rules},
        headers=manager(system),
    )
    assert response.status_code == 201, response.text
    training = response.json()
    response = await system.http.post(
        f"/api/trainings/{training['id']}/sessions",
        json={"title": "Session de mars", "start_date": "2027-03-01", "end_date": "2027-03-03"},
        headers=manager(system),
    )
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


async def register_when_known(
    system: System, session_id: str, headers: dict[str, str]
) -> httpx.Response:
    """A registration is 404 until registration's replica has the session: retry until it does."""

    async def attempt() -> httpx.Response | None:
        response = await system.http.post(
            "/api/registrations", json={"session_id": session_id}, headers=headers
        )
        if response.status_code == 404:
            return None
        return response

    return await eventually(attempt, within=20, what="the session to reach registration")


async def test_a_learner_registers_and_reads_the_notice(healthy_system: System) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["catalog.#", "registration.#"]) as bus:
        session = await create_session(system, public_registration=True, max_users=5)
        assert session["public_registration"] is True  # copied from the training
        assert session["max_users"] == 5
        assert session["organizations"] == [ORG]

        learner = system.auth(
            "learner-1",
            name="Léa Martin",
            email="lea@example.org",
            locale="fr",
            organizations=[ORG],
        )
        request_id = f"flow-{uuid.uuid4().hex}"
        response = await register_when_known(
            system, session["id"], {**learner, "X-Request-ID": request_id}
        )
        assert response.status_code == 201, response.text
        assert response.headers["x-request-id"] == request_id
        registration = response.json()
        assert registration["status"] == "confirmed"
        assert registration["user"]["id"] == "learner-1"
        assert registration["waitlist_position"] is None

        async def notice() -> dict[str, Any] | None:
            inbox = (await system.http.get("/api/inbox", headers=learner)).json()
            return next(
                (m for m in inbox["items"] if m["ref"]["registration_id"] == registration["id"]),
                None,
            )

        message = await eventually(notice, what="the learner's inbox message")
        assert message["subject"] == "Inscription confirmée : « Session de mars »"
        assert message["read_at"] is None

        created = await bus.wait_for(
            lambda e: e["type"] == "catalog.session.created" and e["subject"] == session["id"],
            what="catalog.session.created",
        )
        assert created.envelope["data"]["version"] == 1
        requested = await bus.wait_for(
            lambda e: e["type"] == "registration.requested" and e["subject"] == registration["id"],
            what="registration.requested",
        )
        envelope, amqp = requested.envelope, requested.message
        assert envelope["specversion"] == "1.0"
        assert envelope["source"] == "training/registration"
        assert envelope["data"]["status"] == "confirmed"
        assert envelope["data"]["actor"] == "learner-1"
        assert envelope["requestid"] == request_id
        assert amqp.content_type == "application/cloudevents+json"
        assert amqp.message_id == envelope["id"]
        assert amqp.routing_key == "registration.requested"
        assert amqp.delivery_mode == 2  # persistent

    read = await system.http.post(f"/api/inbox/{message['id']}/read", headers=learner)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    inbox = (await system.http.get("/api/inbox?unread=true", headers=learner)).json()
    assert inbox["unread"] == 0


async def test_refusals_through_the_gateway(healthy_system: System) -> None:
    system = healthy_system
    anonymous = await system.http.get("/api/inbox")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"

    learner = system.auth("learner-2", organizations=[ORG])
    refused = await system.http.post(
        "/api/trainings",
        json={"code": "NOPE", "title": "t", "organizations": [ORG]},
        headers=learner,
    )
    assert refused.status_code == 403

    other_manager = system.auth(
        "manager-2", roles=["training_manager"], organizations=["elsewhere"]
    )
    refused = await system.http.post(
        "/api/trainings",
        json={"code": "NOPE", "title": "t", "organizations": [ORG]},
        headers=other_manager,
    )
    assert refused.status_code == 403

    private = await create_session(system, public_registration=False)
    response = await register_when_known(system, private["id"], learner)
    assert response.status_code == 403

    stranger = system.auth("learner-3")
    message_of_someone_else = await system.http.post(
        f"/api/inbox/{uuid.uuid4()}/read", headers=stranger
    )
    assert message_of_someone_else.status_code == 404


async def test_health_and_documents_through_the_gateway(healthy_system: System) -> None:
    system = healthy_system
    for service in ("catalog", "registration", "notification"):
        health = await system.http.get(f"/health/{service}")
        assert health.json() == {"status": "ok"}
        openapi = await system.http.get(f"/docs/{service}/openapi.json")
        assert openapi.status_code == 200
        assert openapi.json()["openapi"].startswith("3.")
        asyncapi = await system.http.get(f"/docs/{service}/asyncapi.json")
        assert asyncapi.status_code == 200
        assert asyncapi.json()["asyncapi"].startswith("3.")


async def test_each_asyncapi_document_lists_what_its_service_publishes(
    healthy_system: System,
) -> None:
    document = (await healthy_system.http.get("/docs/registration/asyncapi.json")).json()
    published = {*REGISTRATION_EVENTS, *EVENT_REGISTRATION_EVENTS, SEND_CONFIRMATION}
    assert published <= set(document["channels"])
    consumed = {"registration.sessions", "registration.commands"}
    assert consumed <= {c.get("address", name) for name, c in document["channels"].items()} | set(
        document["channels"]
    )
