"""Consumer-side dedupe: a message's effect happens once however often it is delivered.

Call `first_delivery` in the transaction that applies the effect. A redelivery finds the row
and skips; a concurrent duplicate waits on the first one's row lock and skips once it
commits (or applies the effect if the first one rolled back).
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, MetaData, Table, Text, delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

log = logging.getLogger(__name__)


def inbox_table(metadata: MetaData, name: str = "inbox") -> Table:
    return Table(
        name,
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        Column(
            "received_at",
            DateTime(timezone=True),
            nullable=False,
            server_default=func.now(),
            index=True,
        ),
    )


async def first_delivery(
    db: AsyncConnection | AsyncSession, table: Table, consumer: str, event_id: str
) -> bool:
    """Record that `consumer` got `event_id`; True only the first time."""
    inserted = await db.execute(
        insert(table)
        .values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return inserted.first() is not None


async def forget_deliveries(
    db: AsyncConnection | AsyncSession, table: Table, older_than: timedelta
) -> int:
    """Prune old inbox rows. Keep them longer than any redelivery can take (DLQ replays too)."""
    cutoff = datetime.now(UTC) - older_than
    pruned = await db.execute(delete(table).where(table.c.received_at < cutoff))
    return int(pruned.rowcount)  # type: ignore[attr-defined]


async def first_deliveries(
    db: AsyncConnection | AsyncSession, table: Table, consumer: str, event_ids: Iterable[str]
) -> set[str]:
    """`first_delivery` for many events in one statement: the ids delivered the first time.

    Ids are inserted in sorted order, so that two transactions with overlapping ids wait on
    each other rather than deadlock.
    """
    ids = sorted(set(event_ids))
    if not ids:
        return set()
    inserted = await db.execute(
        insert(table).on_conflict_do_nothing().returning(table.c.event_id),
        [{"consumer": consumer, "event_id": event_id} for event_id in ids],
    )
    return {row[0] for row in inserted}


KEEP_DELIVERIES = timedelta(days=14)
PRUNE_EVERY_S = 3600.0


@asynccontextmanager
async def pruning_deliveries(
    engine: AsyncEngine,
    table: Table,
    *,
    keep: timedelta = KEEP_DELIVERIES,
    every_s: float = PRUNE_EVERY_S,
) -> AsyncIterator[None]:
    """Prune inbox rows older than `keep` now and every `every_s` while the block runs.

    `keep` outlasts any redelivery: the longest retry back-off is minutes, and a message parked
    in a dead-letter queue for longer than that should be replayed knowingly."""

    async def prune_forever() -> None:
        while True:
            try:
                async with engine.begin() as conn:
                    pruned = await forget_deliveries(conn, table, keep)
                if pruned:
                    log.info(
                        "inbox %s: forgot %d deliveries older than %s", table.name, pruned, keep
                    )
            except Exception as error:  # the database may be away; try again next time
                log.warning("inbox %s: pruning failed: %r", table.name, error)
            await asyncio.sleep(every_s)

    task = asyncio.create_task(prune_forever(), name=f"{table.name} pruning")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
