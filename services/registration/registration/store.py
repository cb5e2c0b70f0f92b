"""The queries on registration's tables (`registration.tables`): the only module that writes SQL.

`sessions` is this service's replica of the catalog's sessions (the rules it needs, ordered by
`version`) plus the seat counters it owns; the row is locked (`SELECT ... FOR UPDATE`) for every
decision about its registrations, so replicas take turns on one session and never oversell.
"""

import typing
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Table,
    Text,
    cast,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from registration.domain import ACTIVE, Seats
from registration.records import (
    CurriculumRow,
    EventRegistrationRow,
    EventRow,
    RegistrationRow,
    SessionRow,
    SessionSeatsRow,
)
from registration.tables import curricula as curricula
from registration.tables import event_registrations as event_registrations
from registration.tables import events as events
from registration.tables import idempotency_keys as idempotency_keys
from registration.tables import inbox as inbox
from registration.tables import metadata as metadata
from registration.tables import outbox as outbox
from registration.tables import registrations as registrations
from registration.tables import sessions as sessions
from shared.events import CloudEvent, SessionData, SessionRules
from shared.listing import Listing, page_of
from shared.messaging import (
    COMMANDS_EXCHANGE,
    EVENTS_EXCHANGE,
    OutboxEntry,
    add_all_to_outbox,
    add_to_outbox,
)

ACTIVE_STATUSES = sorted(ACTIVE)
RULE_NAMES = set(SessionRules.model_fields)
_active = registrations.c.status.in_(ACTIVE_STATUSES)


# --- sessions (the replica and its seats) ------------------------------------------------------


def session_values(session: SessionData, status: str) -> dict[str, Any]:
    return {
        "id": session.id,
        "training_id": session.training_id,
        "version": session.version,
        "status": status,
        "organizations": session.organizations,
        "tutors": session.tutors,
        "max_users": session.max_users,
        "rules": session.model_dump(mode="json", include=RULE_NAMES),
        "default_session": session.default_session,
    }


async def insert_session_if_new(db: AsyncSession, values: dict[str, Any]) -> bool:
    """True when this is the first the replica hears of the session."""
    stmt = pg_insert(sessions).values(values).on_conflict_do_nothing().returning(sessions.c.id)
    return (await db.execute(stmt)).first() is not None


async def update_session(db: AsyncSession, session_id: uuid.UUID, values: dict[str, Any]) -> None:
    await db.execute(update(sessions).where(sessions.c.id == session_id).values(values))


async def lock_session(db: AsyncSession, session_id: uuid.UUID) -> SessionRow | None:
    query = select(sessions).where(sessions.c.id == session_id).with_for_update()
    row = (await db.execute(query)).mappings().first()
    return typing.cast(SessionRow, dict(row)) if row else None


