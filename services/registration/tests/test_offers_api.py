"""Seats offered from the waitlist over HTTP, on the real database: accept and decline, who may
answer, and an answer past the offer's deadline; the events each answer leaves in the outbox."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from registration import store
from registration.api import registrations as registrations_api
from registration.use_cases.admission import RegistrationRequest
from registration.use_cases.registrations import Registrations
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import Principal, TokenVerifier, mint_token
from shared.events import Registration
from shared.problems import install_problem_handlers

from .test_service import MANAGER, learner, new_session, outbox_of

pytestmark = pytest.mark.integration

SECRET = "offers-api-secret-0123456789-abcdef"
OFFER_HOURS = 2.0


@pytest.fixture
async def http(registrations: Registrations) -> AsyncIterator[httpx.AsyncClient]:
    """The registrations routes in-process, on the test database (no broker needed)."""
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(registrations_api.router)
    app.state.registrations = registrations
    app.state.token_verifier = TokenVerifier(secret=SECRET)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
        yield client


def auth(principal: Principal) -> dict[str, str]:
    claims: dict[str, Any] = {
        "roles": list(principal.roles),
        "organizations": list(principal.organizations),
    }
    if principal.email:
        claims |= {"email": principal.email, "name": principal.name}
    return {"Authorization": f"Bearer {mint_token(SECRET, sub=principal.sub, **claims)}"}


async def offered(registrations: Registrations) -> tuple[Registration, Registration]:
    """A full session offering freed seats whose seat holder was cancelled: the head of the line
    holds the seat on offer (learner-1), learner-2 waits behind."""
    session = await new_session(registrations, max_users=1, waitlist_offer_hours=OFFER_HOURS)
    seated, head, behind = [
        await registrations.register(learner(n), RegistrationRequest(session.id)) for n in range(3)
    ]
    await registrations.cancel(MANAGER, seated.id, None)
    return await registrations.registration(MANAGER, head.id), behind


async def answer(
    http: httpx.AsyncClient, registration: Registration, verb: str, by: Principal
) -> httpx.Response:
    return await http.post(f"/api/registrations/{registration.id}/{verb}", headers=auth(by))


async def facts(engine: AsyncEngine, reg_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    return [(e["routing_key"], e["payload"]["data"]) for e in await outbox_of(engine, reg_id)]


async def test_an_offer_accepted_is_a_promotion(
    registrations: Registrations, engine: AsyncEngine, http: httpx.AsyncClient
) -> None:
    head, behind = await offered(registrations)
    assert head.status == "offered"
    assert head.offer_expires_at is not None
    assert head.offer_expires_at - datetime.now(UTC) > timedelta(hours=OFFER_HOURS - 0.1)
    shown = await http.get(f"/api/registrations/{head.id}", headers=auth(learner(1)))
    assert shown.json()["offer_expires_at"] is not None
    reply = await answer(http, head, "accept", learner(1))
    assert reply.status_code == 200, reply.text
    assert (reply.json()["status"], reply.json()["offer_expires_at"]) == ("confirmed", None)
    told = await facts(engine, head.id)
    types = [t for t, _ in told]
    assert types[-3:] == ["registration.offered", "registration.promoted", "registration.confirmed"]
    offer = dict(told)["registration.offered"]
    assert (offer["status"], offer["waitlist_position"]) == ("offered", None)
    assert datetime.fromisoformat(offer["offer_expires_at"]) == head.offer_expires_at
    assert dict(told)["registration.promoted"]["previous_status"] == "offered"
    assert (await registrations.registration(MANAGER, behind.id)).waitlist_position == 1


async def test_an_offer_declined_goes_to_the_next_in_line(
    registrations: Registrations, engine: AsyncEngine, http: httpx.AsyncClient
) -> None:
    head, behind = await offered(registrations)
    reply = await answer(http, head, "decline", MANAGER)  # a manager answers for the learner
    assert reply.status_code == 200, reply.text
    assert (reply.json()["status"], reply.json()["offer_expires_at"]) == ("cancelled", None)
    kind, data = (await facts(engine, head.id))[-1]
    assert (kind, data["reason"], data["previous_status"]) == (
        "registration.cancelled",
        "offer_declined",
        "offered",
    )
    assert (await registrations.registration(MANAGER, behind.id)).status == "offered"


async def test_only_the_learner_or_a_manager_answers_and_only_an_offer(
    registrations: Registrations, http: httpx.AsyncClient
) -> None:
    head, behind = await offered(registrations)
    for verb in ("accept", "decline"):
        refused = await answer(http, head, verb, learner(2))
        assert refused.status_code == 403, refused.text
        not_offered = await answer(http, behind, verb, learner(2))
        assert not_offered.status_code == 409, not_offered.text
    assert (await registrations.registration(MANAGER, head.id)).status == "offered"


async def test_an_answer_past_the_deadline_finds_the_offer_expired(
    registrations: Registrations, engine: AsyncEngine, http: httpx.AsyncClient
) -> None:
    head, behind = await offered(registrations)
    async with engine.begin() as conn:
        await conn.execute(
            update(store.registrations)
            .where(store.registrations.c.id == head.id)
            .values(offer_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    reply = await answer(http, head, "accept", learner(1))
    assert reply.status_code == 409, reply.text
    now = await registrations.registration(MANAGER, head.id)
    assert (now.status, now.offer_expires_at) == ("expired", None)
    kind, data = (await facts(engine, head.id))[-1]
    assert (kind, data["reason"], data["previous_status"]) == (
        "registration.expired",
        "offer_expired",
        "offered",
    )
    assert (await registrations.registration(MANAGER, behind.id)).status == "offered"
    again = await answer(http, head, "decline", learner(1))
    assert again.status_code == 409, again.text


async def test_the_expiry_round_ends_due_offers(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    head, behind = await offered(registrations)
    async with engine.begin() as conn:
        await conn.execute(
            update(store.registrations)
            .where(store.registrations.c.id == head.id)
            .values(offer_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await registrations.expire_due() >= 1
    assert (await registrations.registration(MANAGER, head.id)).status == "expired"
    assert (await registrations.registration(MANAGER, behind.id)).status == "offered"
