"""The gateway (deploy/gateway/, rendered and run by devstack) in front of stub upstreams (and of
the real console), and the launcher that starts the whole stack: routing, limits, request ids,
problem+json, clean stops."""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from fastapi import APIRouter, Request
from faststream.rabbit import RabbitBroker
from sqlalchemy import MetaData

from devstack.config import StackConfig, repo_root
from devstack.defaults import DEV_JWT_SECRET, FRONT_END, SERVICES
from devstack.gateway import Gateway
from devstack.ports import free_port, free_ports_env
from devstack.stack import Stack, StackError
from shared.app import ServiceParts, build_app
from shared.db import make_engine
from shared.idempotency import idempotency_table
from shared.settings import ServiceSettings, default_database_url
from testsupport.infra import Servers, create_vhost, delete_vhost, drop_databases, unique_name
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ROOT = repo_root()
PROBLEM_KEYS = {"type", "title", "status", "detail"}
UPSTREAM_PROBLEM = (
    b'{"type":"https://example.org/problems/conflict","title":"Already registered",'
    b'"status":409,"detail":"An active registration exists.","id":"3f2c","errors":[]}'
)


# --- stub upstreams: one per service and one for the console, recording what reaches them -----


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body_length: int
    peer_port: int
    http_version: str
    dropped: bool = False


@dataclass
class Upstream:
    name: str
    server: ThreadingHTTPServer
    seen: list[Seen] = field(default_factory=list)
    drop_reused: bool = False
    """Close a connection without answering when a second request comes on it."""

    @property
    def port(self) -> int:
        port: int = self.server.server_address[1]
        return port


def _handler(upstream: "Upstream") -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn does
        answered_here = 0  # on this connection: one handler per connection

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            drop = upstream.drop_reused and self.answered_here > 0
            upstream.seen.append(
                Seen(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body_length=length,
                    peer_port=self.client_address[1],
                    http_version=self.request_version,
                    dropped=drop,
                )
            )
            if drop:
                self.close_connection = True
                return
            self.answered_here += 1
            if self.path.endswith("/problem"):
                status, kind, body = 409, "application/problem+json", UPSTREAM_PROBLEM
            else:
                status, kind = 200, "application/json"
                body = json.dumps({"service": upstream.name, "path": self.path}).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Request-ID", "set-by-the-upstream")  # the gateway's id wins
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer()

        def do_HEAD(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def do_PATCH(self) -> None:
            self._answer()

        def do_DELETE(self) -> None:
            self._answer()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def upstreams() -> Iterator[dict[str, Upstream]]:
    found: dict[str, Upstream] = {}
    threads = []
    for name in (*SERVICES, FRONT_END):
        server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        server.daemon_threads = True
        upstream = Upstream(name, server)
        server.RequestHandlerClass = _handler(upstream)
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=f"stub-{name}", daemon=True
        )
        thread.start()
        found[name] = upstream
        threads.append(thread)
    yield found
    for upstream in found.values():
        upstream.server.shutdown()
        upstream.server.server_close()
    for thread in threads:
        thread.join(5)


# --- the gateway, rendered by devstack from the real template ---------------------------------

StartGateway = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def start_gateway(
    upstreams: dict[str, Upstream], tmp_path: Path
) -> AsyncIterator[StartGateway]:
    """Start nginx with the template's variables as devstack computes them from `env`."""
    started: list[Gateway] = []

    async def start(
        *,
        down: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        sink: Callable[[str, str], None] | None = None,
    ) -> Gateway:
        ports = {
            f"{name.upper()}_PORT": str(free_port() if name in down else upstream.port)
            for name, upstream in upstreams.items()
        }
        config = StackConfig.from_env({"GATEWAY_PORT": str(free_port()), **ports, **(env or {})})
        gateway = Gateway(
            ROOT,
            tmp_path / f"gateway-{len(started)}",
            config.gateway_variables(),
            sink=sink or _print,
        )
        started.append(gateway)
        await gateway.start()
        return gateway

    yield start
    for gateway in started:
        await gateway.stop()
        assert gateway.child.returncode is not None


def _print(name: str, line: str) -> None:
    print(f"{name} | {line}")


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert response.headers.get_list("x-request-id")  # its own answers carry the id too
    return body


# --- routing --------------------------------------------------------------------------------

