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
        return cls(
            sort=sort if sort in sorts else default,
            order=order if order in ("asc", "desc") else default_order,
            offset=_offset(query.get("offset", "0")),
        )

    def params(self) -> dict[str, str | int]:
        return {"sort": self.sort, "order": self.order, "limit": self.limit, "offset": self.offset}


MAX_OFFSET = 1_000_000  # the API's bound


def _offset(raw: str) -> int:
    """A whole number of ASCII digits (not "²", which `isdigit` lets through, nor "-1"), at most
    the API's bound; anything else is the first page."""
    if not (raw.isascii() and raw.isdigit()):
        return 0
    raw = raw.lstrip("0") or "0"
    return MAX_OFFSET if len(raw) > len(str(MAX_OFFSET)) else min(int(raw), MAX_OFFSET)
