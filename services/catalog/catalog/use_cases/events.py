"""Events (séances) of a session: create, read, change, delete with their comments. Each event
carries its session's training, organizations and tutors."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from catalog import domain, store
from catalog.fields import EventChanges
from catalog.use_cases import Database
from catalog.use_cases.versions import announce, as_deleted, first_version, next_version
from shared.auth import Principal
from shared.db import transaction
from shared.events import EventData, SessionData
from shared.listing import Listing, Page
from shared.refusals import conflict, forbidden, not_found


async def create(
    database: Database, actor: Principal, session_id: uuid.UUID, fields: EventChanges
) -> EventData:
    async with transaction(database) as db:
        session = await store.row_by_id(db, store.sessions, SessionData, session_id, lock=True)
        if session is None:
            raise not_found("session", session_id)
        if not domain.may_write_events(actor, session.organizations, session.tutors):
            raise forbidden("Only a manager or a tutor of this session may add its events.")
        if session.status == "cancelled":
            raise conflict("The session is cancelled.", id=str(session_id))
        domain.check_event_times(fields["start"], fields["end"])
        fields.setdefault("registration_mode", session.event_registration_mode)
        values = {"id": uuid.uuid4(), "session_id": session_id, **first_version(), **fields}
        event = await store.insert_event(db, values)
        await announce(db, "catalog.event.created", event, actor)
    return event


async def of_session(
    database: Database, session_id: uuid.UUID, listing: Listing
) -> Page[EventData]:
    async with database() as db:
        if await store.row_by_id(db, store.sessions, SessionData, session_id) is None:
            raise not_found("session", session_id)
        return await store.list_events(db, session_id, listing)


async def get(database: Database, event_id: uuid.UUID) -> EventData:
    async with database() as db:
        event = await store.event_by_id(db, event_id)
    if event is None:
        raise not_found("event", event_id)
    return event


async def update(
    database: Database, actor: Principal, event_id: uuid.UUID, fields: EventChanges
) -> EventData:
    async with transaction(database) as db:
        current = await _writable(db, actor, event_id)
        domain.check_event_times(fields.get("start", current.start), fields.get("end", current.end))
        changed = domain.changes(current.model_dump(), fields)
        if not changed:
            return current
        event = await change(db, actor, current, changed)
    return event


async def delete(database: Database, actor: Principal, event_id: uuid.UUID) -> None:
    async with transaction(database) as db:
        current = await _writable(db, actor, event_id)
        await remove(db, actor, current)


async def change(
    db: AsyncSession, actor: Principal, current: EventData, changed: EventChanges
) -> EventData:
    """`changed` may be empty: the event changes because its session's tutors or
    organizations, which it carries, did."""
    event = await store.update_event(db, current.id, next_version(current, changed))
    await announce(db, "catalog.event.updated", event, actor)
    return event


async def remove(db: AsyncSession, actor: Principal, current: EventData) -> None:
    """The event and its comments, announced as deleted."""
    await store.delete_comments_of_event(db, current.id)
    await store.delete_row(db, store.events, current.id)
    await announce(db, "catalog.event.deleted", as_deleted(current), actor)


async def _writable(db: AsyncSession, actor: Principal, event_id: uuid.UUID) -> EventData:
    current = await store.event_by_id(db, event_id, lock=True)
    if current is None:
        raise not_found("event", event_id)
    if not domain.may_write_events(actor, current.organizations, current.tutors):
        raise forbidden("Only a manager or a tutor of this event's session may change it.")
    return current
