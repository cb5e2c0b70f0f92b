from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import sqlalchemy.exc
from fastapi import FastAPI
from pydantic import BaseModel, Field

from shared.auth import CurrentPrincipal, TokenVerifier, mint_token
from shared.problems import Problem, conflict, install_problem_handlers, invalid
from shared.request_frame import RequestFrame

pytestmark = pytest.mark.unit
SECRET = "test-secret-0123456789-0123456789-abc"


class Thing(BaseModel):
    name: str = Field(min_length=1)
    size: int


def _app() -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(secret=SECRET)
    install_problem_handlers(app)
    app.add_middleware(RequestFrame, service="problems-tests")

    @app.post("/things")
    async def create(thing: Thing, _: CurrentPrincipal) -> Thing:
        if thing.name == "taken":
            raise conflict("exists", id="abc")
        if thing.name == "rule":
            raise invalid("name", "breaks a rule")
        if thing.name == "teapot":
            raise Problem(403, detail="no")
        return thing

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/database-restarting")
    async def restarting() -> None:
        raise asyncpg.CannotConnectNowError("the database system is starting up")

    @app.get("/database-gone")
    async def gone() -> None:
        # what SQLAlchemy raises when the connection dropped in the middle of a statement
        cause = asyncpg.ConnectionDoesNotExistError("connection was closed")
        raise sqlalchemy.exc.InterfaceError("SELECT 1", None, cause) from cause

    @app.get("/database-refused")
    async def refused() -> None:
        raise ConnectionRefusedError(111, "Connect call failed")

    return app


@pytest.fixture
def client() -> httpx.AsyncClient:
    token = mint_token(SECRET, sub="u1")
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app()),
        base_url="http://t",
        headers={"Authorization": f"Bearer {token}"},
    )


def _is_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/things", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    _is_problem(response, 400)


async def test_schema_errors_are_422_with_errors(client: httpx.AsyncClient) -> None:
    body = _is_problem(await client.post("/things", json={"name": "", "size": "x"}), 422)
    locs = sorted(tuple(e["loc"]) for e in body["errors"])  # type: ignore[attr-defined]
    assert locs == [("body", "name"), ("body", "size")]


async def test_rule_errors_look_like_schema_errors(client: httpx.AsyncClient) -> None:
    body = _is_problem(await client.post("/things", json={"name": "rule", "size": 1}), 422)
    assert body["errors"] == [{"loc": ["body", "name"], "msg": "breaks a rule"}]


async def test_conflict_names_the_existing_resource(client: httpx.AsyncClient) -> None:
    body = _is_problem(await client.post("/things", json={"name": "taken", "size": 1}), 409)
    assert body["id"] == "abc"


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    _is_problem(await client.get("/nowhere"), 404)


async def test_missing_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/things", json={"name": "a", "size": 1}, headers={"Authorization": ""}
    )
    _is_problem(response, 401)


async def test_forbidden_is_403(client: httpx.AsyncClient) -> None:
    _is_problem(await client.post("/things", json={"name": "teapot", "size": 1}), 403)


async def test_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'", "size": 1}'
    response = await client.post(
        "/things", content=big, headers={"Content-Type": "application/json"}
    )
    _is_problem(response, 413)


async def test_a_chunked_body_over_one_mebibyte_is_413_too(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the size shows as it comes
        yield b'{"name": "'
        for _ in range(17):
            yield b"x" * 65536
        yield b'", "size": 1}'

    response = await client.post(
        "/things", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _is_problem(response, 413)


async def test_a_chunked_body_under_the_limit_is_read_whole(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "ok",'
        yield b' "size": 3}'

    response = await client.post(
        "/things", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"name": "ok", "size": 3}


async def test_unexpected_errors_do_not_leak(client: httpx.AsyncClient) -> None:
    body = _is_problem(await client.get("/boom"), 500)
    assert "secret internals" not in str(body)


async def test_unexpected_errors_are_answered_not_raised(client: httpx.AsyncClient) -> None:
    """The transport raises whatever the app lets escape: nothing does, so the server never
    closes the connection under the gateway."""
    for _ in range(3):
        _is_problem(await client.get("/boom"), 500)
        assert (await client.post("/things", json={"name": "ok", "size": 1})).status_code == 200


@pytest.mark.parametrize("path", ["/database-restarting", "/database-gone", "/database-refused"])
async def test_a_lost_database_is_503_with_retry_after(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    body = _is_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
    assert "database" in str(body["detail"])
