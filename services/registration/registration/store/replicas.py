"""What every replica of a catalog resource shares: written by id, the first time or over an
older version (the callers compare versions under the row's lock)."""

import uuid
from collections.abc import Mapping

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from registration.store.rows import Row, first


async def insert_replica_if_new(
    db: AsyncSession, table: Table, values: Mapping[str, object]
) -> bool:
    """True when this is the first the replica hears of the resource."""
    stmt = pg_insert(table).values(values).on_conflict_do_nothing().returning(table.c.id)
    return (await db.execute(stmt)).first() is not None


async def lock_replica(
    db: AsyncSession, table: Table, ident: uuid.UUID, kind: type[Row]
) -> Row | None:
    return await first(db, select(table).where(table.c.id == ident).with_for_update(), kind)


async def update_replica(
    db: AsyncSession, table: Table, ident: uuid.UUID, values: Mapping[str, object]
) -> None:
    await db.execute(update(table).where(table.c.id == ident).values(values))
