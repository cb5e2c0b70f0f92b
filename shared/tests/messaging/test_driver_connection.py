"""The driver's statements run in the transaction of the session or connection they come from."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from shared.db import driver_connection


async def test_a_driver_statement_first_in_a_transaction_is_undone_with_it(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS driver_first (n integer)"))
    sessions = async_sessionmaker(engine)
    async with sessions() as db:
        driver = await driver_connection(db)
        await driver.execute("INSERT INTO driver_first VALUES (1)")
        assert driver.is_in_transaction()
        await db.rollback()
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM driver_first"))).scalar() == 0


async def test_an_autocommit_connection_stays_outside_any_transaction(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        plain = await conn.execution_options(isolation_level="AUTOCOMMIT")
        driver = await driver_connection(plain)
        assert not driver.is_in_transaction()
        assert await driver.fetchval("SELECT 1") == 1
