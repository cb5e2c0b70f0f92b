"""The trace context through the outbox and the bus, spans recorded: an event's `traceparent`
stays in its body, the relay's publish span (a child of it) travels in the AMQP header, and the
consumer's span is a child of that publish span."""

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.rabbit.message import RabbitMessage
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.messaging import (
    EVENTS_EXCHANGE,
    OutboxRelay,
    add_to_outbox,
    broker_ready,
    make_broker,
    outbox_table,
    running_broker,
    service_queue,
    subscribe,
)
from testsupport.spans import recorded_spans
from testsupport.waiting import eventually

pytestmark = pytest.mark.integration

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    with recorded_spans(monkeypatch) as exporter:
        yield exporter


async def test_an_events_trace_goes_from_the_outbox_to_its_consumer(
    engine: AsyncEngine, amqp_url: str, recorded: InMemorySpanExporter
) -> None:
    tag = uuid.uuid4().hex[:8]
    type_ = f"test.traced.{tag}"
    metadata = MetaData()
    outbox = outbox_table(metadata, f"outbox_traced_{tag}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    envelope = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "training/test",
        "type": type_,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": {},
        "traceparent": PARENT,
    }
    received: asyncio.Queue[tuple[dict[str, Any], RabbitMessage]] = asyncio.Queue()

    async def handler(event: dict[str, Any], message: RabbitMessage) -> None:
        await received.put((event, message))

    broker = make_broker(amqp_url)
    queue = service_queue("test", f"traced-{tag}", binding_keys=[type_])
    subscribe(broker, queue, handler)
    async with running_broker(broker, retry_interval=0.1):
        await eventually(lambda: broker_ready(broker), what="the broker consuming", within=10)
        async with OutboxRelay(engine, outbox, broker, poll_interval=0.1):
            async with engine.begin() as conn:
                await add_to_outbox(
                    conn, outbox, envelope, exchange=EVENTS_EXCHANGE, routing_key=type_
                )
            event, message = await asyncio.wait_for(received.get(), timeout=10)
    assert event == envelope  # the body as the outbox kept it, traceparent included

    spans = {span.kind: span for span in recorded.get_finished_spans()}
    publish, consume = spans[SpanKind.PRODUCER], spans[SpanKind.CONSUMER]
    assert publish.parent is not None
    assert f"{publish.parent.span_id:016x}" == PARENT.split("-")[2]
    assert message.headers["traceparent"] == f"00-{TRACE_ID}-{publish.context.span_id:016x}-01"
    assert consume.parent is not None
    assert consume.parent.span_id == publish.context.span_id
    assert consume.context.trace_id == int(TRACE_ID, 16)
    assert publish.attributes is not None
    assert publish.attributes["cloudevents.event_id"] == envelope["id"]
