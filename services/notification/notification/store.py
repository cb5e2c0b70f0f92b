"""The queries on notification's tables (`tables`): the only module, with `fact_store`,
`sending_store`, `reminder_store` and `personal_store`, that writes SQL."""

import uuid
from dataclasses import fields
from datetime import datetime

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.domain import ACTIVE
from notification.records import (
    ContactRow,
    ContactValues,
    DeliveryRow,
    DeliverySlice,
    EventRegistrationValues,
    EventRow,
    EventValues,
    InboxRow,
    InboxSlice,
    NewDelivery,
    NewInboxMessage,
    NewSessionMessage,
    PlaceRow,
    RegistrationState,
    RegistrationValues,
    RosterRow,
    SessionMessageRow,
    SessionRow,
    SessionValues,
)
from notification.tables import (
    contacts,
    deliveries,
    event_registrations,
    events,
    messages,
    registrations,
    session_messages,
    sessions,
)
from shared.listing import Listing, page_of

DELIVERIES_CHANNEL = "deliveries"
_PLACE = tuple(event_registrations.c[f.name] for f in fields(PlaceRow))


async def add_message(db: AsyncSession, values: NewInboxMessage) -> bool:
    """False when that delivery key was written before (the same fact, recipient and channel)."""
    stmt = (
        pg_insert(messages)
        .values(values)
        .on_conflict_do_nothing(index_elements=[messages.c.delivery_key])
        .returning(messages.c.id)
    )
    return (await db.execute(stmt)).first() is not None


async def messages_of(
    db: AsyncSession, user_id: str, *, unread_only: bool, limit: int, offset: int
) -> InboxSlice:
    mine = messages.c.user_id == user_id
    shown = mine if not unread_only else mine & messages.c.read_at.is_(None)
    rows = (
        await db.execute(
            select(messages)
            .where(shown)
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).mappings()
    total = (await db.execute(select(func.count()).where(shown))).scalar_one()
    unread = (
        await db.execute(select(func.count()).where(mine & messages.c.read_at.is_(None)))
    ).scalar_one()
    return InboxSlice([InboxRow(**row) for row in rows], total, unread)


async def message_owner(db: AsyncSession, message_id: uuid.UUID) -> str | None:
    query = select(messages.c.user_id).where(messages.c.id == message_id)
    owner: str | None = (await db.execute(query)).scalar_one_or_none()
    return owner


async def mark_read(db: AsyncSession, message_id: uuid.UUID, at: datetime) -> InboxRow:
    """The message after marking it read; reading twice keeps the first time."""
    stmt = (
        update(messages)
        .where(messages.c.id == message_id)
        .values(read_at=func.coalesce(messages.c.read_at, at))
        .returning(messages)
    )
    return InboxRow(**(await db.execute(stmt)).mappings().one())


# --- emails ---------------------------------------------------------------------------------


async def add_delivery(db: AsyncSession, values: NewDelivery) -> bool:
    """A pending email; False when that delivery key was written before. The sender loops hear
    of it through NOTIFY when the transaction commits."""
    stmt = (
        pg_insert(deliveries)
        .values(values)
        .on_conflict_do_nothing(index_elements=[deliveries.c.delivery_key])
        .returning(deliveries.c.id)
    )
    added = (await db.execute(stmt)).first() is not None
    if added:
        await db.execute(select(func.pg_notify(DELIVERIES_CHANNEL, "")))
    return added


async def deliveries_page(
    db: AsyncSession,
    listing: Listing,
    *,
    user_id: str | None,
    status: str | None,
    kind: str | None,
) -> DeliverySlice:
    query = select(deliveries)
    if user_id is not None:
        query = query.where(deliveries.c.user_id == user_id)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if kind is not None:
        query = query.where(deliveries.c.kind == kind)
    rows, total = await page_of(db, query, deliveries, listing)
    return DeliverySlice([DeliveryRow(**row) for row in rows], total)


# --- replicas -------------------------------------------------------------------------------


async def session_by_id(
    db: AsyncSession, session_id: uuid.UUID, *, lock: bool = False
) -> SessionRow | None:
    query = select(sessions).where(sessions.c.id == session_id)
    if lock:
        query = query.with_for_update()
    row = (await db.execute(query)).mappings().first()
    return SessionRow(**row) if row is not None else None


async def save_session(db: AsyncSession, values: SessionValues) -> None:
    """Insert or replace the session, unless we already hold this version or a newer one."""
    stmt = pg_insert(sessions).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[sessions.c.id],
        set_={**{k: stmt.excluded[k] for k in values if k != "id"}, "replicated_at": func.now()},
        where=sessions.c.version < stmt.excluded.version,
    )
    await db.execute(stmt)


async def event_by_id(db: AsyncSession, event_id: uuid.UUID) -> EventRow | None:
    row = (await db.execute(select(events).where(events.c.id == event_id))).mappings().first()
    return EventRow(**row) if row is not None else None


async def save_event(db: AsyncSession, values: EventValues) -> None:
    stmt = pg_insert(events).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[events.c.id],
        set_={**{k: stmt.excluded[k] for k in values if k != "id"}, "replicated_at": func.now()},
        where=events.c.version < stmt.excluded.version,
    )
    await db.execute(stmt)


async def registration_state(
    db: AsyncSession, registration_id: uuid.UUID
) -> RegistrationState | None:
    """The version and status we hold. Events of one registration are handled one at a time
    (a transaction lock on its id, taken even before its first row exists), so two of them
    handled at once by consumers or replicas cannot both take themselves for the newest."""
    await db.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(str(registration_id), 0)))
    )
    query = select(registrations.c.version, registrations.c.status).where(
        registrations.c.id == registration_id
    )
    row = (await db.execute(query)).first()
    return None if row is None else RegistrationState(int(row[0]), str(row[1]))


