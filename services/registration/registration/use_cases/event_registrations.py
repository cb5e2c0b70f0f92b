"""Event registrations: a confirmed learner's place at one event (séance) of their session.

Lock order, everywhere: the session's seat row, then the event rows (in id order). Every change
of a session registration already holds its session's row, so `follow` and `follow_new` (called
from `follow_ups` where a session registration becomes confirmed or ends) take event rows after
it, and the use cases here take the session row first too: a learner cannot lose their session
seat while an event registration is being decided for them.
"""

import typing
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registration import domain, event_domain, store
from registration.domain import Seats
from registration.event_domain import EventChange, EventState
from registration.records import EventRegistrationRow, EventRow, RegistrationRow
from registration.use_cases import Database
from registration.use_cases.announcements import announce_event_registration
from registration.use_cases.rights import event_rights
from shared.auth import Principal
from shared.db import transaction
from shared.events import EventData, EventRegistration, RegistrationStatus
from shared.listing import Listing
from shared.messaging import first_delivery
from shared.refusals import conflict, forbidden, not_found

EVENTS_CONSUMER = "registration.events"


@dataclass(frozen=True)
class EventRegistrationRequest:
    event_id: uuid.UUID
    user_id: str | None = None  # None: the caller registers themself


class EventRegistrations:
    def __init__(self, sessions: Database) -> None:
        self._sessions = sessions

    # --- by hand -------------------------------------------------------------------------------

    async def register(
        self, actor: Principal, request: EventRegistrationRequest
    ) -> EventRegistration:
        """POST /api/event-registrations: `registered`, or `waitlisted` when the event is full."""
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            event = await lock_live_event(db, request.event_id)
            learner = request.user_id or actor.sub
            rights = event_rights(actor, event, learner)
            event_domain.may_register_to_event(event["registration_mode"], rights)
            registration = await store.confirmed_registration(db, event["session_id"], learner)
            if registration is None:
                raise conflict(
                    "The learner holds no confirmed registration to the event's session.",
                    session_id=str(event["session_id"]),
                )
            existing = await store.active_event_registration_id(db, event["id"], learner)
            if existing is not None:
                raise conflict("Already registered to this event.", id=str(existing))
            row = await _join(db, event, registration, actor.sub, now)
            return _event_registration(row)

    async def cancel(
        self, actor: Principal, ident: uuid.UUID, reason: str | None
    ) -> EventRegistration:
        """The learner their own on a `public` event; managers and tutors any. The freed seat
        goes to the head of the event's line."""
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            found = await store.event_registration_by_id(db, ident)
            if found is None:
                raise not_found("event registration", ident)
            await store.lock_session(db, found["session_id"])
            event = await store.lock_event(db, found["event_id"])
            row = await store.event_registration_by_id(db, ident)  # as it is under the lock
            assert event is not None
            assert row is not None
            rights = event_rights(actor, event, row["user_id"])
            if not rights.may_read:
                raise forbidden("You may not act on this event registration.")
            state = _state(row)
            change = event_domain.cancel_event_registration(
                state, rights, event["registration_mode"], reason
            )
            ended = await _end(db, event, row, change, actor.sub, now)
            await _promote_line(db, event, actor.sub, now)
            return _event_registration(ended)

    # --- reading -------------------------------------------------------------------------------

    async def event_registration(self, actor: Principal, ident: uuid.UUID) -> EventRegistration:
        async with self._sessions() as db:
            row = await store.event_registration_by_id(db, ident)
            if row is None:
                raise not_found("event registration", ident)
            event = await store.event_by_id(db, row["event_id"])
        if event is None or not event_rights(actor, event, row["user_id"]).may_read:
            raise forbidden("Only the learner, the session's tutors or its managers read it.")
        return _event_registration(row)

    async def event_registrations(
        self, actor: Principal, filters: dict[str, Any], listing: Listing
    ) -> tuple[list[EventRegistration], int]:
        visible_to: store.Visibility | None = None
        if not actor.is_platform_admin:
            visible_to = store.Visibility(
                actor.sub,
                organizations=list(actor.organizations) if actor.is_training_manager else [],
            )
        async with self._sessions() as db:
            rows, total = await store.list_event_registrations(
                db, listing, filters=filters, visible_to=visible_to
            )
        return [_event_registration(row) for row in rows], total

    # --- what catalog tells us -----------------------------------------------------------------

    async def replicate_event(self, event_id: str, event_type: str, data: EventData) -> None:
        """catalog.event.* → the replica, by version; a deleted event stays a tombstone.

        In the same transaction: a new `auto` event takes the session's confirmed learners, a
        raised `max_users` promotes the line, a deleted event cancels its registrations
        (reason `event_deleted`).
        """
        deleted = event_type == "catalog.event.deleted"
        values = _event_values(data, "deleted" if deleted else "active")
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, EVENTS_CONSUMER, event_id):
                return
            await store.lock_session(db, data.session_id)  # lock order: session, then event
            if await store.insert_replica_if_new(db, store.events, values):
                if not deleted:
                    event = await store.lock_event(db, data.id)
                    assert event is not None
                    await _take_confirmed_learners(db, event, now)
                return
            event = await store.lock_event(db, data.id)
            assert event is not None
            if event["version"] >= data.version or event["status"] == "deleted":
                return
            became_auto = event["registration_mode"] != "auto" and data.registration_mode == "auto"
            seats = domain.with_limit(store.seats_of(event), data.max_users)
            await store.update_replica(
                db, store.events, data.id, {k: v for k, v in values.items() if k != "id"}
            )
            await store.set_event_seats(db, data.id, seats)
            event = typing.cast(EventRow, {**event, **values})
            _keep_seats(event, seats)
            if deleted:
                for row in await store.active_event_registrations(db, event_id=data.id):
                    change = event_domain.end_event_registration(
                        _state(row), event_domain.EVENT_DELETED
                    )
                    await _end(db, event, row, change, None, now)
                return
            await _promote_line(db, event, None, now)
            if became_auto:
                await _take_confirmed_learners(db, event, now)


