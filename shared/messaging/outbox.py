"""Transactional outbox: events are rows written with the state change, published after commit.

`add_to_outbox` inserts the row and a `NOTIFY` in the caller's transaction (PostgreSQL delivers
the notification at commit, and only then). `OutboxRelay` wakes on it, or polls, locks the
oldest rows with `FOR UPDATE SKIP LOCKED` so replicas share the work, sends a batch in `seq`
order on a publisher-confirm channel of its own connection, waits for all its confirms at once,
and deletes exactly the confirmed rows before committing.

The relay publishes below FastStream (aio-pika's channel, aiormq frames): at peak enrollment it
sends two or three events per registration, and FastStream's publish path cost about 0.75 ms of
CPU per message. The payload goes out as PostgreSQL's own JSON text of the row, never decoded
and encoded again in Python.

Delivery is at least once: a crash between confirm and commit publishes those rows again.
Order is `seq` order within one relay, except that a row that failed is sent again after rows
behind it; replicas working on neighbouring batches, and transactions committing out of `seq`
order, can interleave events too (consumers keep the highest `data.version`).
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any, Self

import aio_pika
import aiormq
from faststream.rabbit import RabbitExchange
from opentelemetry.trace import Span
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    MetaData,
    Row,
    Table,
    Text,
    cast,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from shared import tracing
from shared.db import driver_connection
from shared.metrics import OutboxMetrics
from shared.tracing import TRACEPARENT, TRACESTATE

from .broker import (
    CLOUDEVENTS_CONTENT_TYPE,
    DEFAULT_PUBLISH_TIMEOUT,
    PublishNotConfirmed,
    ServiceBroker,
    known_exchange,
)
from .confirms import ConfirmChannel, Outgoing
from .listen import Listener
from .topology import COMMANDS_EXCHANGE

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData, name: str = "outbox") -> Table:
    """The outbox table; its name is also the NOTIFY channel."""
    return Table(
        name,
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
        Column("exchange", Text, nullable=False),
        Column("routing_key", Text, nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("headers", JSONB, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def add_to_outbox(
    db: AsyncConnection | AsyncSession,
    table: Table,
    envelope: Mapping[str, Any],
    *,
    exchange: RabbitExchange | str,
    routing_key: str,
    headers: Mapping[str, Any] | None = None,
) -> None:
    """Queue `envelope` (JSON-ready, with a UUID `id`) for publishing when the caller commits."""
    await db.execute(
        table.insert().values(
            id=uuid.UUID(str(envelope["id"])),
            exchange=exchange.name if isinstance(exchange, RabbitExchange) else exchange,
            routing_key=routing_key,
            payload=dict(envelope),
            headers=dict(headers) if headers else None,
        )
    )
    # Several notifications of one transaction reach listeners as one, at commit.
    await db.execute(select(func.pg_notify(table.name, "")))


OutboxEntry = tuple[uuid.UUID, str, str, str]
"""(envelope id, exchange name, routing key, the envelope as JSON text)"""


async def add_all_to_outbox(
    db: AsyncConnection | AsyncSession, table: Table, entries: Sequence[OutboxEntry]
) -> None:
    """`add_to_outbox` for many envelopes at once (a batch's events, in order).

    Each envelope comes as JSON text (`CloudEvent.to_json`, one pass in pydantic's core),
    which PostgreSQL reads into the JSONB column itself, and the rows are executed by the
    driver on the transaction's own connection: SQLAlchemy's parameter processing cost more
    than the statement (at peak enrollment a batch writes two or three events per
    registration: docs/performance.md, issue 18).
    """
    if not entries:
        return
    driver = await driver_connection(db)
    await driver.executemany(
        f"INSERT INTO {table.name} (id, exchange, routing_key, payload) "  # noqa: S608 - our table
        "VALUES ($1, $2, $3, $4::jsonb)",
        entries,
    )
    await db.execute(select(func.pg_notify(table.name, "")))


class OutboxRelay:
    """Publishes committed outbox rows; start and stop it from the app lifespan.

    `broker` is the service's broker (the relay connects to its URL with a connection of its
    own) or an AMQP URL.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        broker: ServiceBroker | str,
        *,
        listen_dsn: str | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        min_backoff: float = 0.2,
        max_backoff: float = 10.0,
        publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
        stop_timeout: float = 10.0,
        name: str = "outbox-relay",
    ) -> None:
        self._engine = engine
        self._table = table
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._stop_timeout = stop_timeout
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._app_id = None if isinstance(broker, str) else broker.config.app_id
        self._metrics = OutboxMetrics(self._app_id or name, every_s=poll_interval)
        self._channel = ConfirmChannel(
            broker if isinstance(broker, str) else broker.amqp_url,
            name=f"{name}:{table.name}",
            confirm_timeout=publish_timeout,
        )
        self.listener = Listener(
            listen_dsn or _asyncpg_dsn(engine),
            table.name,
            self._wake.set,
            application_name=f"{name}:{table.name}",
        )
        self.published = 0
        """Rows published and deleted by this relay."""
        self.failures = 0
        """Batches that stopped on an error (broker or database unreachable, ...)."""
        self._set_aside: dict[uuid.UUID, tuple[float, float]] = {}
        """Rows RabbitMQ refused while it took others: row id → (retry at, delay)."""
        self._query = select(
            table.c.id,
            table.c.exchange,
            table.c.routing_key,
            table.c.headers,
            cast(table.c.payload, Text).label("body"),
            table.c.payload["id"].astext.label("event_id"),
            table.c.payload["type"].astext.label("event_type"),
            table.c.payload[TRACEPARENT].astext.label(TRACEPARENT),
            table.c.payload[TRACESTATE].astext.label(TRACESTATE),
        ).order_by(table.c.seq)

    async def start(self) -> None:
        if self._tasks:
            return
        self._stopping.clear()
        self._tasks = [
            asyncio.create_task(self.listener.run(), name=f"{self._table.name} listener"),
            asyncio.create_task(self._relay_forever(), name=f"{self._table.name} relay"),
        ]

    async def stop(self) -> None:
        """Let the batch in flight finish (so its confirmed rows are deleted), then stop."""
        if not self._tasks:
            return
        self._stopping.set()
        self._wake.set()
        listener, relay = self._tasks
        listener.cancel()
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(relay), self._stop_timeout)
        relay.cancel()
        await asyncio.gather(listener, relay, return_exceptions=True)
        self._tasks = []
        await self._channel.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def relay_batch(self) -> int:
        """Publish up to `batch_size` of the oldest unlocked rows; return how many went out.

        The rows RabbitMQ confirmed are deleted and committed. When every row of the batch
        failed (RabbitMQ away), the first failure is raised and the relay backs off. When only
        some failed (a command no queue takes, say), those rows are set aside with a back-off of
        their own, so that they never hold back the rows behind them.
        """
        table = self._table
        now = time.monotonic()
        waiting = [row_id for row_id, (at, _) in self._set_aside.items() if at > now]
        query = self._query.limit(self._batch_size)
        if waiting:
            query = query.where(table.c.id.not_in(waiting))
        async with self._engine.begin() as conn:
            rows = list(await conn.execute(query.with_for_update(skip_locked=True)))
            outcomes = await self._publish(rows) if rows else []
            published = [
                row.id for row, outcome in zip(rows, outcomes, strict=True) if outcome is None
            ]
            if published:
                await conn.execute(delete(table).where(table.c.id.in_(published)))
        self.published += len(published)
        if published:
            sent = set(published)
            self._metrics.published(row.event_type for row in rows if row.id in sent)
        # Forget rows that went out, and those due again but not fetched (deleted by another
        # relay, or locked by one): they are tried as any other row.
        fetched = {row.id for row in rows}
        for row_id in published:
            self._set_aside.pop(row_id, None)
        for row_id in [r for r, (at, _) in self._set_aside.items() if at <= now]:
            if row_id not in fetched:
                del self._set_aside[row_id]
        failed = [
            (row, outcome)
            for row, outcome in zip(rows, outcomes, strict=True)
            if outcome is not None
        ]
        if failed and not published:
            raise failed[0][1]
        for row, error in failed:
            _, delay = self._set_aside.get(row.id, (0.0, self._min_backoff / 2))
            delay = min(delay * 2, self._max_backoff)
            self._set_aside[row.id] = (now + delay, delay)
            log.warning(
                "outbox %s: row %s set aside for %.1fs: %r", table.name, row.id, delay, error
            )
        return len(published)

    async def _publish(self, rows: Sequence[Row[Any]]) -> list[PublishNotConfirmed | None]:
        sendable = []
        outcomes: list[PublishNotConfirmed | None] = []
        spans = [_publish_span(row) for row in rows] if tracing.exporting() else []
        for n, row in enumerate(rows):
            try:
                known_exchange(row.exchange)  # a missing exchange would close the channel
            except PublishNotConfirmed as error:
                outcomes.append(error)
                continue
            outcomes.append(None)
            headers = dict(row.headers) if row.headers else None
            if spans and (publish := spans[n]) is not None:
                headers = {**(headers or {}), **tracing.fields_of(publish)}
            sendable.append(
                Outgoing(
                    row.body.encode(),
                    row.exchange,
                    row.routing_key,
                    aiormq.spec.Basic.Properties(
                        content_type=CLOUDEVENTS_CONTENT_TYPE,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        message_id=row.event_id,
                        correlation_id=row.event_id,
                        message_type=row.event_type,
                        app_id=self._app_id,
                        headers=headers,
                    ),
                    # a command nobody receives is lost: RabbitMQ returns it and the row stays
                    mandatory=row.exchange == COMMANDS_EXCHANGE.name,
                )
            )
        try:
            sent = iter(await self._channel.publish_all(sendable))
            for n, row in enumerate(rows):
                if outcomes[n] is None and (failure := next(sent)) is not None:
                    outcomes[n] = _not_confirmed(row, failure)
        except Exception as error:
            outcomes = [outcome or PublishNotConfirmed(repr(error)) for outcome in outcomes]
            raise
        finally:
            for span, outcome in zip(spans, outcomes if spans else [], strict=True):
                if span is not None:
                    tracing.finish(span, outcome)
        return outcomes

    async def _relay_forever(self) -> None:
        backoff = self._min_backoff
        while not self._stopping.is_set():
            self._wake.clear()
            if self._metrics.due():  # in a broker outage too: that is when the rows pile up
                await self._measure()
            try:
                count = await self.relay_batch()
            except Exception as error:
                self.failures += 1
                log.warning("outbox %s: %r; retrying in %.1fs", self._table.name, error, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = self._min_backoff
            if count < self._batch_size:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._next_wait())

    async def _measure(self) -> None:
        """The rows waiting and the oldest one's age, for the gauges: one query, at most every
        `poll_interval` (never per batch, nor per scrape)."""
        table = self._table
        query = select(
            func.count(), func.extract("epoch", func.now() - func.min(table.c.created_at))
        )
        try:
            async with self._engine.connect() as conn:
                waiting, age = (await conn.execute(query)).one()
        except Exception as error:  # the next round measures again
            log.debug("outbox %s: rows not counted: %r", table.name, error)
            return
        self._metrics.waiting(int(waiting), float(age or 0.0))

    def _next_wait(self) -> float:
        """Until the next poll, or sooner when a row set aside may be tried again."""
        if not self._set_aside:
            return self._poll_interval
        soonest = min(at for at, _ in self._set_aside.values()) - time.monotonic()
        return max(0.0, min(self._poll_interval, soonest))

    async def _pause(self, seconds: float) -> None:
        # Wake-ups must not cut a back-off short; only stopping does.
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _publish_span(row: Row[Any]) -> Span | None:
    """The publish span of one row, child of its event's trace context."""
    return tracing.producer_span(
        f"publish {row.routing_key}",
        {TRACEPARENT: row.traceparent, TRACESTATE: row.tracestate},
        {
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "send",
            "messaging.destination.name": row.exchange,
            "messaging.rabbitmq.destination.routing_key": row.routing_key,
            "messaging.message.id": row.event_id,
            "cloudevents.event_id": row.event_id,
            "cloudevents.event_type": row.event_type,
        },
    )


def _not_confirmed(row: Row[Any], error: Exception) -> PublishNotConfirmed:
    destination = f"{row.exchange or '(default)'}/{row.routing_key}"
    return PublishNotConfirmed(f"{row.event_id} to {destination}: {error!r}")


def _asyncpg_dsn(engine: AsyncEngine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
