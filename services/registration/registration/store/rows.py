"""Typed rows out of a query: the driver's plain dicts, named by the record they are
(`registration.records`), so no store function answers `dict[str, Any]`."""

import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

Row = TypeVar("Row", bound=Mapping[str, object])


async def first(db: AsyncSession, query: Executable, kind: type[Row]) -> Row | None:
    """The first row `query` answers, as a `kind`, or None."""
    row = (await db.execute(query)).mappings().first()
    return typing.cast(Row, dict(row)) if row else None


async def one(db: AsyncSession, query: Executable, kind: type[Row]) -> Row:
    """The one row `query` answers (an `INSERT` or `UPDATE ... RETURNING`), as a `kind`."""
    return typing.cast(Row, dict((await db.execute(query)).mappings().one()))


async def every(db: AsyncSession, query: Executable, kind: type[Row]) -> list[Row]:
    """Every row `query` answers, as `kind`s, in its order."""
    return typing.cast(list[Row], [dict(row) for row in (await db.execute(query)).mappings()])


def typed(rows: list[dict[str, Any]], kind: type[Row]) -> list[Row]:
    """Rows another helper read (a page of a listing), as `kind`s."""
    return typing.cast(list[Row], rows)
