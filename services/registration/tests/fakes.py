"""`FakeSeatBooks`: the deciding use cases' storage (`registration.use_cases.seat_book`) in
memory, for tests without PostgreSQL.

It is held to what the database holds the real one to, so a use case that breaks them fails
here as it would there: at once, what a constraint or the unique index refuses (one active
registration per learner and session, a position exactly when waitlisted, a deadline exactly
when offered, seats not negative
and `taken - beyond_limit <= max_users`); at commit, what the store's bookkeeping keeps (the
line gap-free 1..n, and a session's counters equal to what its registrations hold). A
transaction that raises leaves nothing behind; rows go in and out as copies, as the driver's
dicts do, so only what is written is kept.
"""

import copy
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, cast

from registration.domain import ACTIVE, HOLDS_SEAT, Seats
from registration.records import RegistrationRow, RegistrationUpdate, SessionRow, SessionValues
from registration.use_cases.seat_book import SeatBook

from shared.events import CloudEvent, RegistrationStatus


class BrokenInvariant(AssertionError):
    """What PostgreSQL would refuse (an IntegrityError), or a bookkeeping slip."""


@dataclass(frozen=True)
class FollowUp:
    """What a change asked of event registrations (`SeatBook.registration_changed`/`_created`)."""

    registration_id: uuid.UUID
    status: RegistrationStatus
    previous_status: RegistrationStatus | None


@dataclass
class _State:
    sessions: dict[uuid.UUID, SessionRow] = field(default_factory=dict)
    registrations: dict[uuid.UUID, RegistrationRow] = field(default_factory=dict)
    inbox: set[tuple[str, str]] = field(default_factory=set)
    outbox: list[tuple[Literal["event", "command"], CloudEvent]] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)


class FakeSeatBooks:
    """What was committed; `transaction()` works on a copy and keeps it only if it ends well."""

    def __init__(self) -> None:
        self._state = _State()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SeatBook]:
        working = copy.deepcopy(self._state)
        yield FakeSeatBook(working)
        _check_books(working)
        self._state = working

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SeatBook]:
        yield FakeSeatBook(copy.deepcopy(self._state))

    # --- for the tests: what was committed ------------------------------------------------------

    def session(self, session_id: uuid.UUID) -> SessionRow:
        return copy.deepcopy(self._state.sessions[session_id])

    def seats(self, session_id: uuid.UUID) -> Seats:
        row = self._state.sessions[session_id]
        return Seats(row["max_users"], row["taken"], row["waitlisted"], row["beyond_limit"])

    def registration(self, reg_id: uuid.UUID) -> RegistrationRow:
        return copy.deepcopy(self._state.registrations[reg_id])

    def line(self, session_id: uuid.UUID) -> list[uuid.UUID]:
        """Who waits in the session's line, head first."""
        return [row["id"] for row in _waiting(self._state, session_id)]

    def facts(self, subject: uuid.UUID | None = None) -> list[str]:
        """The types of the events written, in order; of one registration when `subject`."""
        return [
            event.type
            for kind, event in self._state.outbox
            if kind == "event" and (subject is None or event.subject == str(subject))
        ]

    def events(self, subject: uuid.UUID) -> list[CloudEvent]:
        """The events written about one registration, in order."""
        return [
            event
            for kind, event in self._state.outbox
            if kind == "event" and event.subject == str(subject)
        ]

    def commands(self) -> list[CloudEvent]:
        return [event for kind, event in self._state.outbox if kind == "command"]

    def follow_ups(self) -> list[FollowUp]:
        return list(self._state.follow_ups)

    def delivered(self, consumer: str) -> set[str]:
        return {event_id for name, event_id in self._state.inbox if name == consumer}

    def pass_deadline(self, reg_id: uuid.UUID, now: datetime) -> None:
        """The learner's confirmation deadline is over by `now` (time passing, as the database
        tests set `expires_at` in the past)."""
        self._state.registrations[reg_id]["expires_at"] = now - timedelta(seconds=1)

    def pass_offer_deadline(self, reg_id: uuid.UUID, now: datetime) -> None:
        """The seat offered is held no longer by `now`."""
        self._state.registrations[reg_id]["offer_expires_at"] = now - timedelta(seconds=1)