ROUTES = [
    ("/api/trainings", "catalog", "/api/trainings"),
    ("/api/trainings/7/sessions?limit=2&sort=title", "catalog", None),
    ("/api/sessions/42/events", "catalog", None),
    ("/api/events", "catalog", None),
    ("/api/events/9/comments", "catalog", None),
    ("/api/comments/5", "catalog", None),
    ("/api/curricula", "catalog", None),
    ("/api/registrations?session_id=1", "registration", None),
    ("/api/registrations/1/confirm", "registration", None),
    ("/api/seats?session_id=a&session_id=b", "registration", None),
    ("/api/curriculum-registrations", "registration", None),
    ("/api/event-registrations", "registration", None),
    ("/api/event-registrations/3/cancel", "registration", None),
    ("/api/sessions/42/answers", "registration", None),
    ("/api/sessions/42/attendance/export", "registration", None),
    ("/api/events/9/attendance-sheet?filled=true", "registration", None),
    ("/api/events/9/check-in-code", "registration", None),
    ("/api/certificates/c1", "registration", None),
    ("/api/inbox?unread=true", "notification", None),
    ("/api/messages/8", "notification", None),
    ("/api/deliveries", "notification", None),
    ("/api/calendar", "notification", None),
    ("/api/calendar/rotate", "notification", None),
    ("/api/preferences", "notification", None),
    ("/calendar/0123456789abcdefghijklmnopqrstuvwxyzABCDEFG.ics", "notification", None),
    ("/unsubscribe/0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", "notification", None),
    *[(f"/health/{name}", name, "/health") for name in SERVICES],
    *[(f"/docs/{name}/openapi.json", name, "/openapi.json") for name in SERVICES],
    *[(f"/docs/{name}/asyncapi.json", name, "/asyncapi.json") for name in SERVICES],
    # every other path is the console's: its pages, forms and static files
    ("/", "console", None),
    ("/sign-in?next=%2Ftrainings", "console", None),
    ("/trainings/7?tab=seats", "console", None),
    ("/static/console.css", "console", None),
    ("/confirm?registration=r1&token=t", "console", None),
    ("/nowhere", "console", None),
]


async def test_each_prefix_reaches_its_service(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for path, service, upstream_path in ROUTES:
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text)
            assert response.json()["service"] == service, path
            assert upstreams[service].seen[-1].path == (upstream_path or path)
        response = await client.post("/api/event-registrations", json={"event_id": "e"})
        assert response.json()["service"] == "registration"
        response = await client.patch("/api/events/e", json={"title": "t"})
        assert response.json()["service"] == "catalog"


def _openapi_paths() -> list[tuple[str, str]]:
    """(path with made-up ids, service) for every operation each service's OpenAPI serves."""
    from catalog.app import create_app as create_catalog
    from catalog.settings import CatalogSettings
    from notification.app import create_app as create_notification
    from notification.settings import NotificationSettings
    from registration.app import create_app as create_registration
    from registration.settings import RegistrationSettings

    secret = "gateway-routes-secret-0123456789-abcd"
    apps = {
        "catalog": create_catalog(CatalogSettings(jwt_secret=secret, environment="local")),
        "registration": create_registration(
            RegistrationSettings(jwt_secret=secret, environment="local")
        ),
        "notification": create_notification(
            NotificationSettings(jwt_secret=secret, environment="local")
        ),
    }
    return [
        (re.sub(r"\{[^}]+\}", "x1", path), service)
        for service, app in apps.items()
        for path in app.openapi()["paths"]
        if path.startswith("/api/")
    ]