# --- the hook on session registrations ---------------------------------------------------------


async def follow(
    db: AsyncSession,
    registration: RegistrationRow,
    previous_status: RegistrationStatus | None,
    actor: str | None,
    now: datetime,
) -> None:
    """A session registration changed (its session's row is locked by the caller).

    Becoming `confirmed` registers the learner to every `auto` event of the session that has not
    ended; ending (cancelled, refused, expired, moved) cancels their event registrations.
    """
    status: RegistrationStatus = registration["status"]
    if status == "confirmed" and previous_status != "confirmed":
        for event in await store.lock_auto_events(db, registration["session_id"], now):
            if await store.active_event_registration_id(db, event["id"], registration["user_id"]):
                continue
            await _join(db, event, registration, actor, now)
    elif status in domain.FINAL and previous_status in domain.ACTIVE:
        rows = await store.active_event_registrations(db, registration_id=registration["id"])
        if not rows:
            return
        reason = event_domain.session_registration_ended(status)
        events = {e["id"]: e for e in await store.lock_events(db, [r["event_id"] for r in rows])}
        for row in rows:
            event = events[row["event_id"]]
            change = event_domain.end_event_registration(_state(row), reason)
            await _end(db, event, row, change, actor, now)
            await _promote_line(db, event, actor, now)


async def follow_new(db: AsyncSession, rows: list[RegistrationRow], now: datetime) -> None:
    """New session registrations of one session (its row locked by the caller): those created
    `confirmed` join the session's `auto` events that have not ended."""
    seated = [row for row in rows if row["status"] == "confirmed"]
    if not seated:
        return
    for event in await store.lock_auto_events(db, seated[0]["session_id"], now):
        for row in seated:
            if await store.active_event_registration_id(db, event["id"], row["user_id"]):
                continue
            await _join(db, event, row, row.get("requested_by"), now)


# --- the decision path -------------------------------------------------------------------------


async def lock_live_event(db: AsyncSession, event_id: uuid.UUID) -> EventRow:
    """The event and its session's row, locked in that order; deleted or unknown: 404."""
    event = await store.event_by_id(db, event_id)
    if event is not None and event["status"] != "deleted":
        await store.lock_session(db, event["session_id"])
        event = await store.lock_event(db, event_id)
    if event is None or event["status"] == "deleted":
        raise not_found("event", event_id)
    return event


