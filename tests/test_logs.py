"""No learner data in the logs: what the services and the gateway write while learners register,
emails fail and the database goes away names no learner's email or name."""

import asyncio
import uuid

import httpx
import pytest

from testsupport.mailbox import MailServer
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-logs"


async def _public_session(system: System, manager: dict[str, str]) -> str:
    training = await system.http.post(
        "/api/trainings",
        json={
            "code": f"LOG-{uuid.uuid4().hex[:8]}",
            "title": "Journalisation",
            "organizations": [ORG],
            "public_registration": True,
        },
        headers=manager,
    )
    assert training.status_code == 201, training.text
    session = await system.http.post(
        f"/api/trainings/{training.json()['id']}/sessions",
        json={"title": "Session", "start_date": "2027-06-01", "end_date": "2027-06-02"},
        headers=manager,
    )
    assert session.status_code == 201, session.text
    session_id: str = session.json()["id"]
    return session_id


async def test_the_logs_name_no_learner(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system, mail = healthy_system, running_mail_server
    tag = uuid.uuid4().hex[:8]
    learners = {
        f"logs-{tag}-{n}": (f"Zoé Journal{n}{tag}", f"zoe.{tag}.{n}@example.org") for n in range(40)
    }
    manager = system.auth("logs-manager", roles=["training_manager"], organizations=[ORG])
    admin = system.auth("logs-admin", roles=["platform_admin"])
    since = len(system.logs)
    session_id = await _public_session(system, manager)

    def auth(sub: str) -> dict[str, str]:
        name, email = learners[sub]
        return system.auth(sub, name=name, email=email, organizations=[ORG])

    async def register(sub: str) -> httpx.Response:
        return await system.http.post(
            "/api/registrations", json={"session_id": session_id}, headers=auth(sub)
        )

    subs = list(learners)

    async def known() -> bool:
        return (await register(subs[0])).status_code == 201

    await eventually(known, within=20, what="the session known to registration")
    # while SMTP is down: the sender's failures are logged
    await mail.astop()
    try:
        for sub in subs[1:10]:
            assert (await register(sub)).status_code == 201

        async def failed_once() -> bool:
            page = await system.http.get(
                "/api/deliveries", params={"user_id": subs[5]}, headers=admin
            )
            return any(item["attempts"] >= 1 for item in page.json()["items"])

        await eventually(failed_once, within=30, what="an email that failed")
    finally:
        await mail.astart()
    # a manager's bulk registration, with the learners in the body
    bulk = await system.http.post(
        "/api/registrations/bulk",
        json={
            "session_id": session_id,
            "users": [
                {"id": sub, "name": learners[sub][0], "email": learners[sub][1]}
                for sub in subs[10:15]
            ],
        },
        headers=manager,
    )
    assert bulk.status_code == 200, bulk.text
    # the database goes away while registrations are in flight: failed statements are logged
    answers: list[httpx.Response] = []
    in_flight = asyncio.Semaphore(4)

    async def enrol(sub: str) -> None:
        async with in_flight:
            answers.append(await register(sub))

    burst = asyncio.gather(*(enrol(sub) for sub in subs[15:]))
    try:
        await eventually(lambda: len(answers) >= 5, what="the burst under way")
        await system.postgres_proxy.cut()
        await eventually(lambda: len(answers) >= 15, within=30, what="answers while it is away")
    finally:
        await system.postgres_proxy.restore()
    await burst
    assert {a.status_code for a in answers} <= {201, 503}
    await eventually(system.healthy, within=60, what="every service healthy again")

    async def emailed() -> bool:
        return all(mail.to(learners[sub][1]) for sub in subs[1:10])

    await eventually(emailed, within=60, what="the emails sent once SMTP was back")
    written = "\n".join(system.logs[since:])
    leaks = [value for pair in learners.values() for value in pair if value in written]
    assert not leaks, leaks[:5]
