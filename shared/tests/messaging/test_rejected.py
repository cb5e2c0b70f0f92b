"""A `Rejected` message (it can never be carried out) skips the retries: it is in the DLQ after
its first attempt, its reason in `x-last-error`, with a WARNING naming it — from `subscribe` and
from a batch consumer alike."""

import logging
from collections.abc import Sequence
from typing import Any

import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from faststream.rabbit.message import RabbitMessage

from shared.messaging import (
    ATTEMPT_HEADER,
    EVENTS_EXCHANGE,
    LAST_ERROR_HEADER,
    make_broker,
    publish_event,
    service_queue,
    subscribe,
)
from shared.messaging.batches import Delivery, subscribe_batches
from shared.messaging.consumer import Rejected
from testsupport.waiting import eventually

from .test_messaging import an_event, drain, started, unique

pytestmark = pytest.mark.integration

# Long enough that a retry would not reach the DLQ before the assertions.
DELAYS = (30.0,)


async def test_a_rejected_message_is_dead_lettered_at_once_with_its_reason(
    amqp_url: str, amqp: AbstractRobustConnection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    queue = service_queue("test", unique("rej"), binding_keys=["test.rej.#"], retry_delays=DELAYS)
    refused = an_event("test.rej.x")
    calls: list[str] = []

    async def handle(envelope: dict[str, Any], _: RabbitMessage) -> None:
        calls.append(envelope["id"])
        raise Rejected("409 Conflict: cannot be done")

    broker = make_broker(amqp_url)
    subscribe(broker, queue, handle)
    async with started(broker):
        await publish_event(broker, refused, EVENTS_EXCHANGE, "test.rej.x")
        dead = await _dead_letter(amqp, queue.dead_letter_name)
        channel = await amqp.channel()
        retry = await channel.declare_queue(queue.retry_queue_name(1), passive=True)
        await channel.close()

    assert calls == [refused["id"]]
    _assert_rejected(dead, refused["id"], "409 Conflict: cannot be done", caplog)
    assert retry.declaration_result.message_count == 0


async def test_a_batch_outcome_rejected_is_dead_lettered_at_once_beside_acked_ones(
    amqp_url: str, amqp: AbstractRobustConnection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    queue = service_queue("test", unique("rejb"), binding_keys=["test.rejb.#"], retry_delays=DELAYS)
    good, refused = an_event("test.rejb.good"), an_event("test.rejb.refused")

    async def handle(deliveries: Sequence[Delivery]) -> list[Exception | None]:
        return [
            Rejected("404 Not found: no such thing") if envelope["id"] == refused["id"] else None
            for envelope, _ in deliveries
        ]

    broker = make_broker(amqp_url)
    consumer = subscribe_batches(broker, queue, handle, prefetch=10)
    async with started(broker), consumer:
        await eventually(consumer.consuming.is_set, what="the batch consumer consumes", within=10)
        for event in (good, refused):
            await publish_event(broker, event, EVENTS_EXCHANGE, event["type"])
        dead = await _dead_letter(amqp, queue.dead_letter_name)
        channel = await amqp.channel()
        retry = await channel.declare_queue(queue.retry_queue_name(1), passive=True)
        main = await channel.declare_queue(queue.name, passive=True)
        await channel.close()

    _assert_rejected(dead, refused["id"], "404 Not found: no such thing", caplog)
    assert retry.declaration_result.message_count == 0
    assert main.declaration_result.message_count == 0


async def _dead_letter(amqp: AbstractRobustConnection, dlq_name: str) -> AbstractIncomingMessage:
    channel = await amqp.channel()
    dlq = await channel.declare_queue(dlq_name, passive=True)
    parked: list[AbstractIncomingMessage] = []

    async def arrived() -> bool:
        parked.extend(await drain(dlq))
        return bool(parked)

    await eventually(arrived, what="the rejected message is dead-lettered", within=10)
    await channel.close()
    (dead,) = parked
    return dead


def _assert_rejected(
    dead: AbstractIncomingMessage, message_id: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert dead.message_id == message_id
    assert dead.headers[LAST_ERROR_HEADER] == reason
    assert dead.headers[ATTEMPT_HEADER] == 1
    assert any(
        r.levelno == logging.WARNING and message_id in r.getMessage() and reason in r.getMessage()
        for r in caplog.records
    )
