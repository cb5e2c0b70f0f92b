"""The frame every service's app fills in: FastAPI for HTTP and FastStream for AMQP in one process.

The FastAPI lifespan starts the broker (subscribers included) and background loops such as the
outbox relay, and stops them in reverse order. Health is 200 only when database and broker answer.
"""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import TokenVerifier
from shared.db import ensure_database
from shared.idempotency import IdempotentPosts, pruning_keys
from shared.messaging import broker_ready, pruning_deliveries, running_broker
from shared.messaging.documentation import render_asyncapi
from shared.metrics import metrics_endpoint
from shared.migrations import upgrade_to_head
from shared.observability import configure_logging
from shared.openapi import install_openapi, operation_id
from shared.problems import install_problem_handlers, problem_response
from shared.request_frame import RequestFrame
from shared.settings import ServiceSettings, SettingsError, read_settings
from shared.tracing import configure_tracing, install_server_spans

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 2.0

Hook = Callable[[], AbstractAsyncContextManager[Any]]


@dataclass
class ServiceParts:
    """Everything a service process runs, assembled by its own app.py."""

    name: str
    settings: ServiceSettings
    engine: AsyncEngine
    broker: RabbitBroker
    routers: Sequence[APIRouter]
    idempotency_keys: Table
    inbox: Table | None = None
    """The consumers' dedupe table, pruned in the background when the service has one."""
    readiness: Mapping[str, Callable[[], bool]] = field(default_factory=dict)
    """What else must be up for health to be 200, beyond the database and the broker."""
    background: Sequence[Hook] = field(default_factory=tuple)
    on_startup: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=tuple)
    state: dict[str, Any] = field(default_factory=dict)


def build_app(parts: ServiceParts) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(parts.engine.dispose)
            # The service answers (health 503) while RabbitMQ is away; the broker connects when
            # it can, and the outbox keeps every event until then.
            await stack.enter_async_context(running_broker(parts.broker))
            for startup in parts.on_startup:
                await startup()
            for hook in parts.background:
                await stack.enter_async_context(hook())
            await stack.enter_async_context(pruning_keys(parts.engine, parts.idempotency_keys))
            if parts.inbox is not None:
                await stack.enter_async_context(pruning_deliveries(parts.engine, parts.inbox))
            log.info("%s started", parts.name)
            yield
        log.info("%s stopped", parts.name)

    app = FastAPI(
        title=f"training {parts.name}",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    verifier = TokenVerifier.from_settings(parts.settings)
    app.state.token_verifier = verifier
    for key, value in parts.state.items():
        setattr(app.state, key, value)
    install_problem_handlers(app)
    app.add_middleware(
        IdempotentPosts, engine=parts.engine, table=parts.idempotency_keys, verifier=verifier
    )
    exporting = configure_tracing(parts.name)
    # around all the rest: the request id, trace context, body limit, last-resort answers,
    # access log line and metrics of every request, in one layer
    app.add_middleware(RequestFrame, service=parts.name, server_spans=exporting)
    if exporting:
        install_server_spans(app)  # outermost: a request's span covers what it does
    metrics_endpoint(app)
    for router in parts.routers:
        add_routes(app, router)
    install_openapi(app)

    asyncapi = AsyncAPI(parts.broker, title=f"training {parts.name}", version="0.1.0")

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_document() -> JSONResponse:
        return JSONResponse(render_asyncapi(asyncapi))

    @app.get("/health/live", include_in_schema=False)
    async def liveness() -> JSONResponse:
        """The process serves requests; what orchestrators restart on (readiness is /health)."""
        return JSONResponse({"status": "alive"})

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        problems = await _unhealthy(parts)
        if problems:
            return problem_response(503, "Unavailable", "; ".join(problems))
        return JSONResponse({"status": "ok"})

    return app


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes made the app's own, as `include_router` did before FastAPI kept
    included routers whole: this FastAPI matches an included router's routes twice per request
    and walks the route table each time to see whether it changed, about 5 % of a replica's CPU
    at peak enrollment (docs/performance.md, issue 18). Each route is built again on the app
    (its operation id from the app's `generate_unique_id_function`, the app's dependency
    overrides); a route of another kind, or a router with dependencies, tags or responses of
    its own, is included as FastAPI does."""
    routes = router.routes
    if router.dependencies or router.tags or router.responses or router.callbacks:
        app.include_router(router)
        return
    if not all(isinstance(route, APIRoute) for route in routes):
        app.include_router(router)
        return
    for route in routes:
        assert isinstance(route, APIRoute)
        app.router.add_api_route(
            route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
            route_class_override=type(route),
        )


async def _unhealthy(parts: ServiceParts) -> list[str]:
    async def database() -> None:
        async with parts.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    found = []
    try:
        await asyncio.wait_for(database(), HEALTH_TIMEOUT_S)
    except Exception as exc:
        found.append(f"database unreachable ({type(exc).__name__})")
    try:
        if not await broker_ready(parts.broker, ping_timeout=HEALTH_TIMEOUT_S):
            found.append("broker unreachable")
    except Exception as exc:
        found.append(f"broker unreachable ({type(exc).__name__})")
    found.extend(f"{name} not ready" for name, ready in parts.readiness.items() if not ready())
    return found


GC_YOUNGEST_THRESHOLD = 50_000
"""Allocations between two collections of the youngest generation (CPython's default: 700)."""


def collect_for_throughput() -> None:
    """The cyclic garbage collector tuned for a server (docs/performance.md, issue 18).

    Everything imported and built so far lives as long as the process: frozen, out of the
    collector's sight, a full collection no longer walks it. And a batch decision holds its
    few hundred requests' objects for milliseconds: with CPython's 700 allocations between
    young collections, they are scanned several times and promoted before they are freed (by
    reference counting, which frees all but cycles), about a third of a batch's CPU in a
    microbenchmark; collections every 50,000 allocations let them die young."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNGEST_THRESHOLD, middle, oldest)


def serve(
    name: str,
    settings_type: type[ServiceSettings],
    make_app: Callable[[ServiceSettings], FastAPI],
    migrations: Path,
) -> None:
    """A service process: read its settings, create and migrate its database, then serve HTTP
    and AMQP. Settings it cannot run with end the process (status 1) with one line saying why."""
    try:
        settings = read_settings(settings_type)
    except SettingsError as error:
        raise SystemExit(f"{name}: refusing to start: {error}") from None
    configure_logging(name, settings.log_level)
    if asyncio.run(ensure_database(settings.database_url)):
        log.info("created database for %s", name)
    upgrade_to_head(migrations, settings.database_url)
    app = make_app(settings)
    collect_for_throughput()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # asyncio's loop, not uvloop: libuv accepts one connection per turn of the loop, so a
        # burst of new connections to a busy service (the gateway opening one per request at
        # peak enrollment) waited up to half a second in the kernel's accept queue; asyncio
        # accepts what is queued at once (docs/performance.md, issue 18)
        loop="asyncio",
    )
