"""Events a service did not publish change nothing (docs/reference/events.md): an event whose
`source` is not the owner of its type ends in the consumer's DLQ with the reason and a log line;
the same event from its owner is applied. Published as anyone who can reach the broker could."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage

from shared.events import new_event
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-forged"
EVIL_ORG = "evil-org"


def manager(system: System, organization: str) -> dict[str, str]:
    return system.auth(
        f"manager-{organization}", roles=["training_manager"], organizations=[organization]
    )


async def a_session(system: System) -> dict[str, Any]:
    headers = manager(system, ORG)
    training = await system.http.post(
        "/api/trainings",
        json={"code": f"FRG-{uuid.uuid4().hex[:8]}", "title": "Forgery", "organizations": [ORG]},
        headers=headers,
    )
    assert training.status_code == 201, training.text
    created = await system.http.post(
        f"/api/trainings/{training.json()['id']}/sessions",
        json={"title": "Mai", "start_date": "2027-05-03", "end_date": "2027-05-04"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    session: dict[str, Any] = created.json()

    async def replicated() -> bool:
        return await export_status(system, session, ORG) == 200

    await eventually(replicated, what="the session in registration's replica")
    return session


async def export_status(system: System, session: dict[str, Any], organization: str) -> int:
    export = await system.http.get(
        "/api/registrations/export",
        params={"session_id": session["id"]},
        headers=manager(system, organization),
    )
    return export.status_code


async def publish(system: System, envelope: dict[str, Any], source: str) -> None:
    connection = await aio_pika.connect(system.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("training.events")
        await exchange.publish(
            aio_pika.Message(
                json.dumps({**envelope, "source": source}).encode(),
                message_id=envelope["id"],
                content_type="application/cloudevents+json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=envelope["type"],
        )


async def dead_letter(system: System, dlq_name: str, message_id: str) -> AbstractIncomingMessage:
    """The message `message_id` once it is in `dlq_name` (what else is there is left there)."""
    connection = await aio_pika.connect(system.amqp_url)
    async with connection:
        channel = await connection.channel()
        dlq = await channel.declare_queue(dlq_name, passive=True)
        found: list[AbstractIncomingMessage] = []

        async def arrived() -> bool:
            held = []  # unacked, so each get brings the next one
            while (message := await dlq.get(fail=False)) is not None:
                held.append(message)
            for message in held:
                if message.message_id == message_id:
                    await message.ack()
                    found.append(message)
                else:
                    await message.nack(requeue=True)
            return bool(found)

        await eventually(arrived, what=f"{message_id} in {dlq_name}")
        return found[0]


def assert_dropped(
    system: System, dead: AbstractIncomingMessage, source: str, type_: str, owner: str
) -> None:
    reason = f"source {source!r} does not own {type_}: {owner} does"
    assert dead.headers["x-last-error"] == reason
    assert dead.headers["x-attempt"] == 1
    assert any(str(dead.message_id) in line and reason in line for line in system.logs)


async def test_a_forged_session_update_changes_no_replica_and_the_genuine_one_does(
    healthy_system: System,
) -> None:
    system = healthy_system
    session = await a_session(system)
    taken = {**session, "version": session["version"] + 100, "organizations": [EVIL_ORG]}
    envelope = new_event(
        "catalog", "catalog.session.updated", taken, subject=session["id"]
    ).to_message()

    await publish(system, envelope, "training/registration")
    dead = await dead_letter(system, "registration.sessions.dlq", envelope["id"])

    assert_dropped(
        system, dead, "training/registration", "catalog.session.updated", "training/catalog"
    )
    assert await export_status(system, session, EVIL_ORG) == 403
    assert await export_status(system, session, ORG) == 200

    await publish(system, envelope, "training/catalog")  # the same event, from its owner

    async def applied() -> bool:
        return await export_status(system, session, EVIL_ORG) == 200

    await eventually(applied, what="the genuine update in registration's replica")


async def test_a_forged_registration_fact_tells_the_learner_nothing_and_the_genuine_one_does(
    healthy_system: System,
) -> None:
    system = healthy_system
    session = await a_session(system)
    learner = f"forged-learner-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).isoformat()
    registration = {
        "id": str(uuid.uuid4()),
        "session_id": session["id"],
        "training_id": session["training_id"],
        "user": {"id": learner, "email": f"{learner}@example.org", "name": "Lou", "locale": "en"},
        "status": "confirmed",
        "previous_status": "pending",
        "pending_validations": [],
        "version": 2,
        "created_at": now,
        "updated_at": now,
    }
    envelope = new_event(
        "registration", "registration.confirmed", registration, subject=registration["id"]
    ).to_message()

    async def inbox() -> list[dict[str, Any]]:
        answer = await system.http.get("/api/inbox", headers=system.auth(learner))
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    await publish(system, envelope, "evil")
    dead = await dead_letter(system, "notification.registrations.dlq", envelope["id"])

    assert_dropped(system, dead, "evil", "registration.confirmed", "training/registration")
    assert await inbox() == []

    await publish(system, envelope, "training/registration")  # the same event, from its owner
    (told,) = await eventually(inbox, what="the genuine fact in the learner's inbox")
    assert told["ref"]["registration_id"] == registration["id"]
