"""Curricula: a tree of nodes listing trainings. Create, read, change (moves checked against
cycles under one tree lock), delete a leaf nothing points to; a node's organizations follow its
trainings'."""

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import domain, store
from catalog.fields import CurriculumChanges
from catalog.use_cases import Database, codes
from catalog.use_cases.versions import announce, as_deleted, first_version, next_version
from shared.auth import Principal
from shared.db import transaction
from shared.events import CurriculumData
from shared.listing import Listing, Page
from shared.refusals import conflict, forbidden, invalid, not_found


async def create(database: Database, actor: Principal, fields: CurriculumChanges) -> CurriculumData:
    training_ids = domain.distinct(fields["training_ids"])
    try:
        async with transaction(database) as db:
            await store.lock_curriculum_tree(db)
            training_orgs = await _organizations_of_trainings(db, training_ids)
            parent = await _parent(db, fields.get("parent_id"))
            if not domain.manages_curriculum(
                actor, is_root=parent is None, training_organizations=training_orgs
            ):
                raise forbidden(
                    "Only a platform admin creates a root; a child needs a training manager "
                    "of every training it lists."
                )
            if parent is not None:
                await _check_may_hang_under(db, actor, parent)
            await codes.refuse_taken(db, store.curriculum_id_by_code, fields["code"])
            requested: CurriculumChanges = {
                **fields,
                "training_ids": training_ids,
                "organizations": domain.curriculum_organizations(training_orgs),
            }
            values = {"id": uuid.uuid4(), **_columns(requested), **first_version()}
            node = await store.insert_row(db, store.curricula, CurriculumData, values)
            await announce(db, "catalog.curriculum.created", node, actor)
    except IntegrityError as exc:
        raise await codes.conflict_after_race(
            database, store.curriculum_id_by_code, fields["code"]
        ) from exc
    return node


async def search(
    database: Database,
    listing: Listing,
    *,
    parent_id: uuid.UUID | None,
    roots_only: bool,
    training_id: uuid.UUID | None,
    q: str | None,
) -> Page[CurriculumData]:
    async with database() as db:
        return await store.list_curricula(
            db,
            listing,
            parent_id=parent_id,
            roots_only=roots_only,
            training_id=training_id,
            pattern=domain.search_pattern(q),
        )


async def get(database: Database, curriculum_id: uuid.UUID) -> CurriculumData:
    async with database() as db:
        node = await store.row_by_id(db, store.curricula, CurriculumData, curriculum_id)
    if node is None:
        raise not_found("curriculum", curriculum_id)
    return node


async def update(
    database: Database, actor: Principal, curriculum_id: uuid.UUID, fields: CurriculumChanges
) -> CurriculumData:
    try:
        async with transaction(database) as db:
            await store.lock_curriculum_tree(db)
            current = await _locked(db, curriculum_id)
            if not domain.manages_curriculum(
                actor,
                is_root=current.parent_id is None,
                training_organizations=await _organizations_of_trainings(db, current.training_ids),
            ):
                raise forbidden("You do not manage this curriculum.")
            training_ids = domain.distinct(fields.pop("training_ids", current.training_ids))
            training_orgs = await _organizations_of_trainings(db, training_ids)
            parent_id = fields.get("parent_id", current.parent_id)
            parent = await _parent(db, parent_id)
            if parent is not None and parent_id != current.parent_id:
                domain.check_no_cycle(curriculum_id, await store.lineage(db, parent.id))
                await _check_may_hang_under(db, actor, parent)
            if not domain.manages_curriculum(
                actor, is_root=parent is None, training_organizations=training_orgs
            ):
                raise forbidden("You would no longer manage this curriculum.")
            requested: CurriculumChanges = {
                **fields,
                "training_ids": training_ids,
                "organizations": domain.curriculum_organizations(training_orgs),
            }
            changed = domain.changes(current.model_dump(), requested)
            if not changed:
                return current
            if "code" in changed:
                await codes.refuse_taken(
                    db, store.curriculum_id_by_code, changed["code"], own=curriculum_id
                )
            node = await store.update_row(
                db,
                store.curricula,
                CurriculumData,
                curriculum_id,
                next_version(current, _columns(changed)),
            )
            await announce(db, "catalog.curriculum.updated", node, actor)
    except IntegrityError as exc:
        raise await codes.conflict_after_race(
            database, store.curriculum_id_by_code, fields.get("code", ""), own=curriculum_id
        ) from exc
    return node


