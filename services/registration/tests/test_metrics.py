"""Registration's metrics, scraped from its own `GET /metrics` while its HTTP API is used on
the real database: decisions by outcome, batch sizes, expiry lateness, requests by route."""

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
from testsupport.metrics import sample

from .conftest import app_state, serving, session_data

pytestmark = pytest.mark.integration

SECRET = "metrics-secret-0123456789abcdef-0123"
MANAGER = {
    "Authorization": "Bearer "
    + mint_token(SECRET, sub="manager", roles=["training_manager"], organizations=["org-a"])
}


@pytest.fixture(scope="module")
async def http(servers: Servers, registration_database: str) -> AsyncIterator[httpx.AsyncClient]:
    vhost = unique_name("reg_metrics")
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


async def new_session(http: httpx.AsyncClient, **fields: Any) -> SessionData:
    session = session_data(**fields)
    await service(http).replicate_session(str(uuid.uuid4()), "catalog.session.created", session)
    return session


async def sign_up(http: httpx.AsyncClient, session: SessionData, who: str) -> httpx.Response:
    token = mint_token(SECRET, sub=who, email=f"{who}@example.org", name=who)
    return await http.post(
        "/api/registrations",
        json={"session_id": str(session.id)},
        headers={"Authorization": f"Bearer {token}"},
    )


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    assert response.status_code == 200
    return response.text


def decisions(text: str, outcome: str) -> float:
    return sample(text, "registration_decisions_total", {"outcome": outcome})


async def test_decisions_are_counted_by_outcome_and_no_user_is_named(
    http: httpx.AsyncClient,
) -> None:
    session = await new_session(http, max_users=1)
    learner = f"learner-{uuid.uuid4().hex}"
    before = await scrape(http)
    assert (await sign_up(http, session, learner)).status_code == 201
    after_seat = await scrape(http)
    assert decisions(after_seat, "seat") == decisions(before, "seat") + 1
    assert (await sign_up(http, session, f"{learner}-2")).status_code == 201
    assert (await sign_up(http, session, learner)).status_code == 409  # already registered
    after = await scrape(http)

    assert decisions(after, "seat") == decisions(before, "seat") + 1
    assert decisions(after, "waitlist") == decisions(before, "waitlist") + 1
    assert decisions(after, "refused") == decisions(before, "refused") + 1
    batches = "registration_batch_size_count"
    assert sample(after, batches) == sample(before, batches) + 3
    posted = {"service": "registration", "method": "POST", "route": "/api/registrations"}
    for status, more in (("201", 2), ("409", 1)):
        labels = {**posted, "status": status}
        assert sample(after, "http_requests_total", labels) == (
            sample(before, "http_requests_total", labels) + more
        )
    assert learner not in after
    assert str(session.id) not in after


async def test_a_seat_offered_from_the_line_is_an_offer(http: httpx.AsyncClient) -> None:
    session = await new_session(http, max_users=1, waitlist_offer_hours=2)
    seated = (await sign_up(http, session, f"o-{uuid.uuid4().hex[:8]}")).json()
    assert (await sign_up(http, session, f"o-{uuid.uuid4().hex[:8]}")).status_code == 201
    before = await scrape(http)
    cancelled = await http.post(f"/api/registrations/{seated['id']}/cancel", headers=MANAGER)
    assert cancelled.status_code == 200, cancelled.text
    after = await scrape(http)
    assert decisions(after, "offer") == decisions(before, "offer") + 1
    route = "/api/registrations/{registration_id}/cancel"
    assert sample(after, "http_requests_total", {"route": route, "status": "200"}) >= 1
    assert seated["id"] not in after


async def test_expiries_are_timed_against_their_deadline(http: httpx.AsyncClient) -> None:
    session = await new_session(http, user_validation=True, confirmation_hours=1)
    pending = await sign_up(http, session, f"e-{uuid.uuid4().hex[:8]}")
    assert pending.json()["status"] == "pending"
    before = await scrape(http)
    late = datetime.now(UTC) + timedelta(hours=1, minutes=1)
    assert await service(http).expire_due(late) >= 1
    after = await scrape(http)
    name = "registration_expiry_lateness_seconds"
    assert sample(after, f"{name}_count") >= sample(before, f"{name}_count") + 1
    # a minute late (the deadline is an hour after the request, the round a minute after that)
    assert sample(after, f"{name}_sum") - sample(before, f"{name}_sum") >= 55
