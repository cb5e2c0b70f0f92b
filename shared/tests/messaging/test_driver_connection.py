"""The driver's statements run in the transaction of the session or connection they come from."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from shared.db import driver_connection

_COUNT = text("SELECT count(*) FROM driver_first")


async def test_a_driver_statement_first_in_a_transaction_is_undone_with_it(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS driver_first (n integer)"))
        await conn.execute(text("DELETE FROM driver_first"))
    sessions = async_sessionmaker(engine)
    async with sessions() as db:
        driver = await driver_connection(db)
        await driver.execute("INSERT INTO driver_first VALUES (1)")
        assert driver.is_in_transaction()
        assert (await db.execute(_COUNT)).scalar() == 1  # SQLAlchemy's statements: the same one
        await db.rollback()
    async with engine.connect() as conn:
        assert (await conn.execute(_COUNT)).scalar() == 0
    async with sessions() as db, db.begin():
        await (await driver_connection(db)).execute("INSERT INTO driver_first VALUES (2)")
    async with engine.connect() as conn:
        assert (await conn.execute(_COUNT)).scalar() == 1  # committed with the session


async def test_an_autocommit_connection_stays_outside_any_transaction(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        plain = await conn.execution_options(isolation_level="AUTOCOMMIT")
        driver = await driver_connection(plain)
        assert not driver.is_in_transaction()
        assert await driver.fetchval("SELECT 1") == 1
