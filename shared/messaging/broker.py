"""The service's RabbitMQ connection and the one way to publish an event or a command.

Start-up policy: `make_broker` fails fast (an unreachable RabbitMQ at `connect` raises) so that
`running_broker`, used by the app lifespan, can retry the first connection in the background
while the HTTP app comes up (health answers 503 until `broker_ready`). Once connected, the
robust connection reconnects by itself, restores queues, bindings and consumers, and the
outbox relay holds events back until publishing works again.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any

import aiormq
from aiormq.exceptions import AMQPError
from faststream.rabbit import Channel, RabbitBroker, RabbitExchange

from .topology import (
    COMMANDS_EXCHANGE,
    TRAINING_EXCHANGES,
    ServiceQueue,
    declare_exchanges,
    declare_service_queue,
)

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
DEFAULT_PUBLISH_TIMEOUT = 10.0
DEFAULT_EXCHANGE = RabbitExchange("")

log = logging.getLogger(__name__)


class PublishNotConfirmed(RuntimeError):
    """RabbitMQ did not confirm a message: nacked, returned, timed out or not connected."""


class ServiceBroker(RabbitBroker):
    """A `RabbitBroker` that declares the training exchanges and its service queues (DLQ,
    retry queues, every binding key) before its subscribers start consuming.

    Each subscription consumes on a channel of its own, with its prefetch; publishing uses the
    default channel, so a publishing error that closes a channel never stops a consumer.
    """

    def __init__(self, amqp_url: str, *args: Any, prefetch: int, **kwargs: Any) -> None:
        super().__init__(amqp_url, *args, **kwargs)
        self.amqp_url = amqp_url
        """For the connections of its own that the outbox relay and batch consumers open."""
        self.prefetch = prefetch
        self.service_queues: list[tuple[ServiceQueue, Channel]] = []

    def consumer_channel(self, queue: ServiceQueue, prefetch: int | None = None) -> Channel:
        """Register `queue` for declaration at start; return the channel to consume it on."""
        channel = Channel(prefetch_count=prefetch or self.prefetch)
        self.service_queues.append((queue, channel))
        return channel

    async def start(self) -> None:
        await self.connect()
        await declare_exchanges(self)
        for queue, channel in self.service_queues:
            await declare_service_queue(self, queue, channel)
        await super().start()


def make_broker(amqp_url: str, *, prefetch: int = 32, **kwargs: Any) -> ServiceBroker:
    """A broker with publisher confirms and an explicit prefetch for each consumer.

    A vhost in `amqp_url` is honoured. Extra keyword arguments go to `RabbitBroker`
    (`reconnect_interval`, `app_id`, `logger`, ...).
    """
    kwargs.setdefault("reconnect_interval", 2.0)
    kwargs.setdefault("fail_fast", True)
    return ServiceBroker(
        amqp_url,
        prefetch=prefetch,
        default_channel=Channel(publisher_confirms=True),
        **kwargs,
    )


async def publish_event(
    broker: RabbitBroker,
    envelope: Mapping[str, Any],
    exchange: RabbitExchange | str,
    routing_key: str,
    headers: Mapping[str, Any] | None = None,
    *,
    mandatory: bool | None = None,
    reply_to: str | None = None,
    correlation_id: str | None = None,
    confirm_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
) -> None:
    """Publish a CloudEvents envelope (structured mode, persistent) and wait for the confirm.

    `envelope` must be JSON-ready (`model_dump(mode="json")`). `mandatory` defaults to True on
    `training.commands` only: an event nobody subscribes to is normal, a command nobody
    receives is lost, so it raises and the outbox keeps it.
    """
    target = known_exchange(exchange)
    if mandatory is None:
        mandatory = target.name == COMMANDS_EXCHANGE.name
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
    message_id = str(envelope["id"])
    destination = f"{target.name or '(default)'}/{routing_key}"
    try:
        async with asyncio.timeout(confirm_timeout):
            confirmation = await broker.publish(
                body,
                exchange=target,
                routing_key=routing_key,
                mandatory=mandatory,
                persist=True,
                content_type=CLOUDEVENTS_CONTENT_TYPE,
                message_id=message_id,
                message_type=envelope.get("type"),
                headers=dict(headers) if headers else None,
                reply_to=reply_to,
                correlation_id=correlation_id or message_id,
            )
    except Exception as error:
        raise PublishNotConfirmed(f"{message_id} to {destination}: {error!r}") from error
    if not isinstance(confirmation, aiormq.spec.Basic.Ack):
        raise PublishNotConfirmed(f"{message_id} to {destination}: {_describe(confirmation)}")


async def start_broker(broker: RabbitBroker, *, retry_interval: float = 2.0) -> None:
    """Start the broker, retrying from scratch until RabbitMQ lets it start."""
    while True:
        try:
            await broker.start()
            return
        except (AMQPError, OSError) as error:
            log.warning("broker not started (%r), retrying in %.1fs", error, retry_interval)
            # A half-done start (some subscribers consuming) must not be started twice.
            with suppress(Exception):
                await broker.stop()
            await asyncio.sleep(retry_interval)


@asynccontextmanager
async def running_broker(
    broker: RabbitBroker, *, retry_interval: float = 2.0
) -> AsyncIterator[RabbitBroker]:
    """Start the broker in the background for the duration of the block; stop it after."""
    starting = asyncio.create_task(start_broker(broker, retry_interval=retry_interval))
    starting.add_done_callback(_log_start_failure)
    try:
        yield broker
    finally:
        if not starting.done():
            starting.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await starting
        await broker.stop()


async def broker_ready(broker: RabbitBroker, *, ping_timeout: float = 1.0) -> bool:
    """Started (subscribers consuming) and connected right now: what health reports."""
    return broker.running and await broker.ping(ping_timeout)


def known_exchange(exchange: RabbitExchange | str) -> RabbitExchange:
    """One of the training exchanges, or the default one; else `PublishNotConfirmed`."""
    if isinstance(exchange, RabbitExchange):
        return exchange
    for known in (*TRAINING_EXCHANGES, DEFAULT_EXCHANGE):
        if known.name == exchange:
            return known
    # Publishing to a missing exchange would make RabbitMQ close the channel.
    raise PublishNotConfirmed(f"unknown exchange {exchange!r}")


def _describe(confirmation: object) -> str:
    if isinstance(confirmation, aiormq.abc.DeliveredMessage):
        return "returned: no queue is bound for it"
    if confirmation is None:
        return "no confirmation: publisher confirms are off on this channel"
    return f"unexpected confirmation {confirmation!r}"


def _log_start_failure(task: "asyncio.Task[None]") -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("broker did not start", exc_info=error)
