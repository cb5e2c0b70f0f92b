"""Transactional outbox: events are rows written with the state change, published after commit.

`add_to_outbox` inserts the row and a `NOTIFY` in the caller's transaction (PostgreSQL delivers
the notification at commit, and only then). `OutboxRelay` wakes on it, or polls, locks the
oldest rows with `FOR UPDATE SKIP LOCKED` so replicas share the work, sends a batch in `seq`
order on one channel, waits for all its publisher confirms at once, and deletes exactly the
confirmed rows before committing.

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

from faststream.rabbit import RabbitBroker, RabbitExchange
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    MetaData,
    Table,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from .broker import DEFAULT_PUBLISH_TIMEOUT, publish_event
from .listen import Listener

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


OutboxEntry = tuple[Mapping[str, Any], str, str]
"""(envelope, exchange name, routing key)"""


async def add_all_to_outbox(
    db: AsyncConnection | AsyncSession, table: Table, entries: Sequence[OutboxEntry]
) -> None:
    """`add_to_outbox` for many envelopes at once (a batch's events, in order).

    Executed with a list of parameters, so the statement is compiled once and cached (a
    multi-row VALUES would be compiled again for every batch).
    """
    if not entries:
        return
    await db.execute(
        table.insert(),
        [
            {
                "id": uuid.UUID(str(envelope["id"])),
                "exchange": exchange,
                "routing_key": routing_key,
                "payload": dict(envelope),
                "headers": None,
            }
            for envelope, exchange, routing_key in entries
        ],
    )
    await db.execute(select(func.pg_notify(table.name, "")))


class OutboxRelay:
    """Publishes committed outbox rows; start and stop it from the app lifespan."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        broker: RabbitBroker,
        *,
        listen_dsn: str | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        min_backoff: float = 0.2,
        max_backoff: float = 10.0,
        publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
        stop_timeout: float = 10.0,
        name: str = "outbox-relay",
    ) -> None:
        self._engine = engine
        self._table = table
        self._broker = broker
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._publish_timeout = publish_timeout
        self._stop_timeout = stop_timeout
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
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
        query = select(table).order_by(table.c.seq).limit(self._batch_size)
        if waiting:
            query = query.where(table.c.id.not_in(waiting))
        async with self._engine.begin() as conn:
            rows = list(await conn.execute(query.with_for_update(skip_locked=True)))
            # One confirm round trip per batch, not per row: every publish is in flight at once.
            outcomes = await asyncio.gather(
                *(
                    publish_event(
                        self._broker,
                        row.payload,
                        row.exchange,
                        row.routing_key,
                        row.headers,
                        confirm_timeout=self._publish_timeout,
                    )
                    for row in rows
                ),
                return_exceptions=True,
            )
            published = [
                row.id
                for row, outcome in zip(rows, outcomes, strict=True)
                if not isinstance(outcome, BaseException)
            ]
            if published:
                await conn.execute(delete(table).where(table.c.id.in_(published)))
        self.published += len(published)
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
            if isinstance(outcome, BaseException)
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

    async def _relay_forever(self) -> None:
        backoff = self._min_backoff
        while not self._stopping.is_set():
            self._wake.clear()
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


def _asyncpg_dsn(engine: AsyncEngine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
