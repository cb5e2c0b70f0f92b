"""The replica of catalog's curriculum nodes, and the tree below one of them."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.records import CurriculumRow
from registration.store.replicas import lock_replica
from registration.store.rows import every, first
from registration.tables import curricula


async def curriculum_by_id(db: AsyncSession, ident: uuid.UUID) -> CurriculumRow | None:
    return await first(db, select(curricula).where(curricula.c.id == ident), CurriculumRow)


async def lock_curriculum(db: AsyncSession, ident: uuid.UUID) -> CurriculumRow | None:
    return await lock_replica(db, curricula, ident, CurriculumRow)


async def curriculum_subtree(db: AsyncSession, root: uuid.UUID) -> list[CurriculumRow]:
    """The live node `root` and every live node below it (a recursive query), oldest first."""
    tree = (
        select(curricula.c.id)
        .where(curricula.c.id == root, curricula.c.status == "active")
        .cte("tree", recursive=True)
    )
    below = select(curricula.c.id).where(
        curricula.c.parent_id == tree.c.id, curricula.c.status == "active"
    )
    tree = tree.union(below)
    query = (
        select(curricula)
        .where(curricula.c.id.in_(select(tree.c.id)))
        .order_by(curricula.c.created_at, curricula.c.id)
    )
    return await every(db, query, CurriculumRow)
