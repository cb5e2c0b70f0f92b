"""The queries on notification's tables (`tables`): the only module, with `reminder_store` and
`personal_store`, that writes SQL."""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy import (
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from notification.domain import ACTIVE
from notification.records import (
    AttemptOutcome,
    ContactRow,
    ContactValues,
    DeliveryRow,
    DeliverySlice,
    EventRegistrationValues,
    EventRow,
    EventValues,
    InboxRow,
    InboxSlice,
    LeasedDelivery,
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
from shared.db import driver_connection
from shared.listing import Listing, page_of

DELIVERIES_CHANNEL = "deliveries"
_PLACE = tuple(event_registrations.c[f.name] for f in fields(PlaceRow))
LEASED_COLUMNS = tuple(f.name for f in fields(LeasedDelivery))


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


@dataclass(frozen=True)
class Claim:
    """Due emails one sender claimed at once: each is its own while `until` is still on its row
    (`next_attempt_at`). A claim made later of the same row has a later `until`, as it is made
    once this one's has passed (the database's clock, not the claimant's)."""

    until: datetime
    deliveries: list[LeasedDelivery]


async def claim_due_deliveries(
    db: AsyncConnection | AsyncSession, limit: int, window: timedelta
) -> Claim | None:
    """The oldest due pending emails, claimed for `window` (None when none is due): not due for
    anyone else until then (replicas skip the rows locked while this runs, and see them claimed
    after); due again for all once the window has passed, unless taken to be sent. One
    statement (locking and claiming the rows at once), executed by the driver as the sender's
    takes are."""
    driver = await driver_connection(db)
    rows = await driver.fetch(_CLAIM, limit, window)
    if not rows:
        return None
    rows = sorted(rows, key=lambda row: (row["due_at"], row["id"]))  # the oldest first
    claimed = [LeasedDelivery(*(row[name] for name in LEASED_COLUMNS)) for row in rows]
    return Claim(rows[0]["until"], claimed)  # now(): the same on every row


_CLAIM = """\
WITH due AS (
    SELECT id, next_attempt_at FROM deliveries
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT $1::integer
    FOR UPDATE SKIP LOCKED
)
UPDATE deliveries SET next_attempt_at = now() + $2::interval
FROM due WHERE deliveries.id = due.id
RETURNING due.next_attempt_at AS due_at, deliveries.next_attempt_at AS until,
    deliveries.id, recipient, kind, subject, text_body, html_body, calendar, attempts, user_id,
    category, traceparent, tracestate"""


async def take_claimed(
    db: AsyncSession, claim: Claim, delivery: LeasedDelivery, lease: timedelta
) -> bool:
    """The claimed email made the claimant's for `lease`, to be sent now; False when the claim is
    no longer on its row (its window passed and another sender claimed it: it is theirs)."""
    stmt = (
        update(deliveries)
        .where(
            deliveries.c.id == delivery.id,
            deliveries.c.status == "pending",
            deliveries.c.attempts == delivery.attempts,
            deliveries.c.next_attempt_at == claim.until,
        )
        .values(next_attempt_at=func.now() + lease)
        .returning(deliveries.c.id)
    )
    return (await db.execute(stmt)).first() is not None


async def record_and_take(
    driver: asyncpg.Connection,
    done: tuple[uuid.UUID, AttemptOutcome, int] | None,
    claim: Claim,
    delivery: LeasedDelivery,
    lease: timedelta,
) -> bool:
    """`record_attempt` of the email `done` (id, outcome, attempts before), if any, and
    `take_claimed` of `delivery`, in one statement: both or neither, in one round trip.
    `driver` is the asyncpg connection of the sender's round (`driver_connection`, taken once
    a round), in autocommit: the statement is its own transaction. Executed by the driver (a
    prepared statement, the same for every email): a sender runs one per email, and
    SQLAlchemy's execution cost three times the round trip (docs/performance.md, issue 18)."""
    return (
        await _record_and_take(driver, done, delivery.id, delivery.attempts, claim.until, lease)
        is not None
    )


async def record_last(
    driver: asyncpg.Connection, done: tuple[uuid.UUID, AttemptOutcome, int]
) -> None:
    """`record_attempt` as `record_and_take` writes it, nothing taken: a round's last outcome."""
    await _record_and_take(driver, done, None, None, None, None)


async def _record_and_take(
    driver: asyncpg.Connection,
    done: tuple[uuid.UUID, AttemptOutcome, int] | None,
    *take: object,
) -> object:
    if done is None:
        return await driver.fetchrow(_RECORD_AND_TAKE, *take, None, 0, None, None, None, None)
    done_id, values, attempts_before = done
    return await driver.fetchrow(
        _RECORD_AND_TAKE,
        *take,
        done_id,
        attempts_before,
        values["status"],
        values["last_error"],
        values.get("sent_at"),
        values.get("next_attempt_at"),
    )


# The outcome's columns as `record_attempt` writes them: `sent_at` when accepted, the retry time
# when not (a pending row was never sent: keeping either as it is, is leaving it unset). No
# outcome: `$5` is NULL and the first update matches no row; nothing to take: `$1` is NULL and
# the second matches none.
_RECORD_AND_TAKE = """\
WITH recorded AS (
    UPDATE deliveries SET
        status = $7::varchar,
        last_error = $8::text,
        sent_at = COALESCE($9::timestamptz, sent_at),
        next_attempt_at = COALESCE($10::timestamptz, next_attempt_at),
        attempts = attempts + 1,
        updated_at = now()
    WHERE id = $5::uuid AND attempts = $6::integer
    RETURNING id
)
UPDATE deliveries SET next_attempt_at = now() + $4::interval
WHERE id = $1::uuid AND status = 'pending' AND attempts = $2::integer
    AND next_attempt_at = $3::timestamptz
RETURNING id"""


async def release_deliveries(db: AsyncSession, claimed: list[tuple[uuid.UUID, datetime]]) -> None:
    """Claimed emails (id, the claim's `until`) this sender will not try after all: due again
    now, those still claimed by it."""
    await db.execute(
        update(deliveries)
        .where(
            tuple_(deliveries.c.id, deliveries.c.next_attempt_at).in_(claimed),
            deliveries.c.status == "pending",
        )
        .values(next_attempt_at=func.now())
    )


async def next_due_in(db: AsyncSession) -> float | None:
    """Seconds until the next pending email is due (0 if one is due now), None if none."""
    query = select(
        func.extract("epoch", func.min(deliveries.c.next_attempt_at) - func.now())
    ).where(deliveries.c.status == "pending")
    value = (await db.execute(query)).scalar_one_or_none()
    return None if value is None else max(0.0, float(value))


async def record_attempt(
    db: AsyncSession | AsyncConnection,
    delivery_id: uuid.UUID,
    values: AttemptOutcome,
    *,
    attempts_before: int,
) -> bool:
    """The outcome of the attempt made when the row had `attempts_before` attempts; False when
    that attempt is already written (a commit whose answer was lost may have happened)."""
    stmt = (
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.attempts == attempts_before)
        .values(**values, attempts=deliveries.c.attempts + 1, updated_at=func.now())
        .returning(deliveries.c.id)
    )
    return (await db.execute(stmt)).first() is not None


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