class FakeSeatBook:
    """`SeatBook` over one transaction's copy of the state."""

    def __init__(self, state: _State) -> None:
        self._state = state

    # --- sessions -------------------------------------------------------------------------------

    async def lock_session(self, session_id: uuid.UUID) -> SessionRow | None:
        return copy.deepcopy(self._state.sessions.get(session_id))

    async def lock_sessions(self, session_ids: Sequence[uuid.UUID]) -> list[SessionRow]:
        found = [
            self._state.sessions[i] for i in sorted(set(session_ids)) if i in self._state.sessions
        ]
        return copy.deepcopy(found)

    async def lock_sessions_with_due_requests(self, now: datetime, limit: int) -> list[SessionRow]:
        due = {row["session_id"] for row in self._state.registrations.values() if _due(row, now)}
        return await self.lock_sessions(sorted(due)[:limit])

    async def session_by_id(self, session_id: uuid.UUID) -> SessionRow | None:
        return await self.lock_session(session_id)

    async def set_seats(self, session_id: uuid.UUID, seats: Seats) -> None:
        if seats.taken < 0 or seats.waitlisted < 0 or seats.beyond_limit < 0:
            raise BrokenInvariant(f"seats_not_negative: {seats}")
        if seats.max_users is not None and seats.taken - seats.beyond_limit > seats.max_users:
            raise BrokenInvariant(f"seats_within_limit: {seats}")
        row = self._state.sessions[session_id]
        row["max_users"], row["taken"] = seats.max_users, seats.taken
        row["waitlisted"], row["beyond_limit"] = seats.waitlisted, seats.beyond_limit

    async def insert_session_if_new(self, values: SessionValues) -> bool:
        if values["id"] in self._state.sessions:
            return False
        row = {**copy.deepcopy(values), "taken": 0, "waitlisted": 0, "beyond_limit": 0}
        self._state.sessions[values["id"]] = cast(SessionRow, row)
        return True

    async def update_session(self, session_id: uuid.UUID, values: Mapping[str, object]) -> None:
        row = self._state.sessions[session_id]
        self._state.sessions[session_id] = cast(SessionRow, {**row, **copy.deepcopy(values)})

    # --- registrations and the line -------------------------------------------------------------

    async def registration_by_id(self, reg_id: uuid.UUID) -> RegistrationRow | None:
        return copy.deepcopy(self._state.registrations.get(reg_id))

    async def active_registration_id(self, session_id: uuid.UUID, user_id: str) -> uuid.UUID | None:
        return (await self.active_registration_ids(session_id, [user_id])).get(user_id)

    async def active_registration_ids(
        self, session_id: uuid.UUID, user_ids: Sequence[str]
    ) -> dict[str, uuid.UUID]:
        return {
            row["user_id"]: row["id"]
            for row in self._active(session_id)
            if row["user_id"] in user_ids
        }

    async def active_registrations(self, session_id: uuid.UUID) -> list[RegistrationRow]:
        rows = sorted(self._active(session_id), key=lambda r: (r["created_at"], r["id"]))
        return copy.deepcopy(rows)

    async def due_registrations(
        self, session_id: uuid.UUID, now: datetime
    ) -> list[RegistrationRow]:
        due = [row for row in self._active(session_id) if _due(row, now)]
        return copy.deepcopy(sorted(due, key=lambda r: (_deadline(r), r["id"])))

    async def insert_registration(self, row: RegistrationRow) -> RegistrationRow:
        if row["id"] in self._state.registrations:
            raise BrokenInvariant(f"registrations_pkey: {row['id']}")
        self._put(copy.deepcopy(row))
        return copy.deepcopy(row)

    async def insert_registrations(self, rows: Sequence[RegistrationRow]) -> None:
        for row in rows:
            await self.insert_registration(row)

    async def update_registration(
        self, reg_id: uuid.UUID, values: RegistrationUpdate
    ) -> RegistrationRow:
        row = cast(RegistrationRow, {**self._state.registrations[reg_id], **copy.deepcopy(values)})
        self._put(row)
        return copy.deepcopy(row)

    async def head_of_line(self, session_id: uuid.UUID, count: int) -> list[RegistrationRow]:
        return copy.deepcopy(_waiting(self._state, session_id)[:count])

    async def move_line_up(
        self, session_id: uuid.UUID, behind: int, by: int, now: datetime
    ) -> None:
        for row in _waiting(self._state, session_id):
            position = row["waitlist_position"]
            if position is not None and position > behind:
                moved = cast(
                    RegistrationRow,
                    {
                        **row,
                        "waitlist_position": position - by,
                        "version": row["version"] + 1,
                        "updated_at": now,
                    },
                )
                self._put(moved)

    # --- commands delivered, what leaves, what follows -----------------------------------------

    async def first_deliveries(self, consumer: str, event_ids: Iterable[str]) -> set[str]:
        first = {i for i in event_ids if (consumer, i) not in self._state.inbox}
        self._state.inbox |= {(consumer, i) for i in first}
        return first

    async def forget_commands(self, consumer: str, event_ids: Sequence[str]) -> None:
        self._state.inbox -= {(consumer, i) for i in event_ids}

    async def record_event(self, event: CloudEvent) -> None:
        self._state.outbox.append(("event", event))

    async def record_command(self, command: CloudEvent) -> None:
        self._state.outbox.append(("command", command))

    async def record_all(
        self, events: Sequence[CloudEvent], commands: Sequence[CloudEvent] = ()
    ) -> None:
        self._state.outbox += [("event", e) for e in events]
        self._state.outbox += [("command", c) for c in commands]

    async def registration_changed(
        self,
        registration: RegistrationRow,
        previous_status: RegistrationStatus | None,
        actor: str | None,
        now: datetime,
    ) -> None:
        self._state.follow_ups.append(
            FollowUp(registration["id"], registration["status"], previous_status)
        )

    async def registrations_created(self, rows: list[RegistrationRow], now: datetime) -> None:
        self._state.follow_ups += [FollowUp(row["id"], row["status"], None) for row in rows]

    # --- the constraints ------------------------------------------------------------------------

    def _active(self, session_id: uuid.UUID) -> list[RegistrationRow]:
        return [
            row
            for row in self._state.registrations.values()
            if row["session_id"] == session_id and row["status"] in ACTIVE
        ]

    def _put(self, row: RegistrationRow) -> None:
        """Write one row as the table's constraints and unique index allow it."""
        if (row["status"] == "waitlisted") != (row["waitlist_position"] is not None):
            raise BrokenInvariant(f"waitlisted_have_a_position: {row['status']} {row['id']}")
        if row["waitlist_position"] is not None and row["waitlist_position"] < 1:
            raise BrokenInvariant(f"waitlist_position_positive: {row['id']}")
        if (row["status"] == "offered") != (row["offer_expires_at"] is not None):
            raise BrokenInvariant(f"offered_have_a_deadline: {row['status']} {row['id']}")
        if row["status"] in ACTIVE:
            others = [
                other["id"]
                for other in self._active(row["session_id"])
                if other["user_id"] == row["user_id"] and other["id"] != row["id"]
            ]
            if others:
                raise BrokenInvariant(f"registrations_one_active_per_user: {row['user_id']}")
        self._state.registrations[row["id"]] = row


