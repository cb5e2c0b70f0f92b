"""What the consumers and the outbox relay count, on the real RabbitMQ and PostgreSQL."""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from faststream.rabbit.message import RabbitMessage
from prometheus_client import REGISTRY
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.messaging import (
    EVENTS_EXCHANGE,
    OutboxRelay,
    ServiceBroker,
    add_to_outbox,
    first_deliveries,
    first_delivery,
    inbox_table,
    make_broker,
    outbox_table,
    publish_event,
    service_queue,
    subscribe,
)
from shared.messaging.batches import Delivery, subscribe_batches
from testsupport.waiting import eventually

pytestmark = pytest.mark.integration


class Proxy(Protocol):
    async def cut(self) -> None: ...
    async def restore(self) -> None: ...


def an_event(event_type: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "training/test",
        "type": event_type,
        "time": datetime.now(UTC).isoformat(),
        "data": {"version": 1},
    }


@asynccontextmanager
async def started(broker: ServiceBroker) -> AsyncIterator[ServiceBroker]:
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def consumed(service: str, queue: str, outcome: str) -> float:
    return value("messages_consumed_total", service=service, queue=queue, outcome=outcome)


async def test_deliveries_are_counted_by_outcome(
    engine: AsyncEngine, amqp_url: str, amqp: AbstractRobustConnection
) -> None:
    metadata = MetaData()
    inbox = inbox_table(metadata, "inbox_metrics")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    purpose = f"m{uuid.uuid4().hex[:8]}"
    queue = service_queue("metered", purpose, binding_keys=[f"{purpose}.#"], retry_delays=(0.1,))
    once, poison = an_event(f"{purpose}.once"), an_event(f"{purpose}.poison")
    attempts: list[str] = []

    async def handle(envelope: dict[str, Any], _message: RabbitMessage) -> None:
        attempts.append(envelope["id"])
        if envelope["id"] == poison["id"]:
            raise RuntimeError("always fails")
        async with engine.begin() as conn:
            await first_delivery(conn, inbox, queue.name, envelope["id"])

    broker = make_broker(amqp_url, app_id="metered")
    subscribe(broker, queue, handle)
    async with started(broker):
        for event in (once, once, poison):
            await publish_event(broker, event, EVENTS_EXCHANGE, event["type"])
        channel = await amqp.channel()
        exchange = await channel.get_exchange(EVENTS_EXCHANGE.name)
        await exchange.publish(aio_pika.Message(b"not json"), routing_key=f"{purpose}.x")
        await eventually(
            lambda: consumed("metered", queue.name, "dead_lettered") == 2,
            what="the poison and the undecodable are dead-lettered",
            within=10,
        )
        await eventually(
            lambda: consumed("metered", queue.name, "duplicate") == 1,
            what="the second delivery is a duplicate",
            within=10,
        )
        await channel.close()
    assert consumed("metered", queue.name, "handled") == 1
    assert consumed("metered", queue.name, "retried") == 1  # its one retry, then the DLQ
    assert attempts.count(poison["id"]) == 2


async def test_a_batch_counts_its_duplicates(engine: AsyncEngine, amqp_url: str) -> None:
    metadata = MetaData()
    inbox = inbox_table(metadata, "inbox_metrics_batch")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    purpose = f"b{uuid.uuid4().hex[:8]}"
    queue = service_queue("metered", purpose, binding_keys=[f"{purpose}.#"])
    events = [an_event(f"{purpose}.x") for _ in range(5)]

    async def handle(deliveries: Sequence[Delivery]) -> list[Exception | None]:
        async with engine.begin() as conn:
            await first_deliveries(conn, inbox, queue.name, [e["id"] for e, _ in deliveries])
        return [None] * len(deliveries)

    broker = make_broker(amqp_url, app_id="metered")
    consumer = subscribe_batches(broker, queue, handle, prefetch=20)
    async with started(broker), consumer:
        await eventually(consumer.consuming.is_set, what="the batch consumer consumes", within=10)
        for event in [*events, *events[:2]]:
            await publish_event(broker, event, EVENTS_EXCHANGE, event["type"])
        await eventually(
            lambda: (
                consumed("metered", queue.name, "handled")
                + consumed("metered", queue.name, "duplicate")
                == 7
            ),
            what="every delivery is counted",
            within=10,
        )
    assert consumed("metered", queue.name, "duplicate") == 2


async def test_the_relay_counts_what_waits_and_what_it_published(
    engine: AsyncEngine, amqp: AbstractRobustConnection, amqp_proxy: tuple[Proxy, str]
) -> None:
    proxy, proxied_url = amqp_proxy
    metadata = MetaData()
    outbox = outbox_table(metadata, "outbox_metrics")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    event_type = f"metered{uuid.uuid4().hex[:8]}.created"
    service = f"relayed{uuid.uuid4().hex[:8]}"
    broker = make_broker(proxied_url, app_id=service, reconnect_interval=0.1)
    relay = OutboxRelay(
        engine, outbox, broker, poll_interval=0.1, max_backoff=0.2, publish_timeout=1.0
    )
    async with started(broker), relay:
        await proxy.cut()
        async with engine.begin() as conn:
            for _ in range(3):
                event = an_event(event_type)
                await add_to_outbox(
                    conn, outbox, event, exchange=EVENTS_EXCHANGE, routing_key=event_type
                )
        await eventually(
            lambda: (
                value("outbox_rows_waiting", service=service) == 3
                and value("outbox_oldest_row_age_seconds", service=service) > 0.2
            ),
            what="the relay sees three rows waiting, the oldest growing older",
            within=10,
        )
        assert value("events_published_total", service=service, type=event_type) == 0
        await proxy.restore()
        await eventually(
            lambda: value("events_published_total", service=service, type=event_type) == 3,
            what="the three are published once RabbitMQ is back",
            within=10,
        )
        await eventually(
            lambda: value("outbox_rows_waiting", service=service) == 0,
            what="the relay sees none waiting",
            within=10,
        )
    assert value("outbox_oldest_row_age_seconds", service=service) == 0