async def _take_confirmed_learners(db: AsyncSession, event: EventRow, now: datetime) -> None:
    """Every confirmed learner of the session joins a new `auto` event that has not ended."""
    if not event_domain.registers_automatically(event["registration_mode"], event["end"], now):
        return
    for registration in await store.confirmed_registrations(db, event["session_id"]):
        if await store.active_event_registration_id(db, event["id"], registration["user_id"]):
            continue
        await _join(db, event, registration, None, now)


async def _join(
    db: AsyncSession,
    event: EventRow,
    registration: RegistrationRow,
    actor: str | None,
    now: datetime,
) -> EventRegistrationRow:
    """A new event registration for the learner of `registration`; `event` is locked and its
    counters in the dict are kept current for the next decision in the same transaction."""
    change, seats = event_domain.join_event(store.seats_of(event))
    await store.set_event_seats(db, event["id"], seats)
    _keep_seats(event, seats)
    row = await store.insert_event_registration(
        db,
        {
            "id": uuid.uuid4(),
            "event_id": event["id"],
            "session_id": event["session_id"],
            "registration_id": registration["id"],
            "user_id": registration["user_id"],
            "user": registration["user"],
            "status": change.after.status,
            "waitlist_position": change.after.waitlist_position,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        },
    )
    await announce_event_registration(db, row, change, actor)
    await _presence_follows(db, row, now)
    return row


async def _end(
    db: AsyncSession,
    event: EventRow,
    row: EventRegistrationRow,
    change: EventChange,
    actor: str | None,
    now: datetime,
) -> EventRegistrationRow:
    """Write the end of one event registration; the line behind it moves up."""
    row = await _write(db, row, change, actor, now)
    if change.left_line_at is not None:
        await store.move_event_line_up(db, event["id"], change.left_line_at, 1, now)
    seats = domain.release(store.seats_of(event), change)
    await store.set_event_seats(db, event["id"], seats)
    _keep_seats(event, seats)
    return row


async def _promote_line(
    db: AsyncSession, event: EventRow, actor: str | None, now: datetime
) -> None:
    """Every free seat of the event goes to the head of its line, in line order."""
    after, count = domain.promote_waitlist(store.seats_of(event))
    if count == 0:
        return
    for row in await store.event_head_of_line(db, event["id"], count):
        await _write(db, row, event_domain.promote_to_event(_state(row)), actor, now)
    await store.move_event_line_up(db, event["id"], count, count, now)
    await store.set_event_seats(db, event["id"], after)
    _keep_seats(event, after)


async def _write(
    db: AsyncSession,
    row: EventRegistrationRow,
    change: EventChange,
    actor: str | None,
    now: datetime,
) -> EventRegistrationRow:
    updated = await store.update_event_registration(
        db,
        row["id"],
        {
            "status": change.after.status,
            "waitlist_position": change.after.waitlist_position,
            "version": row["version"] + 1,
            "updated_at": now,
        },
    )
    await announce_event_registration(db, updated, change, actor)
    await _presence_follows(db, updated, now)
    return updated


async def _presence_follows(db: AsyncSession, row: EventRegistrationRow, now: datetime) -> None:
    """A registered learner has a presence (`unknown` at first); one whose place ended has none
    (docs/attendance.md: a marked presence goes with it)."""
    if row["status"] == "registered":
        await store.add_presence(db, row["event_id"], row["session_id"], row["user_id"], now)
    elif row["status"] == "cancelled":
        await store.remove_presence(db, row["event_id"], row["user_id"])


# --- helpers -----------------------------------------------------------------------------------


def _event_values(data: EventData, status: str) -> dict[str, Any]:
    return {
        "id": data.id,
        "session_id": data.session_id,
        "training_id": data.training_id,
        "version": data.version,
        "status": status,
        "registration_mode": data.registration_mode,
        "start": data.start,
        "end": data.end,
        "organizations": data.organizations,
        "tutors": data.tutors,
        "max_users": data.max_users,
        "title": data.title,
        "location": data.location,
    }


def _keep_seats(event: EventRow, seats: Seats) -> None:
    """Keep the locked event's counters current for the next decision of the transaction."""
    event["max_users"] = seats.max_users
    event["taken"], event["waitlisted"] = seats.taken, seats.waitlisted
    event["beyond_limit"] = seats.beyond_limit


def _state(row: EventRegistrationRow) -> EventState:
    return EventState(row["status"], row["waitlist_position"])


def _event_registration(row: EventRegistrationRow) -> EventRegistration:
    return EventRegistration.model_validate(row)
