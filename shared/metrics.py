"""Every Prometheus metric the services expose at `GET /metrics` (docs/operations.md, Metrics).

One registry per process (prometheus_client's default): each replica exposes its own numbers,
and Prometheus sums them. Label values are bounded: a service, a queue, a route template, a
status, an event type, an outcome; never a user, a registration or a raw path.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: a request, an SMTP exchange."""
LATENESS_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
"""Seconds after its time that something due happened (an expiry, a reminder)."""
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500)

# --- HTTP (every service) ----------------------------------------------------------------------

http_requests = Counter(
    "http_requests_total",
    "HTTP requests answered, by route template (or `unmatched`) and status.",
    ["service", "method", "route", "status"],
)
http_request_duration = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template.",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)

# --- messaging (every service) -----------------------------------------------------------------

messages_consumed = Counter(
    "messages_consumed_total",
    "Deliveries consumed from a service queue, by outcome: handled, duplicate (dropped by the "
    "inbox), retried (parked on a retry queue), dead_lettered.",
    ["service", "queue", "outcome"],
)
outbox_rows_waiting = Gauge(
    "outbox_rows_waiting",
    "Outbox rows committed and not yet published, as the relay last counted them.",
    ["service"],
)
outbox_oldest_row_age = Gauge(
    "outbox_oldest_row_age_seconds",
    "Age of the oldest outbox row not yet published (0 when none), as the relay last saw it.",
    ["service"],
)
events_published = Counter(
    "events_published_total",
    "Outbox rows (events and commands) published and confirmed by RabbitMQ, by CloudEvents type.",
    ["service", "type"],
)

# --- registration ------------------------------------------------------------------------------

registration_decisions = Counter(
    "registration_decisions_total",
    "Registration decisions committed, by outcome: seat (pending or confirmed), waitlist, "
    "offer (a freed seat offered to the head of the line), refused (the request answered 4xx).",
    ["outcome"],
)
registration_batch_size = Histogram(
    "registration_batch_size",
    "New registration requests decided together in one transaction (one admission batch).",
    buckets=BATCH_BUCKETS,
)
registration_expiry_lateness = Histogram(
    "registration_expiry_lateness_seconds",
    "How long after its deadline an unconfirmed request or an offer was ended (expired).",
    buckets=LATENESS_BUCKETS,
)

# --- notification ------------------------------------------------------------------------------

notification_emails = Counter(
    "notification_emails_total",
    "Email attempts and decisions, by status: sent, captured (no SMTP_URL), retried (a failed "
    "attempt to be tried again), failed (the last attempt failed), suppressed (turned off by "
    "its recipient).",
    ["status"],
)
notification_smtp_send_duration = Histogram(
    "notification_smtp_send_duration_seconds",
    "Duration of one SMTP exchange (one email), whatever its outcome.",
    buckets=LATENCY_BUCKETS,
)
notification_reminders_due = Gauge(
    "notification_reminders_due",
    "Reminders due and not yet sent or dropped, as the scheduler last counted them.",
)
notification_reminders_late = Gauge(
    "notification_reminders_late_seconds",
    "How long ago the oldest reminder still unsent fell due (0 when none is), as the scheduler "
    "last saw it.",
)
notification_reminder_lateness = Histogram(
    "notification_reminder_lateness_seconds",
    "How long after its due time each reminder was written for sending.",
    buckets=LATENESS_BUCKETS,
)


# --- HTTP: the middleware and the endpoint -----------------------------------------------------

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
"""The `route` of a request no route took (404): its raw path would be unbounded."""