async def delete(database: Database, actor: Principal, curriculum_id: uuid.UUID) -> None:
    async with transaction(database) as db:
        await store.lock_curriculum_tree(db)
        current = await _locked(db, curriculum_id)
        if not domain.manages_curriculum(
            actor,
            is_root=current.parent_id is None,
            training_organizations=await _organizations_of_trainings(db, current.training_ids),
        ):
            raise forbidden("You do not manage this curriculum.")
        child = await store.a_child_of(db, curriculum_id)
        if child is not None:
            raise conflict("The curriculum has children: delete them first.", id=str(child))
        session = await store.a_session_of_curriculum(db, curriculum_id)
        if session is not None:
            raise conflict("A session is attached to this curriculum.", id=str(session))
        await store.delete_row(db, store.curricula, curriculum_id)
        await announce(db, "catalog.curriculum.deleted", as_deleted(current), actor)


async def refresh_organizations(
    db: AsyncSession, actor: Principal, current: CurriculumData
) -> None:
    """The node's organizations again from its trainings': a new version only if they changed."""
    training_orgs = await _organizations_of_trainings(db, current.training_ids)
    requested: CurriculumChanges = {"organizations": domain.curriculum_organizations(training_orgs)}
    changed = domain.changes(current.model_dump(), requested)
    if changed:
        node = await store.update_row(
            db, store.curricula, CurriculumData, current.id, next_version(current, changed)
        )
        await announce(db, "catalog.curriculum.updated", node, actor)


async def check_exists(db: AsyncSession, curriculum_id: uuid.UUID | None) -> None:
    """A session's `curriculum_id` must name an existing curriculum (else it is invalid)."""
    if curriculum_id is not None and (
        await store.row_by_id(db, store.curricula, CurriculumData, curriculum_id) is None
    ):
        raise invalid("curriculum_id", f"no curriculum with id {curriculum_id}")


async def _organizations_of_trainings(
    db: AsyncSession, training_ids: Sequence[uuid.UUID]
) -> list[list[str]]:
    found = await store.trainings_by_ids(db, training_ids)
    missing = [str(t) for t in training_ids if t not in found]
    if missing:
        raise invalid("training_ids", f"unknown trainings: {', '.join(missing)}")
    return [found[t].organizations for t in training_ids]


async def _parent(db: AsyncSession, parent_id: uuid.UUID | None) -> CurriculumData | None:
    if parent_id is None:
        return None
    parent = await store.row_by_id(db, store.curricula, CurriculumData, parent_id)
    if parent is None:
        raise invalid("parent_id", f"no curriculum with id {parent_id}")
    return parent


async def _check_may_hang_under(db: AsyncSession, actor: Principal, parent: CurriculumData) -> None:
    parent_orgs = await _organizations_of_trainings(db, parent.training_ids)
    if not domain.may_hang_under(
        actor,
        parent_is_root=parent.parent_id is None,
        parent_training_organizations=parent_orgs,
    ):
        raise forbidden("You may not add to this curriculum.")


async def _locked(db: AsyncSession, curriculum_id: uuid.UUID) -> CurriculumData:
    current = await store.row_by_id(db, store.curricula, CurriculumData, curriculum_id, lock=True)
    if current is None:
        raise not_found("curriculum", curriculum_id)
    return current


def _columns(changes: CurriculumChanges) -> dict[str, object]:
    """`training_ids` is a JSON column: its ids are stored as strings."""
    if "training_ids" in changes:
        return {**changes, "training_ids": [str(t) for t in changes["training_ids"]]}
    return {**changes}
