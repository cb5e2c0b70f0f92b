"""Waiting lines, of a session or of an event: the same queries on either registrations' table.

`line` is the column of the registrations' table that names whose line they stand in
(`registrations.c.session_id`, `event_registrations.c.event_id`).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession


def head_of_line(line: Column[uuid.UUID], of: uuid.UUID, count: int) -> Select[Any]:
    """The query of the first `count` waiting in the line of `of`, in line order."""
    table = line.table
    return (
        select(table)
        .where(line == of, table.c.status == "waitlisted")
        .order_by(table.c.waitlist_position)
        .limit(count)
    )


async def move_line_up(
    db: AsyncSession,
    line: Column[uuid.UUID],
    of: uuid.UUID,
    behind: int,
    by: int,
    now: datetime,
) -> None:
    """Everyone waiting behind position `behind` moves up `by` places (a new version each)."""
    table = line.table
    await db.execute(
        update(table)
        .where(line == of, table.c.status == "waitlisted", table.c.waitlist_position > behind)
        .values(
            waitlist_position=table.c.waitlist_position - by,
            version=table.c.version + 1,
            updated_at=now,
        )
    )