async def save_registration(db: AsyncSession, values: RegistrationValues) -> None:
    """The roster entry, replaced only by a newer version (a stale event changes nothing)."""
    stmt = pg_insert(registrations).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[registrations.c.id],
        set_={**{k: stmt.excluded[k] for k in values if k != "id"}, "replicated_at": func.now()},
        where=registrations.c.version < stmt.excluded.version,
    )
    await db.execute(stmt)


async def save_contact(db: AsyncSession, values: ContactValues) -> None:
    """A user's email, name and locale, as the most recent registration change gave them."""
    stmt = pg_insert(contacts).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[contacts.c.user_id],
        set_={k: stmt.excluded[k] for k in values if k != "user_id"},
        where=contacts.c.as_of <= stmt.excluded.as_of,
    )
    await db.execute(stmt)


async def contacts_of(db: AsyncSession, user_ids: list[str]) -> dict[str, ContactRow]:
    if not user_ids:
        return {}
    rows = await db.execute(select(contacts).where(contacts.c.user_id.in_(user_ids)))
    return {row["user_id"]: ContactRow(**row) for row in rows.mappings()}


async def roster(
    db: AsyncSession, session_id: uuid.UUID, statuses: tuple[str, ...] | None = None
) -> list[RosterRow]:
    query = select(registrations).where(registrations.c.session_id == session_id)
    if statuses is not None:
        query = query.where(registrations.c.status.in_(statuses))
    rows = await db.execute(query.order_by(registrations.c.user_id, registrations.c.id))
    return [RosterRow(**row) for row in rows.mappings()]


# --- learners' places at events: who is told when an event changes or leaves a calendar ----


async def hold_event(db: AsyncSession, event_id: uuid.UUID, *, exclusive: bool) -> None:
    """A transaction lock on the event's id (taken even before its replica exists): a change of
    the event (exclusive) waits for the event registration facts being handled (shared), so it
    tells every learner whose invitation carried its old times."""
    key = func.hashtextextended(f"event:{event_id}", 0)
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    await db.execute(select(lock(key)))


async def place_by_id(db: AsyncSession, event_registration_id: uuid.UUID) -> PlaceRow | None:
    query = select(*_PLACE).where(event_registrations.c.id == event_registration_id)
    row = (await db.execute(query)).mappings().first()
    return PlaceRow(**row) if row is not None else None


async def save_place(db: AsyncSession, values: EventRegistrationValues) -> None:
    """An event registration, replaced only by a newer version."""
    stmt = pg_insert(event_registrations).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[event_registrations.c.id],
        set_={**{k: stmt.excluded[k] for k in values if k != "id"}, "replicated_at": func.now()},
        where=event_registrations.c.version < stmt.excluded.version,
    )
    await db.execute(stmt)


async def places_at_event(db: AsyncSession, event_id: uuid.UUID) -> list[PlaceRow]:
    """The event's `registered` places, but those of learners whose session registration has
    ended as the roster holds it (registration's event_registration.cancelled may not be here
    yet: they no longer have the event)."""
    places = event_registrations.c
    same = (registrations.c.session_id == places.session_id) & (
        registrations.c.user_id == places.user_id
    )
    on_roster = select(registrations.c.id).where(same).exists()
    active = select(registrations.c.id).where(same, registrations.c.status.in_(ACTIVE)).exists()
    query = (
        select(*_PLACE)
        .where(places.event_id == event_id, places.status == "registered", active | ~on_roster)
        .order_by(places.user_id, places.id)
    )
    return [PlaceRow(**row) for row in (await db.execute(query)).mappings()]


async def places_in_session(
    db: AsyncSession, session_id: uuid.UUID, user_id: str | None = None
) -> list[PlaceRow]:
    """The `registered` places at the session's events (of one learner, if given)."""
    places = event_registrations.c
    query = select(*_PLACE).where(places.session_id == session_id, places.status == "registered")
    if user_id is not None:
        query = query.where(places.user_id == user_id)
    rows = await db.execute(query.order_by(places.user_id, places.event_id, places.id))
    return [PlaceRow(**row) for row in rows.mappings()]


async def events_by_ids(db: AsyncSession, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, EventRow]:
    if not event_ids:
        return {}
    rows = await db.execute(select(events).where(events.c.id.in_(event_ids)))
    return {row["id"]: EventRow(**row) for row in rows.mappings()}


# --- managers' messages ---------------------------------------------------------------------


async def add_session_message(db: AsyncSession, values: NewSessionMessage) -> SessionMessageRow:
    row = await db.execute(session_messages.insert().values(values).returning(session_messages))
    return SessionMessageRow(**row.mappings().one())


async def session_message(db: AsyncSession, message_id: uuid.UUID) -> SessionMessageRow | None:
    query = select(session_messages).where(session_messages.c.id == message_id)
    row = (await db.execute(query)).mappings().first()
    return SessionMessageRow(**row) if row is not None else None


async def session_message_counts(
    db: AsyncSession, message_id: uuid.UUID
) -> tuple[int, dict[str, int]]:
    """Inbox messages written for it, and its emails by status."""
    internal = (
        await db.execute(select(func.count()).where(messages.c.session_message_id == message_id))
    ).scalar_one()
    by_status = await db.execute(
        select(deliveries.c.status, func.count())
        .where(deliveries.c.session_message_id == message_id)
        .group_by(deliveries.c.status)
    )
    return int(internal), {status: int(count) for status, count in by_status.all()}
