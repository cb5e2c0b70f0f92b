"""The trace context as events carry it (CloudEvents distributed tracing extension) and as the
consumers and HTTP requests continue it, with and without an SDK recording spans."""

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import tracing
from shared.events import CloudEvent, new_event
from testsupport.spans import recorded_spans

pytestmark = pytest.mark.unit

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"
PUBLISH = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    with recorded_spans(monkeypatch) as exporter:
        yield exporter


def _only(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    return span


def test_an_event_outside_any_trace_carries_no_trace_context() -> None:
    message = new_event("catalog", "catalog.training.created", {}).to_message()
    assert "traceparent" not in message
    assert "tracestate" not in message


def test_without_an_sdk_an_event_carries_the_trace_context_it_was_made_in() -> None:
    fields = {"traceparent": PARENT, "tracestate": "vendor=1"}
    with tracing.within(tracing.context_of(fields)):
        event = new_event("catalog", "catalog.training.created", {})
    assert (event.traceparent, event.tracestate) == (PARENT, "vendor=1")
    assert CloudEvent.model_validate(event.to_message()) == event


def test_a_malformed_traceparent_starts_no_trace() -> None:
    with tracing.within(tracing.context_of({"traceparent": "00-zz-yy-01"})):
        assert tracing.current_trace() == {}


def test_a_consumer_span_continues_the_publish_span_named_in_the_headers(
    recorded: InMemorySpanExporter,
) -> None:
    envelope = {"id": "e1", "type": "registration.confirmed", "traceparent": PARENT}
    with tracing.consuming("notification.registrations", envelope, {"traceparent": PUBLISH}):
        made = new_event("notification", "x", {})
    span = _only(recorded)
    assert span.kind == SpanKind.CONSUMER
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == PUBLISH.split("-")[2]
    assert span.context.trace_id == int(TRACE_ID, 16)
    assert made.traceparent == f"00-{TRACE_ID}-{span.context.span_id:016x}-01"


def test_without_a_publish_span_the_consumer_continues_the_event(
    recorded: InMemorySpanExporter,
) -> None:
    envelope = {"id": "e1", "type": "registration.confirmed", "traceparent": PARENT}
    with tracing.consuming("notification.registrations", envelope, {"x-attempt": 2}):
        pass
    span = _only(recorded)
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == PARENT.split("-")[2]


def test_a_producer_span_is_a_child_of_its_event_and_travels_in_headers(
    recorded: InMemorySpanExporter,
) -> None:
    span = tracing.producer_span("publish x", {"traceparent": PARENT}, {"a": 1})
    assert span is not None
    headers = tracing.fields_of(span)
    tracing.finish(span, RuntimeError("nacked"))
    finished = _only(recorded)
    assert finished.kind == SpanKind.PRODUCER
    assert not finished.status.is_ok
    assert headers["traceparent"] == f"00-{TRACE_ID}-{finished.context.span_id:016x}-01"


def test_nothing_is_made_when_nothing_is_exported() -> None:
    assert not tracing.exporting()
    assert tracing.producer_span("publish x", {"traceparent": PARENT}, {}) is None


def test_a_statement_outside_any_trace_is_not_recorded_one_inside_is() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.sampler = tracing.QueriesInTraces(provider.sampler)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    query = {"db.system": "postgresql"}
    with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT, attributes=query):
        pass  # a loop's poll
    with tracer.start_as_current_span("email send", kind=SpanKind.CLIENT):
        pass  # not a statement: sampled as the environment says
    in_trace = tracing.within(tracing.context_of({"traceparent": PARENT}))
    with in_trace, tracer.start_as_current_span("INSERT", kind=SpanKind.CLIENT, attributes=query):
        pass
    assert [span.name for span in exporter.get_finished_spans()] == ["email send", "INSERT"]
    provider.shutdown()
