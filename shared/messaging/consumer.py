"""Subscribing a handler to a service queue, with bounded, delayed retries and a DLQ.

A handler gets the decoded envelope (a `dict`: validate it with the event models if you want
types) and the `RabbitMessage` (headers, `reply_to`, `correlation_id`, `message_id`).
Returning acks the message. Raising acks it too, after a copy has been confirmed on the next
retry queue (header `x-attempt` = the next attempt number) or, after the last attempt, on the
dead-letter queue (with `x-last-error`). The failing message thus leaves the queue at once and
never holds back the messages behind it. A message that can never succeed (`Rejected`: a body
that is not a JSON object, a command that cannot be carried out) goes straight to the
dead-letter queue, its reason in `x-last-error`. So does an event whose `source` is not the
service that owns its type (`shared.events.owner_of`): the handler never sees it.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from typing import Any

import aiormq
from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractIncomingMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit.annotations import RabbitMessage as RabbitMessageParam
from faststream.rabbit.message import RabbitMessage
from faststream.rabbit.subscriber import RabbitSubscriber

from shared.events import owner_of
from shared.metrics import QueueConsumption
from shared.tracing import consuming

from .broker import DEFAULT_PUBLISH_TIMEOUT, ServiceBroker
from .topology import ServiceQueue

ATTEMPT_HEADER = "x-attempt"
LAST_ERROR_HEADER = "x-last-error"
ORIGINAL_EXCHANGE_HEADER = "x-original-exchange"
ORIGINAL_ROUTING_KEY_HEADER = "x-original-routing-key"

Envelope = dict[str, Any]
Handler = Callable[[Envelope, RabbitMessage], Awaitable[None]]

log = logging.getLogger(__name__)

# RabbitMQ writes these on dead-lettering and redelivery; a copy we publish starts afresh.
_BROKER_HEADERS = ("x-death", "x-first-death-", "x-last-death-", "x-delivery-count")
# A command's bearer token is a live credential: a retry needs it, the DLQ (read and kept by
# operators) never holds it.
_CREDENTIAL_HEADERS = frozenset({"authorization"})


class Rejected(Exception):
    """The message can never be carried out: retrying cannot help. Its text is the reason the
    dead-letter queue keeps (short, and without personal data)."""


class UndecodableMessage(Rejected, ValueError):
    """The body is not a JSON object."""


class ForgedSource(Rejected):
    """The event's `source` is not the service that owns its type."""


def subscribe(
    broker: ServiceBroker, queue: ServiceQueue, handler: Handler, *, prefetch: int | None = None
) -> RabbitSubscriber:
    """Consume `queue` with `handler`, at most `prefetch` (default: the broker's) at a time.

    Call before the broker starts: it declares the queue family and bindings on start.
    """
    channel = broker.consumer_channel(queue, prefetch)
    delivery = _Delivery(broker, queue, _traced(queue.name, handler))

    async def consume(message: RabbitMessageParam) -> None:
        await delivery.handle(message)

    consume.__name__ = getattr(handler, "__name__", queue.name)
    consume.__doc__ = handler.__doc__
    subscriber = broker.subscriber(
        queue.main,
        queue.exchange,
        channel=channel,
        ack_policy=AckPolicy.MANUAL,
        no_reply=True,
        title=queue.name,
    )
    subscriber(consume)
    return subscriber


def _traced(queue: str, handler: Handler) -> Handler:
    """`handler` in a consumer span that continues the trace of the delivery (`consuming`)."""

    async def handle(envelope: Envelope, message: RabbitMessage) -> None:
        with consuming(queue, envelope, message.headers):
            await handler(envelope, message)

    return handle


def attempt_of(message: RabbitMessage | AbstractIncomingMessage) -> int:
    """1-based attempt number of this delivery."""
    value = (message.headers or {}).get(ATTEMPT_HEADER, 1)
    return value if isinstance(value, int) and value > 0 else 1


class _Delivery:
    def __init__(self, broker: ServiceBroker, queue: ServiceQueue, handler: Handler) -> None:
        self._failures = Failures(broker, queue)
        self._handler = handler
        self._consumed = self._failures.consumed

    async def handle(self, message: RabbitMessage) -> None:
        attempt = attempt_of(message)
        with self._consumed.acked() as done:
            try:
                envelope = decode_envelope(message.body)
                check_source(envelope)
                check_route(envelope, message.raw_message)
                await self._handler(envelope, message)
            except Rejected as error:
                await self._failures.settle(message.raw_message, attempt, error, retry=False)
            except Exception as error:
                await self._failures.settle(message.raw_message, attempt, error, retry=True)
            else:
                await message.ack()
                done(1)


