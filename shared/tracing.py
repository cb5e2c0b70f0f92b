"""Traces (OpenTelemetry, docs/operations.md "Traces"), configured from its standard variables.

With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans go to
that collector over OTLP/HTTP (protobuf) through a batch processor; `OTEL_SERVICE_NAME` names the
service (default: its own name), `OTEL_TRACES_SAMPLER` and `OTEL_BSP_*` are the SDK's. Unset, no
SDK is installed: the API's no-op tracer only hands the incoming W3C trace context on, so an
event still carries the `traceparent` its request came with, and nothing is recorded.

The trace context crosses the bus in the event itself (the CloudEvents distributed tracing
extension: `traceparent`, `tracestate`), so it survives the outbox and reaches any subscriber;
the relay's publish span also travels in the AMQP header `traceparent`, which our consumers
prefer as their parent (publish → consume), the event's own context otherwise.
"""

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, Span, SpanKind, TraceState
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
UNTRACED_PATHS = "/health,/metrics"
"""Probes and scrapes: no trace of their own."""

_W3C = TraceContextTextMapPropagator()
tracer = trace.get_tracer("training")
"""A proxy until `configure_tracing` installs the SDK: spans made before are no-ops."""

_exporting = False


def exporting() -> bool:
    """Whether this process records and exports spans."""
    return _exporting


def configure_tracing(service: str) -> bool:
    """Install the SDK and its OTLP exporter when an endpoint is set (once per process); whether
    spans are exported."""
    global _exporting
    if _exporting or not any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
        return _exporting
    # imported only here: a process that exports nothing loads neither exporter nor instrumentation
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.sampler = QueriesInTraces(provider.sampler)  # OTEL_TRACES_SAMPLER's, read by the SDK
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)  # flushed and shut down at the process's exit
    # SQLAlchemy's asyncpg dialect runs prepared statements, which this instruments too
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    _exporting = True
    return True


class QueriesInTraces(Sampler):
    """`sampler`, except that an SQL statement outside any trace is not recorded: the loops'
    polls (the relay's, the sender's, the schedulers') would otherwise each be a trace of their
    own, many a second, burying the traces of requests and messages."""

    def __init__(self, sampler: Sampler) -> None:
        self._sampler = sampler

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        query = kind == SpanKind.CLIENT and any(key in (attributes or {}) for key in _DB_SYSTEM)
        if query and not trace.get_current_span(parent_context).get_span_context().is_valid:
            return SamplingResult(Decision.DROP)
        return self._sampler.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"QueriesInTraces{{{self._sampler.get_description()}}}"


_DB_SYSTEM = ("db.system", "db.system.name")
"""How the database instrumentations name the database (old and stable conventions)."""


def current_trace() -> dict[str, str]:
    """The current trace context as W3C fields (`traceparent`, and `tracestate` if any); empty
    outside any trace."""
    fields: dict[str, str] = {}
    _W3C.inject(fields)
    return fields


def fields_of_context(parent: Context) -> dict[str, str]:
    """`current_trace()` as it would be within `parent`, without making it current."""
    fields: dict[str, str] = {}
    _W3C.inject(fields, parent)
    return fields


def current() -> Context:
    """The current context, to continue later elsewhere (`within`)."""
    return context.get_current()


def context_of(fields: Mapping[str, Any]) -> Context:
    """The trace context that `fields` (an event, AMQP headers, a row) carry; an empty context
    (a new trace) when they carry none or a malformed one."""
    return _W3C.extract(
        {k: v for k in (TRACEPARENT, TRACESTATE) if isinstance(v := fields.get(k), str)}
    )


@contextmanager
def within(parent: Context) -> Iterator[None]:
    """Make `parent` current, e.g. a request's context in the task that decides its batch."""
    token = context.attach(parent)
    try:
        yield
    finally:
        context.detach(token)


@contextmanager
def span(
    name: str,
    parent: Context,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[Span | None]:
    """A span child of `parent`, current while the block runs (an exception is recorded on it);
    when nothing is exported, only `parent` made current, and None."""
    if not _exporting:
        with within(parent):
            yield None
        return
    with tracer.start_as_current_span(name, parent, kind, attributes=attributes) as current:
        yield current


def producer_span(
    name: str, parent: Mapping[str, Any], attributes: Mapping[str, str | int]
) -> Span | None:
    """A publish span, child of the trace context `parent` carries (an event's), started now and
    ended by the caller (`finish`); None when nothing is exported."""
    if not _exporting:
        return None
    return tracer.start_span(name, context_of(parent), SpanKind.PRODUCER, attributes)


def fields_of(span: Span) -> dict[str, str]:
    """`span`'s context as W3C fields, for the headers of what it sends."""
    fields: dict[str, str] = {}
    _W3C.inject(fields, trace.set_span_in_context(span))
    return fields


def finish(span: Span, error: Exception | None) -> None:
    if error is not None:
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(error)[:200]))
    span.end()


def failed(error: BaseException) -> None:
    """Mark the current span failed, naming only the error's type (its text may hold personal
    data, an address an SMTP server quoted)."""
    trace.get_current_span().set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))


def consuming(
    queue: str, envelope: Mapping[str, Any], headers: Mapping[str, Any] | None
) -> AbstractContextManager[Span | None]:
    """The consumer span of a delivery: child of the publish span its AMQP headers name, else of
    the event's own trace context."""
    carrier = headers if headers and isinstance(headers.get(TRACEPARENT), str) else envelope
    attributes: dict[str, str | int] = {}
    if _exporting:
        attributes = {
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "process",
            "messaging.destination.name": queue,
            "messaging.message.id": str(envelope.get("id", "")),
            "cloudevents.event_id": str(envelope.get("id", "")),
            "cloudevents.event_type": str(envelope.get("type", "")),
        }
    return span(
        f"process {queue}", context_of(carrier), kind=SpanKind.CONSUMER, attributes=attributes
    )


def install_server_spans(app: FastAPI) -> None:
    """OpenTelemetry's middleware as the outermost, when spans are exported (`configure_tracing`):
    a server span per request, continued from its `traceparent` header and named after its route
    by shared.request_frame inside it. Without it, the frame makes the request's trace context
    current itself (no span, nothing recorded)."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app.add_middleware(
        OpenTelemetryMiddleware, excluded_urls=UNTRACED_PATHS, exclude_spans=["receive", "send"]
    )
