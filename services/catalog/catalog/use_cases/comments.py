"""Comments on an event (séance): written by its session's managers and tutors, read by every
signed-in user. They publish nothing (docs/catalog.md)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from catalog import domain, store
from catalog.domain import Comment
from catalog.use_cases import Database
from catalog.use_cases.versions import first_version, next_version
from shared.auth import Principal
from shared.db import transaction
from shared.events import EventData
from shared.listing import Listing, Page
from shared.refusals import forbidden, not_found


async def of_event(database: Database, event_id: uuid.UUID, listing: Listing) -> Page[Comment]:
    async with database() as db:
        if await store.event_by_id(db, event_id) is None:
            raise not_found("event", event_id)
        return await store.list_comments(db, event_id, listing)


async def create(database: Database, actor: Principal, event_id: uuid.UUID, body: str) -> Comment:
    async with transaction(database) as db:
        event = await store.event_by_id(db, event_id, lock=True)
        if event is None:
            raise not_found("event", event_id)
        if not domain.may_write_events(actor, event.organizations, event.tutors):
            raise forbidden("Only a manager or a tutor of this event's session may comment.")
        comment = await store.insert_row(
            db,
            store.comments,
            Comment,
            {
                "id": uuid.uuid4(),
                "event_id": event_id,
                "author_id": actor.sub,
                "author_name": actor.name or actor.sub,
                "body": body,
                **first_version(),
            },
        )
    return comment


async def update(database: Database, actor: Principal, comment_id: uuid.UUID, body: str) -> Comment:
    async with transaction(database) as db:
        current, event = await _with_event(db, comment_id)
        if not domain.may_write_events(actor, event.organizations, event.tutors):
            raise forbidden("Only a manager or tutor of the session may change its comments.")
        if current.body == body:
            return current
        comment = await store.update_row(
            db, store.comments, Comment, comment_id, next_version(current, {"body": body})
        )
    return comment


async def delete(database: Database, actor: Principal, comment_id: uuid.UUID) -> None:
    async with transaction(database) as db:
        _comment, event = await _with_event(db, comment_id)
        if not domain.may_write_events(actor, event.organizations, event.tutors):
            raise forbidden("Only a manager or tutor of the session may delete its comments.")
        await store.delete_row(db, store.comments, comment_id)


async def _with_event(db: AsyncSession, comment_id: uuid.UUID) -> tuple[Comment, EventData]:
    current = await store.row_by_id(db, store.comments, Comment, comment_id, lock=True)
    if current is None:
        raise not_found("comment", comment_id)
    event = await store.event_by_id(db, current.event_id)
    assert event is not None  # an event's comments go with it
    return current, event
