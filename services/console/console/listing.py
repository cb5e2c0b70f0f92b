"""A list page's sorting and paging, read leniently from its query (a wrong value is the default)
and passed on to the API's `sort`, `order`, `limit` and `offset`."""

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request

PAGE_SIZE = 25


@dataclass(frozen=True)
class ListQuery:
    sort: str
    order: str
    offset: int
    limit: int = PAGE_SIZE

    @classmethod
    def of(
        cls, request: Request, sorts: Sequence[str], default: str, default_order: str = "asc"
    ) -> "ListQuery":
        query = request.query_params
        sort = query.get("sort", default)
        order = query.get("order", default_order)
        raw_offset = query.get("offset", "0")
        offset = int(raw_offset) if raw_offset.isdigit() else 0
        return cls(
            sort=sort if sort in sorts else default,
            order=order if order in ("asc", "desc") else default_order,
            offset=min(offset, 1_000_000),
        )

    def params(self) -> dict[str, str | int]:
        return {"sort": self.sort, "order": self.order, "limit": self.limit, "offset": self.offset}