async def lock_sessions(db: AsyncSession, session_ids: Sequence[uuid.UUID]) -> list[SessionRow]:
    """Several session rows, locked in id order (every caller does so: no deadlock)."""
    query = (
        select(sessions)
        .where(sessions.c.id.in_(session_ids))
        .order_by(sessions.c.id)
        .with_for_update()
    )
    return typing.cast(
        list[SessionRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )


async def session_by_id(db: AsyncSession, session_id: uuid.UUID) -> SessionRow | None:
    row = (await db.execute(select(sessions).where(sessions.c.id == session_id))).mappings().first()
    return typing.cast(SessionRow, dict(row)) if row else None


def seats_of(session: SessionRow | EventRow) -> Seats:
    return Seats(
        session["max_users"], session["taken"], session["waitlisted"], session["beyond_limit"]
    )


async def set_seats(db: AsyncSession, session_id: uuid.UUID, seats: Seats) -> None:
    await db.execute(
        update(sessions)
        .where(sessions.c.id == session_id)
        .values(
            max_users=seats.max_users,
            taken=seats.taken,
            waitlisted=seats.waitlisted,
            beyond_limit=seats.beyond_limit,
        )
    )


async def seats_for(db: AsyncSession, session_ids: Sequence[uuid.UUID]) -> list[SessionSeatsRow]:
    query = select(
        sessions.c.id, sessions.c.max_users, sessions.c.taken, sessions.c.waitlisted
    ).where(sessions.c.id.in_(session_ids), sessions.c.status != "deleted")
    return typing.cast(
        list[SessionSeatsRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )


async def lock_sessions_with_due_requests(
    db: AsyncSession, now: datetime, limit: int
) -> list[SessionRow]:
    """Sessions with an expired request, locked; those another replica holds are skipped."""
    due = exists().where(
        registrations.c.session_id == sessions.c.id,
        registrations.c.expires_at <= now,
        _active,
    )
    query = (
        select(sessions)
        .where(due)
        .order_by(sessions.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return typing.cast(
        list[SessionRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )


# --- registrations -----------------------------------------------------------------------------


async def active_registration_id(
    db: AsyncSession, session_id: uuid.UUID, user_id: str
) -> uuid.UUID | None:
    query = select(registrations.c.id).where(
        registrations.c.session_id == session_id, registrations.c.user_id == user_id, _active
    )
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def active_registration_ids(
    db: AsyncSession, session_id: uuid.UUID, user_ids: Sequence[str]
) -> dict[str, uuid.UUID]:
    """user id → their active registration in the session, for those who have one."""
    query = select(registrations.c.user_id, registrations.c.id).where(
        registrations.c.session_id == session_id,
        registrations.c.user_id.in_(list(user_ids)),
        _active,
    )
    return {row.user_id: row.id for row in await db.execute(query)}


async def insert_registrations(db: AsyncSession, rows: Sequence[RegistrationRow]) -> None:
    """Many new registrations at once (a batch's admissions); one compiled statement, cached."""
    if rows:
        await db.execute(insert(registrations), list(rows))


async def latest_registration(
    db: AsyncSession, session_id: uuid.UUID, user_id: str
) -> RegistrationRow | None:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, registrations.c.user_id == user_id)
        .order_by(registrations.c.created_at.desc())
        .limit(1)
    )
    row = (await db.execute(query)).mappings().first()
    return typing.cast(RegistrationRow, dict(row)) if row else None


async def insert_registration(db: AsyncSession, values: RegistrationRow) -> RegistrationRow:
    query = insert(registrations).values(values).returning(registrations)
    return typing.cast(RegistrationRow, dict((await db.execute(query)).mappings().one()))


async def registration_by_id(db: AsyncSession, reg_id: uuid.UUID) -> RegistrationRow | None:
    query = select(registrations).where(registrations.c.id == reg_id)
    row = (await db.execute(query)).mappings().first()
    return typing.cast(RegistrationRow, dict(row)) if row else None


async def update_registration(
    db: AsyncSession, reg_id: uuid.UUID, values: dict[str, Any]
) -> RegistrationRow:
    query = (
        update(registrations)
        .where(registrations.c.id == reg_id)
        .values(values)
        .returning(registrations)
    )
    return typing.cast(RegistrationRow, dict((await db.execute(query)).mappings().one()))


async def head_of_line(
    db: AsyncSession, session_id: uuid.UUID, count: int
) -> list[RegistrationRow]:
    rows = await _head_of_line(db, registrations.c.session_id, session_id, count)
    return typing.cast(list[RegistrationRow], rows)


async def move_line_up(
    db: AsyncSession, session_id: uuid.UUID, behind: int, by: int, now: datetime
) -> None:
    """Everyone waiting behind position `behind` moves up `by` places (a new version each)."""
    await _move_line_up(db, registrations.c.session_id, session_id, behind, by, now)


async def _head_of_line(
    db: AsyncSession, line: Column[uuid.UUID], of: uuid.UUID, count: int
) -> list[dict[str, Any]]:
    """The first `count` waiting in the line of `of` (a session, or an event): `line` is the
    column of the registrations' table that names whose line they stand in."""
    table = line.table
    query = (
        select(table)
        .where(line == of, table.c.status == "waitlisted")
        .order_by(table.c.waitlist_position)
        .limit(count)
    )
    return [dict(row) for row in (await db.execute(query)).mappings()]


async def _move_line_up(
    db: AsyncSession,
    line: Column[uuid.UUID],
    of: uuid.UUID,
    behind: int,
    by: int,
    now: datetime,
) -> None:
    table = line.table
    await db.execute(
        update(table)
        .where(line == of, table.c.status == "waitlisted", table.c.waitlist_position > behind)
        .values(
            waitlist_position=table.c.waitlist_position - by,
            version=table.c.version + 1,
            updated_at=now,
        )
    )


async def active_registrations(db: AsyncSession, session_id: uuid.UUID) -> list[RegistrationRow]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, _active)
        .order_by(registrations.c.created_at, registrations.c.id)
    )
    return typing.cast(
        list[RegistrationRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )


async def due_registrations(
    db: AsyncSession, session_id: uuid.UUID, now: datetime
) -> list[RegistrationRow]:
    query = (
        select(registrations)
        .where(
            registrations.c.session_id == session_id,
            registrations.c.expires_at <= now,
            _active,
        )
        .order_by(registrations.c.expires_at, registrations.c.id)
    )
    return typing.cast(
        list[RegistrationRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )


async def session_registrations(db: AsyncSession, session_id: uuid.UUID) -> list[RegistrationRow]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id)
        .order_by(registrations.c.created_at, registrations.c.id)
    )
    return typing.cast(
        list[RegistrationRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )


def _texts(values: Sequence[str]) -> Any:
    return cast(pg_array(list(values)), ARRAY(Text))


async def list_registrations(
    db: AsyncSession,
    listing: Listing,
    *,
    filters: dict[str, Any],
    visible_to: dict[str, Any] | None,
) -> tuple[list[RegistrationRow], int]:
    """`visible_to` None: every registration (platform_admin); otherwise the caller's `sub`,
    `organizations` when a training_manager, and `managed_organizations` say what they see."""
    query = select(registrations).select_from(
        registrations.join(sessions, sessions.c.id == registrations.c.session_id)
    )
    for name in ("session_id", "user_id", "status"):
        if filters.get(name) is not None:
            query = query.where(registrations.c[name] == filters[name])
    if visible_to is not None:
        sub = visible_to["sub"]
        may: list[Any] = [
            registrations.c.user_id == sub,
            func.jsonb_exists(cast(sessions.c.tutors, JSONB), sub),
            func.jsonb_exists(cast(sessions.c.rules, JSONB)["validators"], sub),
        ]
        if visible_to["organizations"]:
            may.append(
                func.jsonb_exists_any(
                    cast(sessions.c.organizations, JSONB), _texts(visible_to["organizations"])
                )
            )
        if visible_to["managed_organizations"]:
            may.append(
                func.jsonb_exists_any(
                    cast(registrations.c.user, JSONB)["organizations"],
                    _texts(visible_to["managed_organizations"]),
                )
            )
        query = query.where(or_(*may))
    rows, total = await page_of(db, query, registrations, listing)
    return typing.cast(list[RegistrationRow], rows), total


# --- what leaves through the outbox ------------------------------------------------------------


async def record_event(db: AsyncSession, event: CloudEvent) -> None:
    """The event leaves on `training.events` once this transaction commits."""
    await add_to_outbox(
        db, outbox, event.to_message(), exchange=EVENTS_EXCHANGE, routing_key=event.type
    )


async def record_all(
    db: AsyncSession, events: Sequence[CloudEvent], commands: Sequence[CloudEvent] = ()
) -> None:
    """`record_event` and `record_command` for a whole batch, in two statements."""
    entries: list[OutboxEntry] = [
        (event.to_message(), EVENTS_EXCHANGE.name, event.type) for event in events
    ]
    entries += [(c.to_message(), COMMANDS_EXCHANGE.name, c.type) for c in commands]
    await add_all_to_outbox(db, outbox, entries)


async def forget_commands(db: AsyncSession, consumer: str, event_ids: Sequence[str]) -> None:
    """Undo `first_deliveries` for commands that were refused after all."""
    await db.execute(
        delete(inbox).where(inbox.c.consumer == consumer, inbox.c.event_id.in_(list(event_ids)))
    )


async def record_command(db: AsyncSession, command: CloudEvent) -> None:
    """The command leaves on `training.commands` once this transaction commits."""
    await add_to_outbox(
        db, outbox, command.to_message(), exchange=COMMANDS_EXCHANGE, routing_key=command.type
    )


# --- events (séances): the replica, its seats and its registrations ----------------------------

_event_active = event_registrations.c.status.in_(("registered", "waitlisted"))


async def insert_replica_if_new(db: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """True when this is the first the replica hears of the resource."""
    stmt = pg_insert(table).values(values).on_conflict_do_nothing().returning(table.c.id)
    return (await db.execute(stmt)).first() is not None


async def lock_replica(db: AsyncSession, table: Table, ident: uuid.UUID) -> dict[str, Any] | None:
    query = select(table).where(table.c.id == ident).with_for_update()
    row = (await db.execute(query)).mappings().first()
    return dict(row) if row else None


async def lock_event(db: AsyncSession, ident: uuid.UUID) -> EventRow | None:
    return typing.cast(EventRow | None, await lock_replica(db, events, ident))


async def lock_curriculum(db: AsyncSession, ident: uuid.UUID) -> CurriculumRow | None:
    return typing.cast(CurriculumRow | None, await lock_replica(db, curricula, ident))


async def update_replica(
    db: AsyncSession, table: Table, ident: uuid.UUID, values: dict[str, Any]
) -> None:
    await db.execute(update(table).where(table.c.id == ident).values(values))


async def event_by_id(db: AsyncSession, event_id: uuid.UUID) -> EventRow | None:
    row = (await db.execute(select(events).where(events.c.id == event_id))).mappings().first()
    return typing.cast(EventRow, dict(row)) if row else None


async def lock_auto_events(
    db: AsyncSession, session_id: uuid.UUID, now: datetime
) -> list[EventRow]:
    """The session's `auto` events that have not ended, locked in id order."""
    query = (
        select(events)
        .where(
            events.c.session_id == session_id,
            events.c.status == "active",
            events.c.registration_mode == "auto",
            events.c.end > now,
        )
        .order_by(events.c.id)
        .with_for_update()
    )
    return typing.cast(list[EventRow], [dict(row) for row in (await db.execute(query)).mappings()])


async def set_event_seats(db: AsyncSession, event_id: uuid.UUID, seats: Seats) -> None:
    await db.execute(
        update(events)
        .where(events.c.id == event_id)
        .values(
            max_users=seats.max_users,
            taken=seats.taken,
            waitlisted=seats.waitlisted,
            beyond_limit=seats.beyond_limit,
        )
    )


async def confirmed_registrations(db: AsyncSession, session_id: uuid.UUID) -> list[RegistrationRow]:
    query = (
        select(registrations)
        .where(registrations.c.session_id == session_id, registrations.c.status == "confirmed")
        .order_by(registrations.c.created_at, registrations.c.id)
    )
    return typing.cast(
        list[RegistrationRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )


async def confirmed_registration(
    db: AsyncSession, session_id: uuid.UUID, user_id: str
) -> RegistrationRow | None:
    """The learner's confirmed registration in the session (read under the session's lock)."""
    query = select(registrations).where(
        registrations.c.session_id == session_id,
        registrations.c.user_id == user_id,
        registrations.c.status == "confirmed",
    )
    row = (await db.execute(query)).mappings().first()
    return typing.cast(RegistrationRow, dict(row)) if row else None


async def active_event_registration_id(
    db: AsyncSession, event_id: uuid.UUID, user_id: str
) -> uuid.UUID | None:
    query = select(event_registrations.c.id).where(
        event_registrations.c.event_id == event_id,
        event_registrations.c.user_id == user_id,
        _event_active,
    )
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def insert_event_registration(
    db: AsyncSession, values: EventRegistrationRow
) -> EventRegistrationRow:
    query = insert(event_registrations).values(values).returning(event_registrations)
    return typing.cast(EventRegistrationRow, dict((await db.execute(query)).mappings().one()))


async def event_registration_by_id(
    db: AsyncSession, ident: uuid.UUID
) -> EventRegistrationRow | None:
    query = select(event_registrations).where(event_registrations.c.id == ident)
    row = (await db.execute(query)).mappings().first()
    return typing.cast(EventRegistrationRow, dict(row)) if row else None


async def update_event_registration(
    db: AsyncSession, ident: uuid.UUID, values: dict[str, Any]
) -> EventRegistrationRow:
    query = (
        update(event_registrations)
        .where(event_registrations.c.id == ident)
        .values(values)
        .returning(event_registrations)
    )
    return typing.cast(EventRegistrationRow, dict((await db.execute(query)).mappings().one()))


async def active_event_registrations(
    db: AsyncSession, *, event_id: uuid.UUID | None = None, registration_id: uuid.UUID | None = None
) -> list[EventRegistrationRow]:
    """Active event registrations of one event, or of one session registration."""
    query = select(event_registrations).where(_event_active)
    if event_id is not None:
        query = query.where(event_registrations.c.event_id == event_id)
    if registration_id is not None:
        query = query.where(event_registrations.c.registration_id == registration_id)
    query = query.order_by(event_registrations.c.event_id, event_registrations.c.created_at)
    return typing.cast(
        list[EventRegistrationRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )


async def lock_events(db: AsyncSession, event_ids: Sequence[uuid.UUID]) -> list[EventRow]:
    query = select(events).where(events.c.id.in_(event_ids)).order_by(events.c.id).with_for_update()
    return typing.cast(list[EventRow], [dict(row) for row in (await db.execute(query)).mappings()])


async def event_head_of_line(
    db: AsyncSession, event_id: uuid.UUID, count: int
) -> list[EventRegistrationRow]:
    rows = await _head_of_line(db, event_registrations.c.event_id, event_id, count)
    return typing.cast(list[EventRegistrationRow], rows)


async def move_event_line_up(
    db: AsyncSession, event_id: uuid.UUID, behind: int, by: int, now: datetime
) -> None:
    """Everyone waiting behind position `behind` moves up `by` places (a new version each)."""
    await _move_line_up(db, event_registrations.c.event_id, event_id, behind, by, now)


async def list_event_registrations(
    db: AsyncSession,
    listing: Listing,
    *,
    filters: dict[str, Any],
    visible_to: dict[str, Any] | None,
) -> tuple[list[EventRegistrationRow], int]:
    """`visible_to` None: all (platform_admin); otherwise the caller's own, and those of events
    whose session they tutor or whose training they manage (`organizations` when a manager)."""
    query = select(event_registrations).select_from(
        event_registrations.join(events, events.c.id == event_registrations.c.event_id)
    )
    for name in ("event_id", "user_id", "session_id", "status"):
        if filters.get(name) is not None:
            query = query.where(event_registrations.c[name] == filters[name])
    if visible_to is not None:
        sub = visible_to["sub"]
        may: list[Any] = [
            event_registrations.c.user_id == sub,
            func.jsonb_exists(cast(events.c.tutors, JSONB), sub),
        ]
        if visible_to["organizations"]:
            may.append(
                func.jsonb_exists_any(
                    cast(events.c.organizations, JSONB), _texts(visible_to["organizations"])
                )
            )
        query = query.where(or_(*may))
    rows, total = await page_of(db, query, event_registrations, listing)
    return typing.cast(list[EventRegistrationRow], rows), total


# --- curricula and default sessions ------------------------------------------------------------


async def curriculum_by_id(db: AsyncSession, ident: uuid.UUID) -> CurriculumRow | None:
    row = (await db.execute(select(curricula).where(curricula.c.id == ident))).mappings().first()
    return typing.cast(CurriculumRow, dict(row)) if row else None


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
    return typing.cast(
        list[CurriculumRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )


async def sessions_of_trainings(
    db: AsyncSession, training_ids: Sequence[uuid.UUID]
) -> list[SessionRow]:
    """Every live session the replica knows of these trainings."""
    query = select(sessions).where(
        sessions.c.training_id.in_(training_ids), sessions.c.status != "deleted"
    )
    return typing.cast(
        list[SessionRow], [dict(row) for row in (await db.execute(query)).mappings()]
    )