async def test_every_operation_in_a_services_openapi_reaches_that_service(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    """Derived from the services themselves: a route added to one, under another's prefix
    (e.g. registration's /api/sessions/{id}/answers), fails here until the gateway sends it."""
    gateway = await start_gateway()
    wrong: list[tuple[str, str, str]] = []
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for path, service in _openapi_paths():
            response = await client.get(path)
            reached = response.json().get("service") if response.status_code == 200 else None
            if reached != service:
                wrong.append((path, service, str(reached or response.status_code)))
    assert wrong == []


async def test_unknown_paths_of_the_api_health_and_docs_are_the_gateways_problem_404(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    """Under /api/, /health and /docs/ the gateway answers what no service serves itself: none
    of them reaches the console (which answers the other unknown paths, see below)."""
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for path in (
            "/api",
            "/api/",
            "/api/eventsx",
            "/api/event",
            "/api/unknown",
            "/health",
            "/health/billing",
            "/health/catalog/extra",
            "/health/console",
            "/docs/catalog/other.json",
            "/docs/console/openapi.json",
            "/_gateway/400",
        ):
            assert_problem(await client.get(path), 404)
    assert upstreams[FRONT_END].seen == []


async def test_the_services_metrics_are_not_routed(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    """`GET /metrics` is on each service's own port (and the console's), for Prometheus only: no
    spelling of it through the gateway reaches a service or the console."""
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for path in (
            "/metrics",
            "/metrics/",
            "/metrics?format=text",
            "/%6Detrics",
            "/metrics/console",
            "/api/metrics",
            "/health/metrics",
            *[f"/health/{name}/metrics" for name in SERVICES],
            *[f"/docs/{name}/metrics" for name in SERVICES],
            *[f"/metrics/{name}" for name in SERVICES],
        ):
            assert_problem(await client.get(path), 404)
    assert [seen.path for upstream in upstreams.values() for seen in upstream.seen] == []


# --- the console behind the gateway ----------------------------------------------------------


@pytest.fixture
async def real_console() -> AsyncIterator[int]:
    """The console app (services/console) served by uvicorn on a port of its own; its port. Its
    API is nowhere: only what it answers without calling the API is asked of it here."""
    from console.app import create_app as create_console
    from console.settings import ConsoleSettings

    settings = ConsoleSettings(CONSOLE_API_URL=f"http://127.0.0.1:{free_port()}")
    config = uvicorn.Config(create_console(settings), log_config=None, access_log=False)
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="console", daemon=True
    )
    thread.start()
    await eventually(lambda: server.started, what="the console to serve")
    yield sock.getsockname()[1]
    server.should_exit = True
    await asyncio.to_thread(thread.join, 10)
    sock.close()


async def test_the_console_answers_every_other_path_as_its_own(
    start_gateway: StartGateway, real_console: int
) -> None:
    """`/` is the console's (sign-in first); an unknown path is its 404: problem+json for an API
    client, a page for a browser; its security headers and its same-site rule for forms hold
    through the gateway (which passes the Host without its port)."""
    gateway = await start_gateway(env={"CONSOLE_PORT": str(real_console)})
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        home = await client.get("/", headers={"Accept": "text/html"})
        assert home.status_code == 303
        assert home.headers["location"].startswith("/sign-in")
        assert "script-src 'none'" in home.headers["content-security-policy"]
        body = assert_problem(await client.get("/nowhere"), 404)
        assert body["detail"] == "No route for this path."
        page = await client.get("/nowhere", headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        css = await client.get("/static/console.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        elsewhere = await client.post(
            "/sign-in", data={"token": "x"}, headers={"Origin": "https://elsewhere.example"}
        )
        assert elsewhere.status_code == 403
        ours = await client.post("/sign-in", data={"token": "x"}, headers={"Origin": gateway.url})
        assert ours.status_code == 400  # the form again: not a token it can read
        # its own metrics and health are for Prometheus and the orchestrator, on its port only
        assert_problem(await client.get("/metrics"), 404)
        assert_problem(await client.get("/health"), 404)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{real_console}") as direct:
        assert (await direct.get("/metrics")).status_code == 200
        assert (await direct.get("/health")).status_code == 200


async def test_a_down_console_is_problem_502(start_gateway: StartGateway) -> None:
    gateway = await start_gateway(down=(FRONT_END,))
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        body = assert_problem(await client.get("/"), 502)
        assert "console" in body["detail"]
        assert (await client.get("/health/catalog")).status_code == 200


# --- upstream behaviour ---------------------------------------------------------------------


async def test_upstream_problem_bodies_pass_through_untouched(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        response = await client.post("/api/registrations/problem", json={})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.content == UPSTREAM_PROBLEM


async def test_upstream_connections_are_kept_alive(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for _ in range(5):
            assert (await client.get("/api/trainings")).status_code == 200
    seen = upstreams["catalog"].seen
    assert all(s.http_version == "HTTP/1.1" for s in seen)
    assert all(s.headers.get("connection", "").lower() != "close" for s in seen)
    # one client connection is one nginx worker, which reuses its upstream connection
    assert len({s.peer_port for s in seen}) == 1


async def test_a_down_upstream_is_problem_502_and_its_health_503(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(down=("registration",))
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        body = assert_problem(await client.post("/api/registrations", json={}), 502)
        assert "registration" in body["detail"]
        body = assert_problem(await client.get("/health/registration"), 503)
        assert "registration" in body["detail"]
        assert (await client.get("/health/catalog")).status_code == 200


async def test_a_dropped_pooled_connection_is_retried_for_idempotent_methods_only(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    notification = upstreams["notification"]
    notification.drop_reused = True
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for method in ("GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"):
            # one pooled connection that has answered once: the next request on it is dropped
            assert (await client.get("/api/inbox")).status_code == 200
            notification.seen.clear()
            body = None if method in ("GET", "HEAD", "DELETE") else b"{}"
            response = await client.request(method, "/api/inbox/7/read", content=body)
            tried = [(seen.method, seen.dropped) for seen in notification.seen]
            if method in ("POST", "PATCH"):  # it may have been acted on: never sent twice
                assert "notification" in assert_problem(response, 502)["detail"]
                assert tried == [(method, True)]
            else:
                assert response.status_code == 200, (method, response.text)
                assert tried == [(method, True), (method, False)]
                dropped, answered = notification.seen
                assert dropped.peer_port != answered.peer_port  # on a new connection


# --- a service's own server error, behind the gateway -----------------------------------------


@dataclass
class FailingService:
    """A service built by shared.app's `build_app`, with one route that fails on purpose."""

    server: uvicorn.Server
    port: int
    peers: list[tuple[str, int]] = field(default_factory=list)
    """(route, the gateway's port) of every request a route saw, in order."""


def _failing_routes(peers: list[tuple[str, int]]) -> APIRouter:
    router = APIRouter()

    def seen(route: str, request: Request) -> None:
        assert request.client is not None
        peers.append((route, request.client.port))

    @router.get("/api/inbox/boom")
    async def boom(request: Request) -> None:
        seen("boom", request)
        raise RuntimeError("a bug, on purpose")

    @router.post("/api/inbox/{message_id}/read")
    async def read(message_id: str, request: Request) -> dict[str, str]:
        seen("read", request)
        return {"id": message_id}

    return router


@pytest.fixture
async def failing_notification() -> AsyncIterator[FailingService]:
    """The notification upstream: a real uvicorn serving `build_app`'s whole middleware stack.
    Its lifespan is off, so it never connects to the database or the broker; no route uses them."""
    peers: list[tuple[str, int]] = []
    settings = ServiceSettings()
    parts = ServiceParts(
        name="notification",
        settings=settings,
        engine=make_engine(default_database_url("notification")),
        broker=RabbitBroker(settings.amqp_url),
        routers=[_failing_routes(peers)],
        idempotency_keys=idempotency_table(MetaData()),
    )
    config = uvicorn.Config(
        build_app(parts), lifespan="off", log_config=None, access_log=False
    )  # uvicorn's default 5 s keep-alive, as `serve` runs it
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="failing-notification", daemon=True
    )
    thread.start()
    await eventually(lambda: server.started, what="uvicorn to serve")
    yield FailingService(server, sock.getsockname()[1], peers)
    server.should_exit = True
    await asyncio.to_thread(thread.join, 10)
    sock.close()
    await parts.engine.dispose()


BOOM_PAIRS = 25
CALLERS = 8


async def test_a_server_error_costs_no_other_request_a_502(
    start_gateway: StartGateway, failing_notification: FailingService
) -> None:
    service = failing_notification
    gateway = await start_gateway(env={"NOTIFICATION_PORT": str(service.port)})

    async def boom_then_read(client: httpx.AsyncClient) -> None:
        body = assert_problem(await client.get("/api/inbox/boom"), 500)
        assert "on purpose" not in json.dumps(body)
        read = await client.post("/api/inbox/7/read")
        assert read.status_code == 200, read.text
        assert read.json() == {"id": "7"}

    # one caller: one nginx worker, one pooled upstream connection, which each 500 leaves open
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for _ in range(BOOM_PAIRS):
            await boom_then_read(client)
    assert [route for route, _ in service.peers] == ["boom", "read"] * BOOM_PAIRS
    assert len({port for _, port in service.peers}) == 1, service.peers

    # callers at once: every answer is the service's own, and connections are reused, not replaced
    service.peers.clear()

    async def caller() -> None:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            for _ in range(BOOM_PAIRS):
                await boom_then_read(client)

    await asyncio.gather(*(caller() for _ in range(CALLERS)))
    assert len(service.peers) == 2 * BOOM_PAIRS * CALLERS
    assert len({port for _, port in service.peers}) <= CALLERS


# --- limits ---------------------------------------------------------------------------------


async def test_a_body_over_1_mib_is_problem_413(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        exactly = await client.post("/api/registrations/bulk", content=b"x" * (1 << 20))
        assert exactly.status_code == 200
        assert upstreams["registration"].seen[-1].body_length == 1 << 20
        body = assert_problem(
            await client.post("/api/registrations/bulk", content=b"x" * ((1 << 20) + 1)), 413
        )
        assert "1 MiB" in body["detail"]
    assert len(upstreams["registration"].seen) == 1


async def test_one_flooding_token_gets_problem_429_with_retry_after(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(env={"GATEWAY_TOKEN_RATE": "1r/m", "GATEWAY_TOKEN_BURST": "3"})
    flooder = {"Authorization": "Bearer flooding-token"}
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        statuses = []
        for _ in range(20):  # bounded: 1 + burst pass, the rest are refused
            response = await client.get("/api/seats", headers=flooder)
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[:-1] == [200] * (len(statuses) - 1)
        assert_problem(response, 429)
        assert response.headers["retry-after"] == "1"
        # the limit is the token's: another token and anonymous callers still pass
        other = await client.get("/api/seats", headers={"Authorization": "Bearer another"})
        assert other.status_code == 200
        assert (await client.get("/api/seats")).status_code == 200


async def test_the_paths_served_without_a_token_are_limited_per_address(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(env={"GATEWAY_PUBLIC_RATE": "1r/m", "GATEWAY_PUBLIC_BURST": "2"})
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        statuses = [(await client.get("/health/catalog")).status_code for _ in range(6)]
        assert statuses == [200] * 3 + [429] * 3  # 1 + burst
        # one bucket for the address's tokenless paths, which a token does not lift
        assert (await client.get("/docs/catalog/openapi.json")).status_code == 429
        authorized = await client.get("/health/catalog", headers={"Authorization": "Bearer t"})
        assert authorized.status_code == 429
        # /api/ is not one of them (it has the token's limit and the address's higher one)
        assert (await client.get("/api/seats")).status_code == 200


async def test_the_secret_urls_of_notification_are_limited_per_address_and_never_logged(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    """/calendar/ and /unsubscribe/ carry their own secret: no token, the address's tokenless
    bucket, and an access log that never holds the secret, however the path is spelt."""
    lines: list[str] = []
    gateway = await start_gateway(
        env={"GATEWAY_PUBLIC_RATE": "1r/m", "GATEWAY_PUBLIC_BURST": "2"},
        sink=lambda name, line: lines.append(line),
    )
    secret = "Sec-" + "r" * 39
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        assert (await client.get(f"/calendar/{secret}.ics")).status_code == 200
        assert (await client.post(f"/unsubscribe/{secret}")).status_code == 200
        assert (await client.get(f"/%63alendar/{secret}.ics")).status_code == 200
        assert_problem(await client.get(f"/unsubscribe/{secret}"), 429)
        assert (await client.get("/health/catalog")).status_code == 429  # the same bucket
    paths = [seen.path for seen in upstreams["notification"].seen]
    assert paths == [
        f"/calendar/{secret}.ics",
        f"/unsubscribe/{secret}",
        f"/%63alendar/{secret}.ics",
    ]
    assert all("authorization" not in seen.headers for seen in upstreams["notification"].seen)

    def logged() -> list[str] | None:
        found = [line for line in lines if "/calendar/***" in line or "/unsubscribe/***" in line]
        return found if len(found) == 4 else None

    found = await eventually(logged, what="the four access lines")
    assert [line.split('"')[1] for line in found] == [
        "GET /calendar/*** HTTP/1.1",
        "POST /unsubscribe/*** HTTP/1.1",
        "GET /calendar/*** HTTP/1.1",
        "GET /unsubscribe/*** HTTP/1.1",
    ]
    assert not [line for line in lines if secret in line]


async def test_the_query_of_the_consoles_sign_in_and_confirmation_links_is_never_logged(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    """`/sign-in?token=<bearer token>` (the link `make run` prints) and the emailed
    `/confirm?registration=&token=` reach the console whole, and the access log holds neither
    token, however the path is spelt."""
    lines: list[str] = []
    gateway = await start_gateway(sink=lambda name, line: lines.append(line))
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.Sig-" + "s" * 30
    spellings = [
        f"/sign-in?token={token}",
        f"/sign-in?next=%2F&token={token}",
        f"/%73ign-in?token={token}",
        f"/sign-in/?token={token}",
        f"/confirm?registration=r-1&token={token}",
    ]
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for path in spellings:
            assert (await client.get(path)).status_code == 200, path
        assert (await client.post("/sign-in", data={"token": token})).status_code == 200
    assert [seen.path for seen in upstreams[FRONT_END].seen] == [*spellings, "/sign-in"]

    def logged() -> list[str] | None:
        found = [line for line in lines if "/sign-in?***" in line or "/confirm?***" in line]
        return found if len(found) == 6 else None

    found = await eventually(logged, what="the six access lines")
    assert [line.split('"')[1] for line in found] == [
        *["GET /sign-in?*** HTTP/1.1"] * 4,
        "GET /confirm?*** HTTP/1.1",
        "POST /sign-in?*** HTTP/1.1",
    ]
    assert not [line for line in lines if token in line]


async def test_a_flood_of_made_up_tokens_from_one_address_is_limited(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(
        env={"GATEWAY_ADDRESS_RATE": "1r/m", "GATEWAY_ADDRESS_BURST": "5"}
    )
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        statuses = []
        for n in range(30):  # bounded: 1 + burst pass, the rest are refused
            junk = {"Authorization": f"Bearer junk-{n}"}  # a new token bucket each time
            response = await client.get("/api/seats", headers=junk)
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses == [200] * 6 + [429]
        assert_problem(response, 429)
        assert response.headers["retry-after"] == "1"
        # every request counts against its address: with a real-looking token or none at all
        assert (await client.get("/health/catalog")).status_code == 429
        other = await client.get("/api/seats", headers={"Authorization": "Bearer another"})
        assert other.status_code == 429


def _status_with_authorization(gateway: Gateway, authorization: bytes) -> int:
    """GET /api/seats with this Authorization header, byte for byte (httpx refuses some)."""
    request = b"GET /api/seats HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n"
    request += b"Authorization: " + authorization + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


async def test_a_tokens_limit_holds_however_the_scheme_and_the_spaces_are_spelt(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(env={"GATEWAY_TOKEN_RATE": "1r/m", "GATEWAY_TOKEN_BURST": "2"})
    # what shared/auth.py reads as the token `x`: 1 + burst pass ...
    first = [b"Bearer x", b"bearer   x", b"BEARER x  "]
    # ... and the token's limit holds whatever the spelling
    then = [b"Bearer x", b"bEaReR \t x", b"  Bearer x\xa0", b"Bearer \x1fx\x85 "]
    statuses = [
        await asyncio.to_thread(_status_with_authorization, gateway, spelling)
        for spelling in first + then
    ]
    assert statuses == [200] * len(first) + [429] * len(then)
    # another token, and what is no bearer token at all, are not this token
    others = [b"Bearer y", b"Bearer x y", b"Bearerx", b"Basic x"]
    for other in others:
        assert await asyncio.to_thread(_status_with_authorization, gateway, other) == 200


async def test_each_token_has_its_own_bucket_however_its_signature_is_spelt(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(env={"GATEWAY_TOKEN_RATE": "1r/m", "GATEWAY_TOKEN_BURST": "1"})
    alice, bob = (jwt.encode({"sub": sub}, "k" * 32, algorithm="HS256") for sub in ("a", "b"))
    async with httpx.AsyncClient(base_url=gateway.url) as client:

        async def status(token: str) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            return (await client.get("/api/seats", headers=headers)).status_code

        # a verifier accepts the signature with a trailing `=` too: the same token, one bucket
        assert [await status(alice), await status(alice + "="), await status(alice)] == [
            200,
            200,
            429,
        ]
        assert [await status(bob), await status(bob)] == [200, 200]
        assert await status(bob + "=") == 429


# --- request ids ----------------------------------------------------------------------------


async def test_a_request_id_is_made_sent_upstream_and_returned(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        first = await client.get("/api/inbox")
        second = await client.get("/api/inbox")
    ids = [r.headers.get_list("x-request-id") for r in (first, second)]
    assert all(len(found) == 1 for found in ids)  # the upstream's own header is replaced
    made = [found[0] for found in ids]
    assert all(len(rid) == 32 and int(rid, 16) >= 0 for rid in made)
    assert made[0] != made[1]
    assert [s.headers["x-request-id"] for s in upstreams["notification"].seen] == made


async def test_an_incoming_request_id_is_kept(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        kept = await client.get("/api/trainings", headers={"X-Request-ID": "platform-abc.123"})
        assert kept.headers.get_list("x-request-id") == ["platform-abc.123"]
        assert upstreams["catalog"].seen[-1].headers["x-request-id"] == "platform-abc.123"
        # one that could forge log lines is replaced
        odd = await client.get("/api/trainings", headers={"X-Request-ID": "a b\tc"})
        assert len(odd.headers["x-request-id"]) == 32
        assert upstreams["catalog"].seen[-1].headers["x-request-id"] == odd.headers["x-request-id"]
        # the gateway's own answers carry the caller's id too
        missing = await client.get("/api/nowhere", headers={"X-Request-ID": "platform-404"})
        assert missing.headers["x-request-id"] == "platform-404"


# --- traces ---------------------------------------------------------------------------------

TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-01")


async def test_a_trace_is_started_where_none_came_and_passed_on(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for headers in ({}, {"traceparent": "00-" + "0" * 32 + "-b7ad6b7169203331-01"}):
            await client.get("/api/trainings", headers={**headers, "tracestate": "vendor=1"})
    started = [seen.headers for seen in upstreams["catalog"].seen]
    assert len(started) == 2
    found = [TRACEPARENT.fullmatch(headers["traceparent"]) for headers in started]
    assert all(found), started
    trace_ids = {match.group(1) for match in found if match}
    assert len(trace_ids) == 2  # each request a trace of its own
    assert all("0" * 16 not in match.group(2) for match in found if match)
    assert all("tracestate" not in headers for headers in started)  # not the caller's


async def test_an_incoming_traceparent_is_passed_on_as_is(
    start_gateway: StartGateway, upstreams: dict[str, Upstream]
) -> None:
    gateway = await start_gateway()
    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        await client.post(
            "/api/registrations",
            json={},
            headers={"traceparent": incoming, "tracestate": "vendor=1"},
        )
    seen = upstreams["registration"].seen[-1].headers
    assert seen["traceparent"] == incoming
    assert seen["tracestate"] == "vendor=1"


async def test_unreadable_requests_are_problem_400_and_414(start_gateway: StartGateway) -> None:
    gateway = await start_gateway()

    def raw(request: bytes) -> tuple[bytes, dict[str, Any]]:
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"content-type: application/problem+json" in head.lower()
        return head, json.loads(body)

    head, body = raw(b"NOT HTTP AT ALL\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert body["status"] == 400
    head, body = raw(b"GET /api/seats HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    head, body = raw(b"GET /api/seats?" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414")
    assert body["status"] == 414


# --- the launcher ---------------------------------------------------------------------------

# A service stand-in: serves /health and echoes the variables it was started with.
STUB_SERVICE = textwrap.dedent(
    """
    import json, os, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    name = sys.argv[1]
    keys = ("HOST", "AMQP_URL", "JWT_SECRET", "PUBLIC_URL", name.upper() + "_DATABASE_URL")
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_GET(self):
            if self.path.endswith("/exit"):
                print(name, "exits", flush=True)
                os._exit(4)
            body = json.dumps({k: os.environ.get(k) for k in keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    port = int(os.environ[name.upper() + "_PORT"])
    print(name, "listening on", port, flush=True)
    ThreadingHTTPServer((os.environ["HOST"], port), Handler).serve_forever()
    """
)


def stub_service(name: str) -> list[str]:
    return [sys.executable, "-c", STUB_SERVICE, name]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_the_stack_starts_everything_and_stops_it() -> None:
    env = {**free_ports_env(), "AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/run"}
    lines: list[tuple[str, str]] = []
    stack = Stack(
        env,
        service_command=stub_service,
        inherit_environment=False,
        log=lambda name, line: lines.append((name, line)),
    )
    async with stack:
        assert (stack.run_dir / "gateway" / "gateway.conf").is_file()
        pids = [child.pid for child in stack.children.values()]
        assert set(stack.children) == {*SERVICES, FRONT_END, "gateway"}
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            seen = (await client.get("/api/trainings")).json()
            console = (await client.get("/")).json()
        assert seen == {
            "HOST": "127.0.0.1",
            "AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/run",
            "JWT_SECRET": DEV_JWT_SECRET,
            "PUBLIC_URL": f"http://127.0.0.1:{env['GATEWAY_PORT']}",
            "CATALOG_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/training_catalog",
        }
        # the console on loopback too, and none of the services' secrets nor URLs
        assert console == {
            "HOST": "127.0.0.1",
            "AMQP_URL": None,
            "JWT_SECRET": None,
            "PUBLIC_URL": None,
            "CONSOLE_DATABASE_URL": None,
        }
        claims = jwt.decode(stack.admin_token, DEV_JWT_SECRET, algorithms=["HS256"])
        assert claims["roles"] == ["platform_admin"]
        # nginx writes the access line after the answer has gone: wait for it, not for the stop
        await eventually(
            lambda: any(name == "gateway" and "GET /api/trainings" in line for name, line in lines),
            what="the gateway's access line",
        )
    assert all(pid is not None and _gone(pid) for pid in pids)
    assert not stack.run_dir.exists()
    assert ("catalog", f"catalog listening on {env['CATALOG_PORT']}") in lines
    assert ("console", f"console listening on {env['CONSOLE_PORT']}") in lines
    healthy = [name for name, line in lines if line == "[devstack] healthy"]
    assert healthy[-1] == FRONT_END  # started once the services are healthy
    assert sorted(healthy[:-1]) == sorted(SERVICES)


async def test_a_stack_of_some_services_may_leave_the_console_out(tmp_path: Path) -> None:
    """What bench/ starts: registration alone, without the console (the gateway's `/` then has
    no upstream, and its port need not be free)."""
    env = free_ports_env()
    stack = Stack(
        env,
        run_dir=tmp_path,
        services=("registration",),
        console=False,
        service_command=stub_service,
        inherit_environment=False,
    )
    with socket.socket() as taken:  # the console's port in use: no matter, it is not started
        taken.bind(("127.0.0.1", int(env["CONSOLE_PORT"])))
        taken.listen()
        await stack.start()
    try:
        assert set(stack.children) == {"registration", "gateway"}
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            assert (await client.get("/health/registration")).status_code == 200
            assert_problem(await client.get("/"), 502)
    finally:
        await stack.stop()


async def test_a_service_that_dies_on_start_stops_the_stack(tmp_path: Path) -> None:
    def command(name: str) -> list[str]:
        if name == "registration":
            return [sys.executable, "-c", "print('cannot reach the database'); exit(3)"]
        return stub_service(name)

    stack = Stack(
        free_ports_env(),
        run_dir=tmp_path,
        service_command=command,
        inherit_environment=False,
        startup_timeout=30,
    )
    with pytest.raises(StackError, match="registration exited with status 3") as failure:
        await stack.start()
    assert "cannot reach the database" in str(failure.value)
    assert stack.children == {}


def start_devstack_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, dict[str, str]]:
    """`python -m devstack run` as `make run` starts it, with stand-in services."""
    stub = tmp_path / "stub_service.py"
    stub.write_text(STUB_SERVICE)
    ports = free_ports_env()
    env = {
        **{k: v for k, v in os.environ.items() if k != "JWT_SECRET"},
        **ports,
        "DEVSTACK_SERVICE_COMMAND": f"{{python}} {stub} {{service}}",
    }
    log = tmp_path / "devstack.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "run"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "admin token" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(log.read_text())
        time.sleep(0.05)
    return process, log, ports


def test_devstack_run_serves_until_sigterm_then_stops_everything(tmp_path: Path) -> None:
    process, log, ports = start_devstack_run(tmp_path)
    try:
        gateway = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"
        assert gateway in log.read_text()
        for name in SERVICES:
            assert httpx.get(f"{gateway}/health/{name}").status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    printed = log.read_text()
    token = next(line for line in printed.splitlines() if line.count(".") == 2 and " " not in line)
    assert jwt.decode(token, DEV_JWT_SECRET, algorithms=["HS256"])["roles"] == ["platform_admin"]
    assert "devstack: stopped" in printed
    for port in ports.values():
        assert not _listening(int(port)), f"port {port} still served after devstack stopped"


def test_devstack_run_stops_the_others_and_fails_when_a_service_dies(tmp_path: Path) -> None:
    process, log, ports = start_devstack_run(tmp_path)
    try:
        # the catalog stand-in exits mid-request: the gateway answers for it
        response = httpx.get(f"http://127.0.0.1:{ports['GATEWAY_PORT']}/api/trainings/exit")
        assert_problem(response, 502)
        assert process.wait(timeout=60) == 1, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    printed = log.read_text()
    assert "catalog exited with status 4" in printed
    assert "catalog exits" in printed
    for port in ports.values():
        assert not _listening(int(port)), f"port {port} still served after devstack stopped"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def test_the_token_cli_prints_the_contract_claims() -> None:
    env = {k: v for k, v in os.environ.items() if k != "JWT_SECRET"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack",
            "token",
            "--sub",
            "u-1",
            "--name",
            "Ana",
            "--email",
            "ana@example.org",
            "--locale",
            "en",
            "--role",
            "training_manager",
            "--org",
            "o-1",
            "o-2",
            "--manages",
            "o-3",
            "--ttl",
            "120",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    claims = jwt.decode(result.stdout.strip(), DEV_JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == "u-1"
    assert claims["name"] == "Ana"
    assert claims["email"] == "ana@example.org"
    assert claims["locale"] == "en"
    assert claims["roles"] == ["training_manager"]
    assert claims["organizations"] == ["o-1", "o-2"]
    assert claims["managed_organizations"] == ["o-3"]
    assert 110 <= claims["exp"] - time.time() <= 120


# --- `make run` with the real services: what a newcomer sees ---------------------------------

START_ALARMS = (
    re.compile(r"connection refused", re.IGNORECASE),  # nginx polled or hit a service not up yet
    re.compile(r"not consuming yet"),
    re.compile(r"\b(ERROR|WARNING|CRITICAL)\b"),  # the services' log levels
    re.compile(r"\[(warn|error|crit|alert|emerg)\]"),  # nginx's
)
BANNER_END = "  stop         Ctrl-C"


async def test_make_run_starts_quietly_and_prints_the_banner_once_the_services_are_up(
    servers: Servers, tmp_path: Path
) -> None:
    run = unique_name("quiet")
    amqp_url = create_vhost(servers, run)
    unset = {"JWT_SECRET", "JWT_JWKS_URL", "ENVIRONMENT", "SMTP_URL", "LOG_LEVEL"}
    env = {
        **{k: v for k, v in os.environ.items() if k not in unset},
        **free_ports_env(),
        "AMQP_URL": amqp_url,
        **{f"{s.upper()}_DATABASE_URL": servers.database_url(f"{run}_{s}") for s in SERVICES},
    }
    log = tmp_path / "run.log"
    with log.open("w") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "devstack",
            "run",
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        await eventually(
            lambda: BANNER_END in log.read_text() or process.returncode is not None,
            within=120,
            what="the banner of `devstack run`",
        )
        assert process.returncode is None, log.read_text()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0, log.read_text()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await drop_databases(servers, run)
        delete_vhost(servers, run)

    printed = log.read_text()
    start_up = printed[: printed.index(BANNER_END)].splitlines()
    alarms = [line for line in start_up if any(alarm.search(line) for alarm in START_ALARMS)]
    assert alarms == [], printed

    def first(text: str) -> int:
        return next(i for i, line in enumerate(start_up) if text in line)

    banner = first("admin token")
    gateway = first("gateway      | ")
    console = first(f"{FRONT_END:<12} | [devstack] healthy")
    for name in SERVICES:
        assert first(f"shared.app: {name} started") < banner
        assert first(f"{name:<12} | [devstack] healthy") < console < gateway < banner
    # the console's sign-in link, with the admin token printed below it
    (link,) = [line.split()[-1] for line in start_up if "/sign-in?token=" in line]
    token = start_up[banner + 2]
    assert link == f"http://127.0.0.1:{env['GATEWAY_PORT']}/sign-in?token={token}"
