"""Async engine and session helpers, and creating a service's database when it is missing."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import JSON, Column, delete
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")
"""The type of a JSON column: JSONB on PostgreSQL, plain JSON on any other engine."""


async def driver_connection(db: AsyncConnection | AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under `db` (the transaction's own, checked out), for the hot
    statements SQLAlchemy's parameter processing would cost more than (docs/performance.md,
    issue 18)."""
    conn = db if isinstance(db, AsyncConnection) else await db.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # checked out: the transaction holds it
    adapter: Any = raw.dbapi_connection  # SQLAlchemy's AsyncAdapt_asyncpg_connection
    if not driver.is_in_transaction() and not adapter.autocommit:
        # The adapter sends BEGIN with its own first statement: one the driver ran first would
        # run, and commit, outside the transaction. Its BEGIN now (no extra round trip): the
        # transaction SQLAlchemy commits or rolls back (shared/tests: test_driver_connection).
        await adapter._start_transaction()
    return driver


def asyncpg_url(url: str) -> str:
    """`postgresql://...` (the contract's form) as SQLAlchemy's asyncpg URL."""
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """The libpq form asyncpg itself accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    # hide_parameters: a failed statement is logged without its values (learners' data)
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        hide_parameters=True,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One use case, one transaction: commit on success, roll back on any exception."""
    async with sessions() as session, session.begin():
        yield session


async def ensure_database(url: str) -> bool:
    """Create the database named in `url` if it does not exist; True when it was created."""
    target = make_url(url)
    name = target.database
    if not name:
        raise ValueError(f"no database name in {url!r}")
    admin = plain_url(target.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.DuplicateDatabaseError:
            return False  # a replica starting at the same moment created it
        return True
    finally:
        await conn.close()


log = logging.getLogger(__name__)


@asynccontextmanager
async def pruning(
    engine: AsyncEngine, stamp: Column[datetime], keep: timedelta, *, every_s: float = 3600.0
) -> AsyncIterator[None]:
    """While the block runs, delete the rows of `stamp`'s table older than `keep`, now and
    every `every_s` (a background chore, off every request's path)."""
    table = stamp.table

    async def prune_forever() -> None:
        while True:
            try:
                async with engine.begin() as conn:
                    cutoff = datetime.now(UTC) - keep
                    pruned = (await conn.execute(delete(table).where(stamp < cutoff))).rowcount
                if pruned:
                    log.info("%s: pruned %d rows older than %s", table.name, pruned, keep)
            except Exception as error:  # the database may be away; try again next time
                log.warning("%s: pruning failed: %r", table.name, error)
            await asyncio.sleep(every_s)

    task = asyncio.create_task(prune_forever(), name=f"{table.name} pruning")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
