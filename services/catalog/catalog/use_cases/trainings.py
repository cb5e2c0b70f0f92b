"""Trainings: create, read, change (its organizations flow into its sessions and curricula),
delete while nothing depends on it."""

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import domain, store
from catalog.fields import TrainingChanges
from catalog.use_cases import Database, codes, curricula, sessions
from catalog.use_cases.versions import announce, as_deleted, first_version, next_version
from shared.auth import Principal
from shared.db import transaction
from shared.events import TrainingData
from shared.listing import Listing, Page
from shared.refusals import conflict, forbidden, not_found


async def create(database: Database, actor: Principal, fields: TrainingChanges) -> TrainingData:
    fields["organizations"] = domain.distinct(fields["organizations"])
    fields["validators"] = domain.distinct(fields["validators"])
    if not domain.may_manage(actor, fields["organizations"]):
        raise forbidden("Only a training manager of these organizations may create it.")
    values = {"id": uuid.uuid4(), **first_version(), **fields}
    try:
        async with transaction(database) as db:
            await codes.refuse_taken(db, store.training_id_by_code, fields["code"])
            training = await store.insert_row(db, store.trainings, TrainingData, values)
            await announce(db, "catalog.training.created", training, actor)
    except IntegrityError as exc:
        raise await codes.conflict_after_race(
            database, store.training_id_by_code, fields["code"]
        ) from exc
    return training


async def search(
    database: Database, listing: Listing, *, q: str | None, organization: str | None
) -> Page[TrainingData]:
    async with database() as db:
        return await store.list_trainings(
            db, listing, pattern=domain.search_pattern(q), organization=organization
        )


async def get(database: Database, training_id: uuid.UUID) -> TrainingData:
    async with database() as db:
        training = await store.row_by_id(db, store.trainings, TrainingData, training_id)
    if training is None:
        raise not_found("training", training_id)
    return training


async def update(
    database: Database, actor: Principal, training_id: uuid.UUID, fields: TrainingChanges
) -> TrainingData:
    if "organizations" in fields:
        fields["organizations"] = domain.distinct(fields["organizations"])
    if "validators" in fields:
        fields["validators"] = domain.distinct(fields["validators"])
    try:
        async with transaction(database) as db:
            current = await _locked(db, training_id)
            if not domain.may_manage(actor, current.organizations):
                raise forbidden("Only a manager of this training may change it.")
            if "organizations" in fields and not domain.may_manage(actor, fields["organizations"]):
                raise forbidden("You would no longer manage this training.")
            changed = domain.changes(current.model_dump(), fields)
            if not changed:
                return current
            if "code" in changed:
                await codes.refuse_taken(
                    db, store.training_id_by_code, changed["code"], own=training_id
                )
            training = await store.update_row(
                db, store.trainings, TrainingData, training_id, next_version(current, changed)
            )
            await announce(db, "catalog.training.updated", training, actor)
            if "organizations" in changed:
                await _follow_organizations(db, actor, training)
    except IntegrityError as exc:
        raise await codes.conflict_after_race(
            database, store.training_id_by_code, fields.get("code", ""), own=training_id
        ) from exc
    return training


async def _follow_organizations(db: AsyncSession, actor: Principal, training: TrainingData) -> None:
    """A training's sessions (and so their events) and its curricula carry its organizations."""
    for session in await store.sessions_of_training(db, training.id):
        await sessions.change(db, actor, session, {"organizations": training.organizations})
    for node in await store.curricula_with_training(db, training.id):
        await curricula.refresh_organizations(db, actor, node)


async def delete(database: Database, actor: Principal, training_id: uuid.UUID) -> None:
    async with transaction(database) as db:
        current = await _locked(db, training_id)
        if not domain.may_manage(actor, current.organizations):
            raise forbidden("Only a manager of this training may delete it.")
        its_sessions = await store.sessions_of_training(db, training_id)
        if its_sessions:
            raise conflict(
                "The training has sessions: delete them first.", id=str(its_sessions[0].id)
            )
        nodes = await store.curricula_with_training(db, training_id)
        if nodes:
            raise conflict(
                "A curriculum lists the training: remove it from there first.",
                id=str(nodes[0].id),
            )
        await store.delete_row(db, store.trainings, training_id)
        await announce(db, "catalog.training.deleted", as_deleted(current), actor)


async def _locked(db: AsyncSession, training_id: uuid.UUID) -> TrainingData:
    current = await store.row_by_id(db, store.trainings, TrainingData, training_id, lock=True)
    if current is None:
        raise not_found("training", training_id)
    return current
