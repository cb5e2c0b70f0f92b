"""Sessions of a training: create (rules copied from the training), read, change (its tutors
and organizations flow into its events), cancel, delete with its events."""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from catalog import domain, store
from catalog.fields import SessionChanges
from catalog.use_cases import Database, curricula, events
from catalog.use_cases.versions import announce, as_deleted, first_version, next_version
from shared.auth import Principal
from shared.db import transaction
from shared.events import SessionData, TrainingData
from shared.listing import Listing, Page
from shared.refusals import conflict, forbidden, not_found


async def create(
    database: Database, actor: Principal, training_id: uuid.UUID, fields: SessionChanges
) -> SessionData:
    async with transaction(database) as db:
        # The training's row lock serialises the choice of its default session.
        training = await store.row_by_id(db, store.trainings, TrainingData, training_id, lock=True)
        if training is None:
            raise not_found("training", training_id)
        if not domain.may_manage(actor, training.organizations):
            raise forbidden("Only a manager of this training may create its sessions.")
        domain.check_session_dates(fields["start_date"], fields["end_date"])
        await curricula.check_exists(db, fields.get("curriculum_id"))
        rules = domain.session_rules(training.model_dump(), fields)
        rules["validators"] = domain.distinct(rules["validators"])
        fields["tutors"] = domain.distinct(fields["tutors"])
        if fields["default_session"]:
            await _clear_default(db, actor, training_id)
        values = {
            "id": uuid.uuid4(),
            "training_id": training_id,
            "organizations": training.organizations,
            "status": "scheduled",
            **first_version(),
            **fields,
            **rules,
        }
        session = await store.insert_row(db, store.sessions, SessionData, values)
        await announce(db, "catalog.session.created", session, actor)
    return session


async def search(
    database: Database,
    listing: Listing,
    *,
    training_id: uuid.UUID | None,
    q: str | None,
    status: str | None,
    starts_after: date | None,
    starts_before: date | None,
) -> Page[SessionData]:
    async with database() as db:
        return await store.list_sessions(
            db,
            listing,
            training_id=training_id,
            pattern=domain.search_pattern(q),
            status=status,
            starts_after=starts_after,
            starts_before=starts_before,
        )


async def get(database: Database, session_id: uuid.UUID) -> SessionData:
    async with database() as db:
        session = await store.row_by_id(db, store.sessions, SessionData, session_id)
    if session is None:
        raise not_found("session", session_id)
    return session


async def update(
    database: Database, actor: Principal, session_id: uuid.UUID, fields: SessionChanges
) -> SessionData:
    if "tutors" in fields:
        fields["tutors"] = domain.distinct(fields["tutors"])
    if "validators" in fields:
        fields["validators"] = domain.distinct(fields["validators"])
    async with transaction(database) as db:
        current = await _locked_with_training(db, session_id)
        if not domain.may_manage(actor, current.organizations):
            raise forbidden("Only a manager of this session's training may change it.")
        domain.check_session_dates(
            fields.get("start_date", current.start_date),
            fields.get("end_date", current.end_date),
        )
        domain.check_registration_window(
            fields.get("registration_opens_at", current.registration_opens_at),
            fields.get("registration_closes_at", current.registration_closes_at),
            fields.get("unregistration_closes_at", current.unregistration_closes_at),
        )
        changed = domain.changes(current.model_dump(), fields)
        if not changed:
            return current
        if "curriculum_id" in changed:
            await curricula.check_exists(db, changed["curriculum_id"])
        if changed.get("default_session"):
            await _clear_default(db, actor, current.training_id)
        session = await change(db, actor, current, changed)
    return session


async def cancel(
    database: Database, actor: Principal, session_id: uuid.UUID, reason: str
) -> SessionData:
    async with transaction(database) as db:
        current = await store.row_by_id(db, store.sessions, SessionData, session_id, lock=True)
        if current is None:
            raise not_found("session", session_id)
        if not domain.may_manage(actor, current.organizations):
            raise forbidden("Only a manager of this session's training may cancel it.")
        if current.status == "cancelled":
            raise conflict("The session is already cancelled.", id=str(session_id))
        changed: SessionChanges = {"status": "cancelled", "cancel_reason": reason}
        session = await store.update_row(
            db, store.sessions, SessionData, session_id, next_version(current, changed)
        )
        await announce(
            db,
            "catalog.session.cancelled",
            session,
            actor,
            previous_status=current.status,
            reason=reason,
        )
    return session


async def delete(database: Database, actor: Principal, session_id: uuid.UUID) -> None:
    async with transaction(database) as db:
        current = await _locked_with_training(db, session_id)
        if not domain.may_manage(actor, current.organizations):
            raise forbidden("Only a manager of this session's training may delete it.")
        for event in await store.events_of_session(db, session_id):
            await events.remove(db, actor, event)
        await store.delete_row(db, store.sessions, session_id)
        await announce(db, "catalog.session.deleted", as_deleted(current), actor)


async def change(
    db: AsyncSession, actor: Principal, current: SessionData, changed: SessionChanges
) -> SessionData:
    """The session's next version, announced; its events follow what they carry of it."""
    session = await store.update_row(
        db, store.sessions, SessionData, current.id, next_version(current, changed)
    )
    await announce(db, "catalog.session.updated", session, actor)
    if domain.SESSION_FIELDS_EVENTS_CARRY.intersection(changed):
        for event in await store.events_of_session(db, session.id):
            await events.change(db, actor, event, {})
    return session


async def _locked_with_training(db: AsyncSession, session_id: uuid.UUID) -> SessionData:
    """The session, locked after its training (the order every use case locks them in)."""
    found = await store.row_by_id(db, store.sessions, SessionData, session_id)
    if found is None:
        raise not_found("session", session_id)
    await store.row_by_id(db, store.trainings, TrainingData, found.training_id, lock=True)
    current = await store.row_by_id(db, store.sessions, SessionData, session_id, lock=True)
    if current is None:
        raise not_found("session", session_id)
    return current


async def _clear_default(db: AsyncSession, actor: Principal, training_id: uuid.UUID) -> None:
    for other in await store.sessions_of_training(db, training_id, default_only=True):
        await change(db, actor, other, {"default_session": False})
