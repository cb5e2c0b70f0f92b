"""Lists (docs/reference/http.md, Lists): `?limit=&offset=&sort=&order=`, a whitelist of sort
fields per list, ties broken by `id`, answered as `{"items": [...], "total": N}`.

A route declares its list as
`TrainingList = Annotated[Listing, Depends(list_params("title", "code", "created_at"))]` and takes
`listing: TrainingList`; the store runs `await page_of(db, query, table, listing)`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.bounds import Limit, Offset, Search
from shared.problems import Problem

DEFAULT_LIMIT = 50
DEFAULT_SORT = "created_at"

Item = TypeVar("Item")
Order = Literal["asc", "desc"]


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    total: int


@dataclass(frozen=True)
class Listing:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str = DEFAULT_SORT
    order: Order = "asc"


def list_params(*sortable: str, default: str = DEFAULT_SORT) -> Callable[..., Listing]:
    """The FastAPI dependency of a list sortable on `sortable` (any other field: 422)."""
    if default not in sortable:
        raise ValueError(f"default sort {default!r} is not among {sortable}")
    allowed = ", ".join(sortable)

    def listing(
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
        sort: Annotated[Search, Query(description=f"one of: {allowed}")] = default,
        order: Order = "asc",
    ) -> Listing:
        if sort not in sortable:
            msg = f"sort must be one of: {allowed}"
            raise Problem(
                422,
                "Invalid request",
                msg,
                extra={"errors": [{"loc": ["query", "sort"], "msg": msg}]},
            )
        return Listing(limit=limit, offset=offset, sort=sort, order=order)

    return listing


async def page_of(
    db: AsyncSession | AsyncConnection,
    query: Select[Any],
    table: Table,
    listing: Listing,
    *,
    columns: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of `query` (already filtered) in the listing's order, and the total it matches.

    `columns` maps a sort field to an expression when it is not a plain column of `table`.
    """
    sort_column = (columns or {}).get(listing.sort, table.c[listing.sort])
    direction = sort_column.desc() if listing.order == "desc" else sort_column.asc()
    tie = table.c.id.desc() if listing.order == "desc" else table.c.id.asc()
    total = (await db.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(
        query.order_by(direction.nulls_last(), tie).limit(listing.limit).offset(listing.offset)
    )
    return [dict(row) for row in rows.mappings()], int(total)
