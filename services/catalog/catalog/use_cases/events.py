"""Events (séances) of a session: create, read, change, delete with their comments. Each event
carries its session's training, organizations and tutors."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog import domain, store
from catalog.use_cases import Database
from catalog.use_cases.versions import announce, as_deleted, first_version, next_version
from shared.auth import Principal
from shared.db import transaction
from shared.events import EventData
from shared.listing import Listing, Page
from shared.problems import conflict, forbidden, invalid, not_found


async def create(
    database: Database, actor: Principal, session_id: uuid.UUID, fields: dict[str, Any]
) -> EventData:
    async with transaction(database) as db:
        session = await store.row_by_id(db, store.sessions, session_id, lock=True)
        if session is None:
            raise not_found("session", session_id)
        if not domain.may_write_events(actor, session["organizations"], session["tutors"]):
            raise forbidden("Only a manager or a tutor of this session may add its events.")
        if session["status"] == "cancelled":
            raise conflict("The session is cancelled.", id=str(session_id))
        try:
            domain.check_event_times(fields["start"], fields["end"])
        except domain.CatalogRuleError as exc:
            raise invalid(exc.loc, exc.msg) from exc
        fields.setdefault("registration_mode", session["event_registration_mode"])
        values = {"id": uuid.uuid4(), "session_id": session_id, **first_version(), **fields}
        row = await store.insert_row(db, store.events, values)
        event = _with_session(row, session)
        await announce(db, "catalog.event.created", event, actor)
    return event


async def of_session(
    database: Database, session_id: uuid.UUID, listing: Listing
) -> Page[EventData]:
    async with database() as db:
        if await store.row_by_id(db, store.sessions, session_id) is None:
            raise not_found("session", session_id)
        rows, total = await store.list_events(db, session_id, listing)
    return Page(items=[EventData.model_validate(r) for r in rows], total=total)


async def get(database: Database, event_id: uuid.UUID) -> EventData:
    async with database() as db:
        row = await store.event_by_id(db, event_id)
    if row is None:
        raise not_found("event", event_id)
    return EventData.model_validate(row)


async def update(
    database: Database, actor: Principal, event_id: uuid.UUID, fields: dict[str, Any]
) -> EventData:
    async with transaction(database) as db:
        current = await _writable(db, actor, event_id)
        try:
            domain.check_event_times(
                fields.get("start", current["start"]), fields.get("end", current["end"])
            )
        except domain.CatalogRuleError as exc:
            raise invalid(exc.loc, exc.msg) from exc
        changed = domain.changes(current, fields)
        if not changed:
            return EventData.model_validate(current)
        event = await change(db, actor, current, changed)
    return event


async def delete(database: Database, actor: Principal, event_id: uuid.UUID) -> None:
    async with transaction(database) as db:
        current = await _writable(db, actor, event_id)
        await remove(db, actor, current)


async def change(
    db: AsyncSession, actor: Principal, current: dict[str, Any], changed: dict[str, Any]
) -> EventData:
    """`changed` may be empty: the event changes because its session's tutors or
    organizations, which it carries, did."""
    row = await store.update_row(db, store.events, current["id"], next_version(current, changed))
    session = await store.row_by_id(db, store.sessions, row["session_id"])
    assert session is not None
    event = _with_session(row, session)
    await announce(db, "catalog.event.updated", event, actor)
    return event


async def remove(db: AsyncSession, actor: Principal, current: dict[str, Any]) -> None:
    """The event and its comments, announced as deleted."""
    await store.delete_comments_of_event(db, current["id"])
    await store.delete_row(db, store.events, current["id"])
    gone = EventData.model_validate(as_deleted(current))
    await announce(db, "catalog.event.deleted", gone, actor)


def _with_session(row: dict[str, Any], session: dict[str, Any]) -> EventData:
    return EventData.model_validate(
        {
            **row,
            "training_id": session["training_id"],
            "organizations": session["organizations"],
            "tutors": session["tutors"],
        }
    )


async def _writable(db: AsyncSession, actor: Principal, event_id: uuid.UUID) -> dict[str, Any]:
    current = await store.event_by_id(db, event_id, lock=True)
    if current is None:
        raise not_found("event", event_id)
    if not domain.may_write_events(actor, current["organizations"], current["tutors"]):
        raise forbidden("Only a manager or a tutor of this event's session may change it.")
    return current
