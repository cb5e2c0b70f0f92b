"""The one layer every request of a service goes through: its id, its trace context, its access
log line and metrics, the 413 and the last-resort answers (shared.request_frame)."""

import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import generate_latest
from starlette.types import Message, Receive, Scope, Send

from shared.events import new_event
from shared.observability import request_id
from shared.problems import install_problem_handlers
from shared.request_frame import RequestFrame
from testsupport.metrics import sample

pytestmark = pytest.mark.unit

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


def _app(service: str) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str | None]:
        logging.getLogger("things").info("looked %s up", thing_id)
        made = new_event(service, "x", {})
        return {"request_id": request_id.get(), "traceparent": made.traceparent}

    @app.post("/things")
    async def add() -> dict[str, str]:
        return {"added": "yes"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")  # type: ignore[arg-type]


class _Lines(logging.Handler):
    """The records written, with the request id current when each was."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.getMessage(), request_id.get()))


@pytest.fixture
def lines() -> Iterator[_Lines]:
    handler = _Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_the_request_id_is_taken_current_logged_and_echoed(lines: _Lines) -> None:
    async with _client(_framed(_app("frame-ids"), "frame-ids")) as client:
        given = await client.get("/things/a", headers={"X-Request-Id": "rid-1"})
        made = await client.get("/things/b")
    assert given.headers["x-request-id"] == "rid-1"
    assert given.json()["request_id"] == "rid-1"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert made.json()["request_id"] == made.headers["x-request-id"]
    assert ("things", "looked a up", "rid-1") in lines.lines
    access = [(message, rid) for name, message, rid in lines.lines if name == "access"]
    assert len(access) == 2
    assert re.fullmatch(r"GET /things/a 200 \d+\.\dms", access[0][0])
    assert access[0][1] == "rid-1"
    assert access[1][1] == made.headers["x-request-id"]
    assert request_id.get() is None


def _framed(app: FastAPI, service: str, *, server_spans: bool = False) -> FastAPI:
    app.add_middleware(RequestFrame, service=service, server_spans=server_spans)
    return app


async def test_the_trace_context_is_made_current_for_the_events_a_request_causes() -> None:
    async with _client(_framed(_app("frame-traces"), "frame-traces")) as client:
        traced = await client.get("/things/a", headers={"traceparent": PARENT})
        untraced = await client.get("/things/a")
        malformed = await client.get("/things/a", headers={"traceparent": "00-zz-yy-01"})
    assert traced.json()["traceparent"] == PARENT
    assert untraced.json()["traceparent"] is None
    assert malformed.json()["traceparent"] is None


async def test_requests_are_counted_and_timed_by_route_template_and_status(
    lines: _Lines,
) -> None:
    service = "frame-metrics"
    async with _client(_framed(_app(service), service)) as client:
        for thing_id in ("a", "b"):
            assert (await client.get(f"/things/{thing_id}")).status_code == 200
        failed = await client.get("/boom", headers={"X-Request-Id": "rid-boom"})
        large = await client.post("/things", content=b"x" * (1024 * 1024 + 1))
        assert (await client.get("/no/such/path/user-42")).status_code == 404
        assert (await client.post("/things", content=b"{}")).status_code == 200
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.headers["x-request-id"] == "rid-boom"
    assert "secret internals" not in failed.text
    assert large.status_code == 413
    assert "x-request-id" in large.headers
    text = generate_latest().decode()

    def count(**labels: str) -> float:
        return sample(text, "http_requests_total", {"service": service, **labels})

    assert count(method="GET", route="/things/{thing_id}", status="200") == 2
    assert count(method="GET", route="/boom", status="500") == 1
    assert count(method="POST", route="unmatched", status="413") == 1
    assert count(method="POST", route="/things", status="200") == 1
    assert count(method="GET", route="unmatched", status="404") == 1
    assert "user-42" not in text
    timed = {"service": service, "method": "GET", "route": "/things/{thing_id}"}
    assert sample(text, "http_request_duration_seconds_count", timed) == 2
    errors = [(message, rid) for name, message, rid in lines.lines if name == "shared.problems"]
    assert errors == [("unhandled error on GET /boom", "rid-boom")]
    assert any(re.fullmatch(r"GET /boom 500 \d+\.\dms", message) for _, message, _ in lines.lines)


async def test_an_error_after_the_response_started_cuts_it_short_without_raising() -> None:
    async def streams_then_fails(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("halfway")

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    frame = RequestFrame(streams_then_fails, service="frame-halfway")
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}
    await frame(scope, receive, send)
    assert [message["type"] for message in sent] == ["http.response.start"]


async def test_other_scopes_pass_through_untouched() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    await RequestFrame(app, service="frame-lifespan")({"type": "lifespan"}, receive, send)
    assert seen == [{"type": "lifespan"}]


async def test_when_exporting_the_server_span_is_named_after_the_route() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = _framed(_app("frame-spans"), "frame-spans", server_spans=True)
    app.add_middleware(
        OpenTelemetryMiddleware, tracer_provider=provider, exclude_spans=["receive", "send"]
    )
    async with _client(app) as client:
        answer = await client.get("/things/a", headers={"traceparent": PARENT})
        failed = await client.get("/boom")
    provider.shutdown()
    assert failed.status_code == 500
    named, boom = exporter.get_finished_spans()
    assert named.name == "GET /things/{thing_id}"
    assert named.attributes is not None
    assert named.attributes["http.route"] == "/things/{thing_id}"
    assert named.context.trace_id == int(TRACE_ID, 16)
    # the events of the request are children of its server span
    assert answer.json()["traceparent"] == f"00-{TRACE_ID}-{named.context.span_id:016x}-01"
    assert boom.name == "GET /boom"
    assert boom.attributes is not None
    status = boom.attributes.get(
        "http.status_code", boom.attributes.get("http.response.status_code")
    )
    assert status == 500
