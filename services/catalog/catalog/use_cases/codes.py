"""Codes of trainings and curricula are unique case-insensitively (docs/catalog.md): checked
before the write, and backed by a unique index on `lower(code)` for concurrent requests."""

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.use_cases import Database
from shared.refusals import Conflict, conflict

CodeLookup = Callable[[AsyncSession, str], Awaitable[uuid.UUID | None]]


async def refuse_taken(
    db: AsyncSession, lookup: CodeLookup, code: str, *, own: uuid.UUID | None = None
) -> None:
    existing = await lookup(db, code)
    if existing is not None and existing != own:
        raise conflict(f"The code {code!r} is taken.", id=str(existing))


async def conflict_after_race(
    database: Database, lookup: CodeLookup, code: str, *, own: uuid.UUID | None = None
) -> Conflict:
    """A concurrent request took the code between our check and our write."""
    async with database() as db:
        existing = await lookup(db, code)
    if existing is None or existing == own:
        return conflict("A concurrent change conflicted; try again.")
    return conflict(f"The code {code!r} is taken.", id=str(existing))
