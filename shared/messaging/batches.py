"""Consuming a queue in batches: the handler gets whatever the channel delivered together.

For a hot command queue (`registration.register` at peak enrollment), below FastStream: one
aio-pika consumer on a connection of its own appends each delivery to a buffer; one worker
hands the buffer (up to `max_batch`) to the handler, which returns an outcome per delivery.
Successes are acked together (`multiple=True`: the worker settles batches one after the
other, so every earlier delivery of the channel is settled already); a failure goes to the
retry queues or the DLQ exactly as with `subscribe`, without holding back the others, and an
outcome that is `Rejected` goes straight to the DLQ. As with `subscribe`, the handler never sees a
body that is not a JSON object, nor an event whose `source` or routing key is not its type's
(`check_source`, `check_route`): those go to the DLQ on their own.

Notification consumes its hot queues the same way (the facts of a burst of registrations): a
handler that applies a batch in one transaction, and on a failure applies each delivery in a
transaction of its own, so that only the failing one is retried.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from typing import Self

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from opentelemetry.trace import Span, SpanKind

from shared.tracing import (
    TRACEPARENT,
    context_of,
    exporting,
    fields_of,
    fields_of_context,
    finish,
    tracer,
)

from .broker import ServiceBroker
from .consumer import (
    Envelope,
    Failures,
    Rejected,
    attempt_of,
    check_route,
    check_source,
    decode_envelope,
)
from .topology import ServiceQueue

Delivery = tuple[Envelope, AbstractIncomingMessage]
Outcomes = Sequence[Exception | None]
BatchHandler = Callable[[Sequence[Delivery]], Awaitable[Outcomes]]
Trace = Mapping[str, str]
"""A delivery's trace context as W3C fields (`traceparent`, `tracestate`): what it causes
carries it on."""
TracedHandler = Callable[[Sequence[Delivery], Sequence[Trace]], Awaitable[Outcomes]]

log = logging.getLogger(__name__)


def subscribe_batches(
    broker: ServiceBroker,
    queue: ServiceQueue,
    handler: BatchHandler,
    *,
    prefetch: int,
    max_batch: int | None = None,
    on_stop: Callable[[], Awaitable[None]] | None = None,
) -> "BatchConsumer":
    """Consume `queue` with `handler` in batches; start and stop the result from the lifespan.

    The broker declares the queue family on start (and documents the queue); the consumer
    waits for the queue, then consumes it with `prefetch` deliveries in flight.
    """
    channel = broker.consumer_channel(queue, prefetch)
    # A subscriber without a handler only declares its queue and documents it: nothing consumes.
    broker.subscriber(queue.main, queue.exchange, channel=channel, title=queue.name)
    return BatchConsumer(
        broker,
        queue,
        handler,
        prefetch=prefetch,
        max_batch=max_batch or prefetch,
        on_stop=on_stop,
    )


def traced(queue: str, handler: TracedHandler) -> BatchHandler:
    """`handler`, each delivery in a consumer span for as long as its batch takes (what
    `shared.tracing.consuming` is for one): child of the publish span its AMQP headers name, else
    of the event's own context. The handler gets each delivery's context, for what it causes to
    carry on (the emails of a fact continue its trace); a span whose outcome is an error is
    marked failed."""

    async def handle(deliveries: Sequence[Delivery]) -> Outcomes:
        spans: list[Span] = []
        traces: list[Trace] = []
        for envelope, message in deliveries:
            headers = message.headers or {}
            carrier = headers if isinstance(headers.get(TRACEPARENT), str) else envelope
            parent = context_of(carrier)
            if not exporting():  # what current_trace() gives within it, without making it current
                traces.append(fields_of_context(parent))
                continue
            event_id = str(envelope.get("id", ""))
            span = tracer.start_span(
                f"process {queue}",
                parent,
                SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": queue,
                    "messaging.message.id": event_id,
                    "messaging.batch.message_count": len(deliveries),
                    "cloudevents.event_id": event_id,
                    "cloudevents.event_type": str(envelope.get("type", "")),
                },
            )
            spans.append(span)
            traces.append(fields_of(span))
        outcomes: Outcomes = []
        try:
            outcomes = await handler(deliveries, traces)
            return outcomes
        finally:
            for n, span in enumerate(spans):
                outcome = outcomes[n] if n < len(outcomes) else RuntimeError("not handled")
                finish(span, outcome)

    handle.__name__ = getattr(handler, "__name__", queue)
    handle.__doc__ = handler.__doc__
    return handle


class BatchConsumer:
    def __init__(
        self,
        broker: ServiceBroker,
        queue: ServiceQueue,
        handler: BatchHandler,
        *,
        prefetch: int,
        max_batch: int,
        retry_interval: float = 1.0,
        on_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._on_stop = on_stop
        self._url = broker.amqp_url
        self._queue = queue
        self._handler = handler
        self._prefetch = prefetch
        self._max_batch = max_batch
        self._retry_interval = retry_interval
        self._failures = Failures(broker, queue)
        self._buffer: list[AbstractIncomingMessage] = []
        self._arrived = asyncio.Event()
        self._connection: AbstractRobustConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.consuming = asyncio.Event()

    @property
    def ready(self) -> bool:
        """Consuming on an open connection: part of the service's health."""
        connection = self._connection
        return self.consuming.is_set() and connection is not None and not connection.is_closed

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"{self._queue.name} batches")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(Exception):
                await connection.close()  # the unacked deliveries go back to the queue
        self.consuming.clear()
        if self._on_stop is not None:
            await self._on_stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def _run(self) -> None:
        await self._consume()
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            while self._buffer:
                batch = self._buffer[: self._max_batch]
                del self._buffer[: self._max_batch]
                await self._handle(batch)

    async def _consume(self) -> None:
        # The broker's start declares the queue beside this, so a first miss is expected: only a
        # wait that lasts (queue never declared, broker away) is worth a warning.
        quiet_for_s = 5.0
        loop = asyncio.get_running_loop()
        since = loop.time()
        while True:
            try:
                if self._connection is None:
                    self._connection = await aio_pika.connect_robust(
                        self._url, client_properties={"connection_name": self._queue.name}
                    )
                channel = await self._connection.channel()
                await channel.set_qos(prefetch_count=self._prefetch)
                # declared by the broker's start, which may still be under way
                queue = await channel.declare_queue(self._queue.name, passive=True)
                await queue.consume(self._on_delivery)
                self.consuming.set()
                return
            except Exception as error:
                waited = loop.time() - since
                level = logging.WARNING if waited >= quiet_for_s else logging.DEBUG
                log.log(level, "%s: not consuming yet (%.0fs): %r", self._queue.name, waited, error)
                await asyncio.sleep(self._retry_interval)

    async def _on_delivery(self, message: AbstractIncomingMessage) -> None:
        self._buffer.append(message)
        self._arrived.set()

    async def _handle(self, batch: list[AbstractIncomingMessage]) -> None:
        decoded: list[Delivery] = []
        failed: list[tuple[AbstractIncomingMessage, Exception]] = []
        for message in batch:
            try:
                envelope = decode_envelope(message.body)
                check_source(envelope)
                check_route(envelope, message)
            except Rejected as error:
                failed.append((message, error))
            else:
                decoded.append((envelope, message))
        with self._failures.consumed.acked() as done:
            try:
                outcomes: Sequence[Exception | None] = await self._handler(decoded)
            except Exception as error:
                outcomes = [error] * len(decoded)
            succeeded = []
            for (_, message), outcome in zip(decoded, outcomes, strict=True):
                if outcome is None:
                    succeeded.append(message)
                else:
                    failed.append((message, outcome))
            done(len(succeeded))
        await self._settle(failed)
        if not succeeded:
            return
        try:
            if len(succeeded) == len(batch) and _one_channel(succeeded):
                await succeeded[-1].ack(multiple=True)
            else:
                for message in succeeded:
                    await message.ack()
        except Exception as error:  # a lost channel gives them back: the inbox dedupes them
            log.warning("%s: acks lost: %r", self._queue.name, error)

    async def _settle(self, failed: Sequence[tuple[AbstractIncomingMessage, Exception]]) -> None:
        """Park the failures side by side: a batch of rejected commands waits for one round of
        confirms, not one per message."""
        settled = await asyncio.gather(
            *(
                self._failures.settle(
                    message, attempt_of(message), error, retry=not isinstance(error, Rejected)
                )
                for message, error in failed
            ),
            return_exceptions=True,
        )
        for outcome in settled:
            if isinstance(outcome, BaseException):  # a lost channel gives it back
                log.warning("%s: a failed delivery was not settled: %r", self._queue.name, outcome)


def _one_channel(messages: Sequence[AbstractIncomingMessage]) -> bool:
    first = messages[0].channel
    return all(message.channel is first for message in messages)
