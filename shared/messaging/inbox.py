"""Consumer-side dedupe: a message's effect happens once however often it is delivered.

Call `first_delivery` in the transaction that applies the effect. A redelivery finds the row
and skips; a concurrent duplicate waits on the first one's row lock and skips once it
commits (or applies the effect if the first one rolled back).
"""

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from functools import cache

from sqlalchemy import Column, DateTime, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from shared.db import driver_connection, pruning
from shared.metrics import delivery_duplicates


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
    first = inserted.first() is not None
    if not first:
        delivery_duplicates(1)
    return first


async def first_deliveries(
    db: AsyncConnection | AsyncSession, table: Table, consumer: str, event_ids: Iterable[str]
) -> set[str]:
    """`first_delivery` for many events in one statement: the ids delivered the first time.

    Ids are inserted in sorted order, so that two transactions with overlapping ids wait on
    each other rather than deadlock. The driver executes it (prepared once per connection, the
    ids one array): SQLAlchemy's processing of a row of parameters per id cost more than the
    statement (docs/performance.md, issue 18).
    """
    ids = sorted(set(event_ids))
    if not ids:
        return set()
    driver = await driver_connection(db)
    inserted = await driver.fetch(_first_deliveries_sql(table), consumer, ids)
    first = {row[0] for row in inserted}
    delivery_duplicates(len(ids) - len(first))
    return first


@cache
def _first_deliveries_sql(table: Table) -> str:
    """The insert of `first_deliveries` into `table`, made once: the ids in the order of the
    array, each at most once, those already there left alone."""
    name = _POSTGRESQL.identifier_preparer.format_table(table)  # quoted as SQLAlchemy quotes it
    return (
        f"INSERT INTO {name} (consumer, event_id) "  # noqa: S608 (a table's quoted name)
        "SELECT $1, event_id FROM unnest($2::text[]) WITH ORDINALITY AS i (event_id, n) "
        "ORDER BY n ON CONFLICT DO NOTHING RETURNING event_id"
    )


_POSTGRESQL = PGDialect()  # type: ignore[no-untyped-call]  # for its identifier quoting alone


KEEP_DELIVERIES = timedelta(days=14)
"""How long a delivery is remembered: longer than any redelivery (the longest retry back-off is
minutes); a message parked in a dead-letter queue for longer should be replayed knowingly."""


def pruning_deliveries(
    engine: AsyncEngine, table: Table, *, keep: timedelta = KEEP_DELIVERIES, every_s: float = 3600.0
) -> AbstractAsyncContextManager[None]:
    """Forget deliveries older than `keep` in the background while the block runs."""
    return pruning(engine, table.c.received_at, keep, every_s=every_s)
