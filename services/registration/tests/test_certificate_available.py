"""`notification.certificate_available` on the real database: written to the outbox, on the
commands exchange, in the transaction that decides a learner's completion once they were
`present` at a validated event; once per registration, whatever is decided again; with the
certificate id the PDF prints, issued then or at an earlier download."""

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from registration import store
from registration.api import attendance as attendance_api
from registration.api import certificates as certificates_api
from registration.api import registrations as registrations_api
from registration.use_cases.certificates import Certificates
from registration.use_cases.event_registrations import EventRegistrations
from registration.use_cases.presences import Presences
from registration.use_cases.registrations import Registrations
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import TokenVerifier
from shared.db import make_sessionmaker
from shared.events import CERTIFICATE_AVAILABLE, Registration
from shared.messaging import COMMANDS_EXCHANGE
from shared.problems import install_problem_handlers

from .test_attendance_api import PUBLIC_URL, SECRET, auth, events, mark
from .test_attendance_reports_http import text_of
from .test_completion_api import ended_events, shown, validate
from .test_event_registrations import MANAGER

pytestmark = pytest.mark.integration
__all__ = ["events"]  # the fixture

PRINTED_ID = re.compile(re.escape(PUBLIC_URL) + r"/api/certificates/([0-9a-f]{8}-[0-9a-f-]{27})")


@pytest.fixture
async def http(
    registrations: Registrations, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    """The attendance, registrations and certificate routes in-process, on the test database."""
    sessions = make_sessionmaker(engine)
    app = FastAPI()
    install_problem_handlers(app)
    for module in (attendance_api, registrations_api, certificates_api):
        app.include_router(module.router)
    app.state.registrations = registrations
    app.state.presences = Presences(sessions, PUBLIC_URL)
    app.state.certificates = Certificates(sessions, PUBLIC_URL)
    app.state.token_verifier = TokenVerifier(secret=SECRET)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
        yield client


async def announced(engine: AsyncEngine, registration: Registration) -> list[dict[str, Any]]:
    """The `notification.certificate_available` commands in the outbox for `registration`."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(store.outbox.c.exchange, store.outbox.c.payload)
            .where(
                store.outbox.c.routing_key == CERTIFICATE_AVAILABLE,
                store.outbox.c.payload["subject"].astext == str(registration.id),
            )
            .order_by(store.outbox.c.seq)
        )
        found = [dict(r._mapping) for r in rows]
    assert {row["exchange"] for row in found} <= {COMMANDS_EXCHANGE.name}
    return [row["payload"] for row in found]


async def printed_id(http: httpx.AsyncClient, registration: Registration) -> str:
    url = f"/api/registrations/{registration.id}/certificate"
    reply = await http.get(url, headers=auth(MANAGER))
    assert reply.status_code == 200, reply.text
    [certificate_id] = {str(found) for found in PRINTED_ID.findall(text_of(reply.content))}
    return certificate_id


async def issued(engine: AsyncEngine, registration: Registration) -> list[uuid.UUID]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(store.certificates.c.certificate_id).where(
                store.certificates.c.registration_id == registration.id
            )
        )
        return [row.certificate_id for row in rows]


async def test_told_once_when_the_completion_is_decided_and_not_again_on_a_new_decision(
    registrations: Registrations,
    events: EventRegistrations,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
) -> None:
    _, (one, two), (long, short) = await ended_events(registrations, events, completion_rate=50)
    a, b = one.user.id, two.user.id
    assert (await mark(http, long, MANAGER, **{a: "present", b: "absent_justified"})).is_success
    assert (await mark(http, short, MANAGER, **{a: "present"})).is_success
    await validate(http, long)
    assert await announced(engine, one) == []  # not decided: the short event is not validated
    await validate(http, short)

    [command] = await announced(engine, one)
    assert command["source"] == "training/registration"
    data = command["data"]
    decided = await shown(http, one)
    assert (data["registration"]["id"], data["registration"]["version"]) == (
        str(one.id),
        decided["version"],
    )
    assert data["registration"]["completion"] == decided["completion"]
    assert decided["completion"]["completed"] is True
    assert data["certificate_url"] == f"{PUBLIC_URL}/api/registrations/{one.id}/certificate"
    assert data["certificate_id"] == await printed_id(http, one)
    assert await announced(engine, two) == []  # attended nothing: no certificate
    assert await issued(engine, two) == []

    # decided again, differently (a manager's change) and the same (validated again): told once
    assert (await mark(http, short, MANAGER, **{a: "absent_unjustified"})).is_success
    await validate(http, short)
    assert len(await announced(engine, one)) == 1
    assert (await shown(http, one))["completion"]["rate"] < 100

    # the other learner was present after all: told on that decision
    assert (await mark(http, long, MANAGER, **{b: "present"})).is_success
    [later] = await announced(engine, two)
    assert later["data"]["certificate_id"] == await printed_id(http, two)


async def test_a_certificate_downloaded_before_the_decision_is_told_with_its_id(
    registrations: Registrations,
    events: EventRegistrations,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
) -> None:
    _, (one, _), (long, short) = await ended_events(registrations, events, completion_rate=50)
    assert (await mark(http, long, MANAGER, **{one.user.id: "present"})).is_success
    await validate(http, long)
    downloaded = await printed_id(http, one)  # issues its id: not told yet, nothing is decided
    assert await announced(engine, one) == []

    await validate(http, short)
    [command] = await announced(engine, one)
    assert command["data"]["certificate_id"] == downloaded
    assert [str(i) for i in await issued(engine, one)] == [downloaded]


async def test_nobody_attended_nobody_is_told(
    registrations: Registrations,
    events: EventRegistrations,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
) -> None:
    _, learners, ended = await ended_events(registrations, events, completion_rate=50)
    for event in ended:
        await validate(http, event)
    for registration in learners:
        assert (await shown(http, registration))["completion"]["completed"] is False
        assert await announced(engine, registration) == []
        assert await issued(engine, registration) == []
