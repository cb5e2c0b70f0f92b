"""Normal life: the broker or the database goes away and comes back."""

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from testsupport.mailbox import MailServer
from testsupport.subscriber import subscribed
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-outage"


async def _all_unhealthy(system: System) -> bool:
    for service in ("catalog", "registration", "notification"):
        response = await system.http.get(f"/health/{service}")
        if response.status_code != 503:
            return False
        assert response.headers["content-type"] == "application/problem+json"
    return True


async def test_a_change_made_while_the_broker_is_away_is_published_when_it_returns(
    healthy_system: System,
) -> None:
    system = healthy_system
    manager = system.auth("manager-o", roles=["training_manager"], organizations=["org-o"])
    code = f"OUT-{uuid.uuid4().hex[:8]}"
    async with subscribed(system.amqp_url, ["catalog.training.#"]) as bus:
        await system.amqp_proxy.cut()
        try:
            await eventually(lambda: _all_unhealthy(system), what="health 503 without the broker")
            created = await system.http.post(
                "/api/trainings",
                json={"code": code, "title": "Pendant la panne", "organizations": ["org-o"]},
                headers=manager,
            )
            assert created.status_code == 201, created.text
        finally:
            await system.amqp_proxy.restore()
        await eventually(system.healthy, within=60, what="health back with the broker")
        event = await bus.wait_for(
            lambda e: e["type"] == "catalog.training.created" and e["data"]["code"] == code,
            within=30,
            what="the training created during the outage",
        )
        assert event.envelope["subject"] == created.json()["id"]


async def test_health_reports_a_lost_database(healthy_system: System) -> None:
    system = healthy_system
    await system.postgres_proxy.cut()
    try:
        await eventually(lambda: _all_unhealthy(system), what="health 503 without the database")
        # liveness is not readiness: an orchestrator must not restart a process for an outage
        for service, port in system.stack.config.service_ports.items():
            live = await system.http.get(f"http://127.0.0.1:{port}/health/live")
            assert live.status_code == 200, service
    finally:
        await system.postgres_proxy.restore()
    await eventually(system.healthy, within=60, what="health back with the database")


# --- the database goes away in the middle of an enrolment -------------------------------------


def _manager(system: System) -> dict[str, str]:
    return system.auth("outage-manager", roles=["training_manager"], organizations=[ORG])


def _learner(system: System, sub: str) -> dict[str, str]:
    return system.auth(sub, name=sub.capitalize(), email=f"{sub}@example.org")


async def _public_session(system: System) -> str:
    training = await system.http.post(
        "/api/trainings",
        json={
            "code": f"OUT-{uuid.uuid4().hex[:8]}",
            "title": "Inscriptions pendant la panne",
            "organizations": [ORG],
            "public_registration": True,
        },
        headers=_manager(system),
    )
    assert training.status_code == 201, training.text
    session = await system.http.post(
        f"/api/trainings/{training.json()['id']}/sessions",
        json={"title": "Session", "start_date": "2027-05-03", "end_date": "2027-05-04"},
        headers=_manager(system),
    )
    assert session.status_code == 201, session.text
    session_id: str = session.json()["id"]
    return session_id


async def _register(system: System, session_id: str, sub: str) -> dict[str, Any]:
    """Once the session has reached registration (404 until then)."""

    async def attempt() -> httpx.Response | None:
        response = await system.http.post(
            "/api/registrations", json={"session_id": session_id}, headers=_learner(system, sub)
        )
        return None if response.status_code == 404 else response

    response = await eventually(attempt, within=20, what="the session to reach registration")
    assert response.status_code == 201, response.text
    registration: dict[str, Any] = response.json()
    return registration


async def _deliveries_of(system: System, sub: str) -> list[dict[str, Any]]:
    admin = system.auth("outage-admin", roles=["platform_admin"])
    page = await system.http.get(f"/api/deliveries?user_id={sub}", headers=admin)
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