def _due(row: RegistrationRow, now: datetime) -> bool:
    """Past the confirmation's deadline (an active one) or the offer's (an offered one)."""
    confirmation, offer = row["expires_at"], row["offer_expires_at"]
    return (row["status"] in ACTIVE and confirmation is not None and confirmation <= now) or (
        row["status"] == "offered" and offer is not None and offer <= now
    )


def _deadline(row: RegistrationRow) -> datetime:
    """The earlier of its deadlines (SQL's `least`, which skips nulls)."""
    return min(d for d in (row["expires_at"], row["offer_expires_at"]) if d is not None)


def _waiting(state: _State, session_id: uuid.UUID) -> list[RegistrationRow]:
    rows = [
        row
        for row in state.registrations.values()
        if row["session_id"] == session_id and row["status"] == "waitlisted"
    ]
    return sorted(rows, key=lambda r: r["waitlist_position"] or 0)


def _check_books(state: _State) -> None:
    """At commit: each line gap-free, each session's counters what its registrations hold."""
    for session_id, session in state.sessions.items():
        positions = [row["waitlist_position"] for row in _waiting(state, session_id)]
        if positions != list(range(1, len(positions) + 1)):
            raise BrokenInvariant(f"the line of {session_id} is not 1..n: {positions}")
        holding = sum(
            1
            for row in state.registrations.values()
            if row["session_id"] == session_id and row["status"] in HOLDS_SEAT
        )
        if (session["taken"], session["waitlisted"]) != (holding, len(positions)):
            raise BrokenInvariant(
                f"{session_id} counts taken={session['taken']} waitlisted="
                f"{session['waitlisted']}; its registrations hold {holding} and {len(positions)}"
            )
