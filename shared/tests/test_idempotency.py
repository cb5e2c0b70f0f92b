"""`Idempotency-Key` on the real database: replays, conflicts, and what is not kept."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import TokenVerifier, mint_token
from shared.db import make_engine
from shared.idempotency import IdempotentPosts, idempotency_table
from shared.problems import Problem, install_problem_handlers
from testsupport.infra import Servers, create_database, drop_databases, unique_name
from testsupport.waiting import eventually

pytestmark = pytest.mark.integration

metadata = MetaData()
keys = idempotency_table(metadata)
SECRET = "idempotency-test-secret-0123456789abcdef"


class Effects:
    def __init__(self) -> None:
        self.count = 0
        self.gate: asyncio.Event | None = None
        self.fail_next = False


@pytest.fixture(scope="module")
async def engine(servers: Servers) -> AsyncIterator[AsyncEngine]:
    name = unique_name("idem")
    engine = make_engine(await create_database(servers, name))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()
    await drop_databases(servers, name)


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[tuple[httpx.AsyncClient, Effects]]:
    effects = Effects()
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(
        IdempotentPosts, engine=engine, table=keys, verifier=TokenVerifier(secret=SECRET)
    )

    @app.post("/things", status_code=201)
    async def create(request: Request) -> dict[str, Any]:
        body = await request.json()
        if effects.gate is not None:
            await effects.gate.wait()
        if effects.fail_next:
            effects.fail_next = False
            raise Problem(503, detail="try again")
        effects.count += 1
        return {"n": effects.count, "name": body["name"]}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http, effects


def _headers(key: str, sub: str = "alice") -> dict[str, str]:
    return {"Idempotency-Key": key, "Authorization": f"Bearer {mint_token(SECRET, sub=sub)}"}


async def test_the_same_key_and_body_answers_the_first_response_again(
    client: tuple[httpx.AsyncClient, Effects],
) -> None:
    http, effects = client
    first = await http.post("/things", json={"name": "a"}, headers=_headers("k1"))
    again = await http.post("/things", content=b'{ "name" : "a" }', headers=_headers("k1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"n": 1, "name": "a"}
    assert again.headers["content-type"] == "application/json"
    assert again.headers["idempotent-replayed"] == "true"
    assert effects.count == 1


async def test_the_same_key_with_another_body_is_422(
    client: tuple[httpx.AsyncClient, Effects],
) -> None:
    http, effects = client
    await http.post("/things", json={"name": "a"}, headers=_headers("k2"))
    other = await http.post("/things", json={"name": "b"}, headers=_headers("k2"))
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert effects.count == 1


async def test_keys_belong_to_their_caller(client: tuple[httpx.AsyncClient, Effects]) -> None:
    http, effects = client
    await http.post("/things", json={"name": "a"}, headers=_headers("k3", sub="alice"))
    bob = await http.post("/things", json={"name": "a"}, headers=_headers("k3", sub="bob"))
    assert bob.status_code == 201
    assert "idempotent-replayed" not in bob.headers
    assert effects.count == 2


async def test_a_forged_token_replays_nothing(client: tuple[httpx.AsyncClient, Effects]) -> None:
    http, effects = client
    await http.post("/things", json={"name": "secret"}, headers=_headers("k6", sub="alice"))
    forged = {
        "Idempotency-Key": "k6",
        "Authorization": f"Bearer {mint_token('x' * 32, sub='alice')}",
    }
    response = await http.post("/things", json={"name": "secret"}, headers=forged)
    assert "idempotent-replayed" not in response.headers  # the route itself answers (here: acts)
    assert response.json()["n"] == 2
    assert effects.count == 2


async def test_without_a_key_every_post_acts(client: tuple[httpx.AsyncClient, Effects]) -> None:
    http, effects = client
    for _ in range(2):
        assert (await http.post("/things", json={"name": "a"})).status_code == 201
    assert effects.count == 2


async def test_a_concurrent_retry_is_409_until_the_first_has_answered(
    client: tuple[httpx.AsyncClient, Effects], engine: AsyncEngine
) -> None:
    http, effects = client
    effects.gate = asyncio.Event()
    first = asyncio.create_task(http.post("/things", json={"name": "a"}, headers=_headers("k4")))

    async def claimed() -> bool:
        async with engine.connect() as conn:
            found = await conn.execute(select(keys.c.key).where(keys.c.key == "k4"))
            return found.first() is not None

    await eventually(claimed, what="the first request to claim the key")
    second = await http.post("/things", json={"name": "a"}, headers=_headers("k4"))
    assert second.status_code == 409
    effects.gate.set()
    effects.gate = None
    answered = await first
    assert answered.status_code == 201
    replay = await http.post("/things", json={"name": "a"}, headers=_headers("k4"))
    assert replay.json() == answered.json()
    assert effects.count == 1


async def test_a_server_error_leaves_the_key_free_to_retry(
    client: tuple[httpx.AsyncClient, Effects],
) -> None:
    http, effects = client
    effects.fail_next = True
    failed = await http.post("/things", json={"name": "a"}, headers=_headers("k5"))
    assert failed.status_code == 503
    retried = await http.post("/things", json={"name": "a"}, headers=_headers("k5"))
    assert retried.status_code == 201
    assert effects.count == 1


async def test_an_overlong_key_is_422(client: tuple[httpx.AsyncClient, Effects]) -> None:
    http, effects = client
    response = await http.post("/things", json={"name": "a"}, headers=_headers("k" * 256))
    assert response.status_code == 422
    assert effects.count == 0


async def test_a_key_is_free_again_after_24_hours(
    client: tuple[httpx.AsyncClient, Effects], engine: AsyncEngine
) -> None:
    http, effects = client
    await http.post("/things", json={"name": "a"}, headers=_headers("k7"))
    async with engine.begin() as conn:  # as if it had been answered a day ago
        await conn.execute(
            keys.update()
            .where(keys.c.key == "k7")
            .values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
    again = await http.post("/things", json={"name": "b"}, headers=_headers("k7"))
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert effects.count == 2
