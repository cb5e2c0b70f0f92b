"""The replica of catalog's trainings: the code and title the reports and certificates print."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.records import TrainingRow
from registration.store.replicas import lock_replica
from registration.store.rows import first
from registration.tables import trainings


async def training_by_id(db: AsyncSession, ident: uuid.UUID) -> TrainingRow | None:
    return await first(db, select(trainings).where(trainings.c.id == ident), TrainingRow)


async def lock_training(db: AsyncSession, ident: uuid.UUID) -> TrainingRow | None:
    return await lock_replica(db, trainings, ident, TrainingRow)
