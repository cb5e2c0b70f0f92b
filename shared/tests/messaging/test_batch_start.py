"""A batch consumer's start: the queue the broker's start declares beside it may not exist yet,
which is expected for a moment (DEBUG) and worth a warning only when it lasts."""

import logging
from collections.abc import Sequence

import pytest
from aio_pika.abc import AbstractRobustConnection

from shared.messaging import make_broker, service_queue
from shared.messaging.batches import BatchConsumer, Delivery
from testsupport.infra import unique_name
from testsupport.waiting import eventually

pytestmark = pytest.mark.integration

LOGGER = "shared.messaging.batches"


async def ignore(deliveries: Sequence[Delivery]) -> list[Exception | None]:
    return [None] * len(deliveries)


def consumer_of(amqp_url: str, purpose: str, *, retry_interval: float) -> BatchConsumer:
    queue = service_queue("test", unique_name(purpose), binding_keys=[f"test.{purpose}.#"])
    return BatchConsumer(
        make_broker(amqp_url),
        queue,
        ignore,
        prefetch=10,
        max_batch=10,
        retry_interval=retry_interval,
    )


def waits(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == LOGGER and r.levelno == level and "not consuming yet" in r.getMessage()
    ]


async def test_a_queue_declared_a_moment_later_is_consumed_without_a_warning(
    amqp_url: str, amqp: AbstractRobustConnection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    consumer = consumer_of(amqp_url, "late", retry_interval=0.05)
    async with consumer:
        await eventually(lambda: waits(caplog, logging.DEBUG), what="a first miss", within=10)
        channel = await amqp.channel()
        await channel.declare_queue(consumer._queue.name, auto_delete=True)
        await eventually(consumer.consuming.is_set, what="the consumer consumes", within=10)
        await channel.close()
    assert waits(caplog, logging.WARNING) == []


async def test_a_queue_that_stays_missing_is_warned_about(
    amqp_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    consumer = consumer_of(amqp_url, "never", retry_interval=0.2)
    async with consumer:
        (warning, *_) = await eventually(
            lambda: waits(caplog, logging.WARNING), what="a warning", within=20
        )
        assert not consumer.consuming.is_set()
    assert waits(caplog, logging.DEBUG), "the first misses are quiet"
    assert consumer._queue.name in warning.getMessage()
    assert "NOT_FOUND" in warning.getMessage()
