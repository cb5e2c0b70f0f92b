import asyncio

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from prometheus_client import CONTENT_TYPE_LATEST

from shared.metrics import install_metrics
from testsupport.metrics import sample

pytestmark = pytest.mark.unit


def _app(service: str) -> FastAPI:
    app = FastAPI()

    @app.get("/api/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404)
        return {"id": thing_id}

    @app.post("/api/things")
    async def add() -> dict[str, str]:
        raise RuntimeError("boom")

    install_metrics(app, service)
    return app


async def _scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    return response.text


async def test_requests_are_counted_by_route_template_method_and_status() -> None:
    app = _app("templates")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        for thing_id in ("a", "b", "c", "missing"):
            await client.get(f"/api/things/{thing_id}")
        await client.get("/no/such/path/user-42")
        await client.post("/api/things")
        await client.request("BREW", "/api/things/a")
        text = await _scrape(client)

    def count(**labels: str) -> float:
        return sample(text, "http_requests_total", {"service": "templates", **labels})

    template = "/api/things/{thing_id}"
    assert count(method="GET", route=template, status="200") == 3
    assert count(method="GET", route=template, status="404") == 1
    assert count(method="GET", route="unmatched", status="404") == 1
    assert count(method="POST", route="/api/things", status="500") == 1
    # an unknown method is not a label value of its own: any string could be sent
    assert count(method="other", route=template, status="405") == 1
    assert "/api/things/a" not in text
    assert "user-42" not in text
    assert (
        sample(
            text,
            "http_request_duration_seconds_count",
            {"service": "templates", "method": "GET", "route": template},
        )
        == 4
    )


async def test_the_metrics_endpoint_is_not_in_the_openapi() -> None:
    assert "/metrics" not in _app("schema").openapi()["paths"]


async def test_scrapes_during_a_burst_all_answer() -> None:
    app = _app("burst")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:

        async def requests(n: int) -> None:
            for i in range(n):
                assert (await client.get(f"/api/things/{i}")).status_code == 200

        async def scrapes(n: int) -> list[int]:
            return [(await client.get("/metrics")).status_code for _ in range(n)]

        *_, statuses = await asyncio.gather(*(requests(50) for _ in range(8)), scrapes(40))
        assert statuses == [200] * 40
        text = await _scrape(client)
    assert sample(text, "http_requests_total", {"service": "burst", "status": "200"}) >= 400