class Failures:
    """Where a failed delivery of a service queue goes: the next retry queue, or the DLQ."""

    def __init__(self, broker: ServiceBroker, queue: ServiceQueue) -> None:
        self._broker = broker
        self._queue = queue
        self.consumed = QueueConsumption(service_of(broker, queue), queue.name)

    async def settle(
        self, message: AbstractIncomingMessage, attempt: int, error: Exception, *, retry: bool
    ) -> None:
        """Park a copy (confirmed) on the retry queue or the DLQ, then ack the delivery."""
        try:
            if retry and attempt < self._queue.max_attempts:
                log.warning(
                    "%s: attempt %d/%d of %s failed, retrying: %r",
                    self._queue.name,
                    attempt,
                    self._queue.max_attempts,
                    message.message_id,
                    error,
                )
                await self._forward(message, self._queue.retry_queue_name(attempt), attempt + 1)
                self.consumed.retried.inc()
            else:
                await self._dead_letter(message, attempt, error)
                self.consumed.dead_lettered.inc()
        except Exception:
            # Could not park it: give it back to the queue; the quorum delivery limit bounds this.
            log.exception("%s: could not move %s aside", self._queue.name, message.message_id)
            with suppress(Exception):  # a lost channel gives it back anyway
                await message.nack(requeue=True)
            return
        await message.ack()

    async def _dead_letter(
        self, message: AbstractIncomingMessage, attempt: int, error: Exception
    ) -> None:
        if isinstance(error, Rejected):
            log.warning(
                "%s: %s dead-lettered, cannot be carried out: %s",
                self._queue.name,
                message.message_id,
                error,
            )
            last_error = str(error)
        else:
            log.error(
                "%s: %s dead-lettered after attempt %d: %r",
                self._queue.name,
                message.message_id,
                attempt,
                error,
                exc_info=error,
            )
            last_error = f"{type(error).__name__}: {error}"
        await self._forward(
            message,
            self._queue.dead_letter_name,
            attempt,
            {LAST_ERROR_HEADER: last_error[:1000]},
            without=_CREDENTIAL_HEADERS,
        )

    async def _forward(
        self,
        raw: AbstractIncomingMessage,
        queue_name: str,
        attempt: int,
        extra_headers: Mapping[str, Any] | None = None,
        without: frozenset[str] = frozenset(),
    ) -> None:
        headers = {
            name: value
            for name, value in (raw.headers or {}).items()
            if not name.startswith(_BROKER_HEADERS) and name not in without
        }
        headers.setdefault(ORIGINAL_EXCHANGE_HEADER, raw.exchange or "")
        headers.setdefault(ORIGINAL_ROUTING_KEY_HEADER, raw.routing_key or "")
        headers[ATTEMPT_HEADER] = attempt
        headers.update(extra_headers or {})
        copy = Message(
            raw.body,
            headers=headers,
            content_type=raw.content_type,
            content_encoding=raw.content_encoding,
            delivery_mode=DeliveryMode.PERSISTENT,
            priority=raw.priority,
            correlation_id=raw.correlation_id,
            reply_to=raw.reply_to,
            message_id=raw.message_id,
            timestamp=raw.timestamp,
            type=raw.type,
            app_id=raw.app_id,
        )
        async with asyncio.timeout(DEFAULT_PUBLISH_TIMEOUT):
            confirmation = await self._broker.publish(copy, routing_key=queue_name, mandatory=True)
        if not isinstance(confirmation, aiormq.spec.Basic.Ack):
            raise RuntimeError(f"{queue_name} did not take {raw.message_id}: {confirmation!r}")


def service_of(broker: ServiceBroker, queue: ServiceQueue) -> str:
    """The service consuming `queue`: the broker's `app_id`, else the queue's prefix."""
    app_id = getattr(broker.config, "app_id", None)
    return app_id if isinstance(app_id, str) and app_id else queue.name.partition(".")[0]


def decode_envelope(body: bytes) -> Envelope:
    """The JSON object a message carries; `UndecodableMessage` when it is anything else."""
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UndecodableMessage(f"body is not JSON: {error}") from error
    except RecursionError:
        raise UndecodableMessage("body is JSON nested too deep to read") from None
    if not isinstance(envelope, dict):
        raise UndecodableMessage("body is not a JSON object")
    return envelope


def check_route(envelope: Envelope, message: AbstractIncomingMessage) -> None:
    """`ForgedSource` when an event came through an exchange under another routing key than its
    type: the broker's topic permissions vouch for the key a user published with, not for the
    body, so a body of another service's type must not ride a key its sender may use."""
    headers = message.headers or {}
    exchange = _text(headers.get(ORIGINAL_EXCHANGE_HEADER, message.exchange))
    key = _text(headers.get(ORIGINAL_ROUTING_KEY_HEADER, message.routing_key))
    type_ = envelope.get("type")
    if exchange and isinstance(type_, str) and key != type_:
        raise ForgedSource(f"published as {key[:100]!r} but of type {type_[:100]!r}")


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value or "")


def check_source(envelope: Envelope) -> None:
    """`ForgedSource` unless the event comes from the service that owns its type; a type no
    service owns (or not a string) is left to the handler."""
    type_, source = envelope.get("type"), envelope.get("source")
    if not isinstance(type_, str) or (owner := owner_of(type_)) is None or source == owner:
        return
    # both are the sender's words: clipped, so the log line and the header stay short
    raise ForgedSource(f"source {str(source)[:100]!r} does not own {type_[:100]}: {owner} does")