class AnsweredRequests:
    """`http_requests_total` and `http_request_duration_seconds` of one service, their labelled
    children cached: a request costs two dict look-ups and the updates."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._counts: dict[tuple[str, str, int], Counter] = {}
        self._durations: dict[tuple[str, str], Histogram] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """A request answered `status` after `seconds`, by the route template it matched."""
        # the router puts the matched route in the scope (Starlette 0.36+)
        route = getattr(scope.get("route"), "path", None) or UNMATCHED
        method = scope["method"] if scope["method"] in _METHODS else "other"
        self._duration(method, route).observe(seconds)
        self._count(method, route, status).inc()

    def _count(self, method: str, route: str, status: int) -> Counter:
        key = (method, route, status)
        child = self._counts.get(key)
        if child is None:
            child = self._counts[key] = http_requests.labels(
                self._service, method, route, str(status)
            )
        return child

    def _duration(self, method: str, route: str) -> Histogram:
        key = (method, route)
        child = self._durations.get(key)
        if child is None:
            child = self._durations[key] = http_request_duration.labels(
                self._service, method, route
            )
        return child


class RequestMetrics:
    """Pure ASGI middleware: count and time each request by the route template it matched.

    The console's; a service's requests are counted by shared.request_frame."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self._answered = AnsweredRequests(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self._answered.observe(scope, status, time.perf_counter() - started)


def metrics_endpoint(app: FastAPI) -> None:
    """`GET /metrics`: this process's registry, out of the OpenAPI."""

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI, service: str) -> None:
    """`GET /metrics` and the request metrics around everything the app does (added last: the
    outermost middleware); a service's app counts its requests in shared.request_frame."""
    metrics_endpoint(app)
    app.add_middleware(RequestMetrics, service=service)


# --- consumers ---------------------------------------------------------------------------------

_duplicates: ContextVar[list[int] | None] = ContextVar("inbox_duplicates", default=None)


def delivery_duplicates(count: int) -> None:
    """The inbox found `count` deliveries it had already seen (called by shared.messaging.inbox);
    they count as `duplicate` for the delivery being consumed, if any."""
    seen = _duplicates.get()
    if seen is not None and count:
        seen[0] += count


class QueueConsumption:
    """`messages_consumed_total` of one service queue, its children made once."""

    def __init__(self, service: str, queue: str) -> None:
        self._handled = messages_consumed.labels(service, queue, "handled")
        self._duplicate = messages_consumed.labels(service, queue, "duplicate")
        self.retried = messages_consumed.labels(service, queue, "retried")
        self.dead_lettered = messages_consumed.labels(service, queue, "dead_lettered")

    @contextmanager
    def acked(self) -> Iterator[Callable[[int], None]]:
        """Around a handler: yields `done(n)`, to call once `n` deliveries succeeded; those the
        inbox dropped as duplicates meanwhile count as such, the rest as handled."""
        seen = [0]
        token = _duplicates.set(seen)

        def done(succeeded: int) -> None:
            duplicates = min(seen[0], succeeded)
            self._duplicate.inc(duplicates)
            self._handled.inc(succeeded - duplicates)

        try:
            yield done
        finally:
            _duplicates.reset(token)


# --- outbox relay ------------------------------------------------------------------------------


class OutboxMetrics:
    """A relay's published events and its measures of the rows waiting, children cached."""

    def __init__(self, service: str, *, every_s: float) -> None:
        self._service = service
        self._every_s = every_s
        self._next = 0.0
        self._by_type: dict[str | None, Counter] = {}
        self._waiting = outbox_rows_waiting.labels(service)
        self._oldest = outbox_oldest_row_age.labels(service)

    def published(self, types: Iterable[str | None]) -> None:
        for type_ in types:
            child = self._by_type.get(type_)
            if child is None:
                child = self._by_type[type_] = events_published.labels(
                    self._service, type_ or "unknown"
                )
            child.inc()

    def due(self) -> bool:
        """Time to count the rows waiting again (at most every `every_s`)."""
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self._every_s
        return True

    def waiting(self, rows: int, oldest_age_s: float) -> None:
        self._waiting.set(rows)
        self._oldest.set(max(0.0, oldest_age_s) if rows else 0.0)