async def test_an_email_sent_while_the_database_is_away_is_sent_once(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system, server = healthy_system, running_mail_server
    session_id = await _public_session(system)
    learners = [f"mailcut-{i}-{uuid.uuid4().hex[:6]}" for i in range(4)]
    received_before = len(server.received)
    server.hold()  # the first confirmation email stays in flight, the others wait their turn
    try:
        for sub in learners:
            assert (await _register(system, session_id, sub))["status"] == "confirmed"

        async def all_written() -> bool:
            return all([await _deliveries_of(system, sub) for sub in learners])

        await eventually(all_written, within=30, what="every learner's email written")
        await eventually(lambda: server.held == 1, what="an email in flight")
        await system.postgres_proxy.cut()
    finally:
        server.release()
    try:
        # the SMTP server has it: the sender now holds an outcome it cannot write
        await eventually(lambda: len(server.received) > received_before, what="the email sent")
        await eventually(lambda: _all_unhealthy(system), what="health 503 without the database")
    finally:
        await system.postgres_proxy.restore()

    async def all_sent() -> list[dict[str, Any]] | None:
        found = [d for sub in learners for d in await _deliveries_of(system, sub)]
        return found if all(d["status"] == "sent" for d in found) else None

    deliveries = await eventually(all_sent, within=60, what="every email recorded sent")
    assert len(deliveries) == len(learners)
    # a row is sent once its outcome is written: no copy can come after this
    for delivery in deliveries:
        mails = server.to(delivery["recipient"])
        assert [str(m.message["Message-ID"]) for m in mails] == [
            f"<{delivery['id']}@notification.training>"
        ], delivery
        assert delivery["attempts"] == 1


def _cleanly_refused_or_unavailable(response: httpx.Response) -> bool:
    if response.status_code == 201 or 400 <= response.status_code < 500:
        return True
    return (
        response.status_code == 503
        and response.headers.get("content-type") == "application/problem+json"
        and int(response.headers.get("retry-after", "0")) > 0
    )


async def test_an_enrolment_burst_meets_the_database_going_away_with_503s_only(
    healthy_system: System,
) -> None:
    system = healthy_system
    session_id = await _public_session(system)
    await _register(system, session_id, f"early-{uuid.uuid4().hex[:6]}")
    learners = [f"burst-{i}-{uuid.uuid4().hex[:6]}" for i in range(150)]
    answers: dict[str, httpx.Response] = {}
    in_flight = asyncio.Semaphore(25)

    async with httpx.AsyncClient(base_url=system.stack.gateway_url, timeout=60) as http:

        async def enrol(sub: str) -> None:
            async with in_flight:
                answers[sub] = await http.post(
                    "/api/registrations",
                    json={"session_id": session_id},
                    headers=_learner(system, sub),
                )

        burst = asyncio.gather(*(enrol(sub) for sub in learners))
        try:
            await eventually(lambda: len(answers) >= 30, what="the burst under way")
            await system.postgres_proxy.cut()
            try:
                await eventually(
                    lambda: any(a.status_code == 503 for a in answers.values()),
                    what="a request meeting the database gone",
                )
                await eventually(lambda: _all_unhealthy(system), what="health 503")
            finally:
                await system.postgres_proxy.restore()
        finally:
            await burst

    statuses = Counter(answer.status_code for answer in answers.values())
    unclean = {
        sub: (a.status_code, a.headers.get("content-type"), a.text[:200])
        for sub, a in answers.items()
        if not _cleanly_refused_or_unavailable(a)
    }
    assert not unclean, (statuses, unclean)
    assert statuses[201] >= 30, statuses
    assert statuses[503] >= 1, statuses

    await eventually(system.healthy, within=60, what="health back with the database")
    unavailable = [sub for sub, answer in answers.items() if answer.status_code == 503]
    for sub in unavailable:
        again = await system.http.post(
            "/api/registrations", json={"session_id": session_id}, headers=_learner(system, sub)
        )
        # 409 names the registration a 503 may have hidden (committed, then the answer lost)
        assert again.status_code in (201, 409), again.text
    listed = await system.http.get(
        f"/api/registrations?session_id={session_id}&limit=500", headers=_manager(system)
    )
    assert listed.status_code == 200, listed.text
    holders = Counter(item["user"]["id"] for item in listed.json()["items"])
    assert all(holders[sub] == 1 for sub in learners), holders
