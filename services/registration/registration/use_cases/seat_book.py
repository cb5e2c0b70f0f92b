"""`SeatBook`: what the deciding use cases (admission, actions, move, expiry, the session
replica, and `changes` they share) need of storage, in one transaction — the sessions' seats
and lines, their registrations, the inbox of commands, what leaves through the outbox, and the
event registrations a change sets off.

`SeatBooks` opens one per use case; `PostgresSeatBooks` is the real one, over `store`, and the
tests' in-memory `FakeSeatBooks` (services/registration/tests/fakes.py) keeps the invariants
the database enforces, so the use cases are tested without PostgreSQL.
"""

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from registration import store
from registration.domain import Seats
from registration.records import RegistrationRow, RegistrationUpdate, SessionRow, SessionValues
from registration.use_cases import Database, follow_ups
from registration.use_cases.announcements import Journal
from shared.db import transaction
from shared.events import CloudEvent, RegistrationStatus
from shared.messaging import first_deliveries


class SeatBook(Journal, Protocol):
    """One transaction's view of sessions and their registrations. A locked session (`lock_*`)
    stays locked until the transaction ends; decisions on its seats are taken under it."""

    # --- sessions: the replica, its seats, its lock ---------------------------------------------

    async def lock_session(self, session_id: uuid.UUID) -> SessionRow | None: ...

    async def lock_sessions(self, session_ids: Sequence[uuid.UUID]) -> list[SessionRow]:
        """Locked in id order."""
        ...

    async def lock_sessions_with_due_requests(self, now: datetime, limit: int) -> list[SessionRow]:
        """Sessions with a request past its deadline; those held elsewhere are skipped."""
        ...

    async def session_by_id(self, session_id: uuid.UUID) -> SessionRow | None: ...

    async def set_seats(self, session_id: uuid.UUID, seats: Seats) -> None: ...

    async def insert_session_if_new(self, values: SessionValues) -> bool: ...

    async def update_session(self, session_id: uuid.UUID, values: Mapping[str, object]) -> None: ...

    # --- registrations and the line ---------------------------------------------------------

    async def registration_by_id(self, reg_id: uuid.UUID) -> RegistrationRow | None: ...

    async def active_registration_id(
        self, session_id: uuid.UUID, user_id: str
    ) -> uuid.UUID | None: ...

    async def active_registration_ids(
        self, session_id: uuid.UUID, user_ids: Sequence[str]
    ) -> dict[str, uuid.UUID]: ...

    async def active_registrations(self, session_id: uuid.UUID) -> list[RegistrationRow]: ...

    async def due_registrations(
        self, session_id: uuid.UUID, now: datetime
    ) -> list[RegistrationRow]: ...

    async def insert_registration(self, row: RegistrationRow) -> RegistrationRow: ...

    async def insert_registrations(self, rows: Sequence[RegistrationRow]) -> None: ...

    async def update_registration(
        self, reg_id: uuid.UUID, values: RegistrationUpdate
    ) -> RegistrationRow: ...

    async def head_of_line(self, session_id: uuid.UUID, count: int) -> list[RegistrationRow]: ...

    async def move_line_up(
        self, session_id: uuid.UUID, behind: int, by: int, now: datetime
    ) -> None:
        """Everyone waiting behind position `behind` moves up `by` places."""
        ...

    # --- commands delivered -------------------------------------------------------------------

    async def first_deliveries(self, consumer: str, event_ids: Iterable[str]) -> set[str]:
        """Record the deliveries; the ids delivered the first time."""
        ...

    async def forget_commands(self, consumer: str, event_ids: Sequence[str]) -> None:
        """As if never delivered: a redelivery is decided again."""
        ...

    # --- what a change sets off in event registrations (`follow_ups`) -------------------------

    async def registration_changed(
        self,
        registration: RegistrationRow,
        previous_status: RegistrationStatus | None,
        actor: str | None,
        now: datetime,
    ) -> None: ...

    async def registrations_created(self, rows: list[RegistrationRow], now: datetime) -> None: ...


class SeatBooks(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[SeatBook]:
        """One use case's book: committed when the block ends, rolled back when it raises."""
        ...

    def reading(self) -> AbstractAsyncContextManager[SeatBook]:
        """A book to read from, no lock taken, nothing written."""
        ...


class PostgresSeatBooks:
    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SeatBook]:
        async with transaction(self._database) as db:
            yield PostgresSeatBook(db)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SeatBook]:
        async with self._database() as db:
            yield PostgresSeatBook(db)


class PostgresSeatBook:
    """`SeatBook` over `store`, on one database session."""

    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def lock_session(self, session_id: uuid.UUID) -> SessionRow | None:
        return await store.lock_session(self._db, session_id)

    async def lock_sessions(self, session_ids: Sequence[uuid.UUID]) -> list[SessionRow]:
        return await store.lock_sessions(self._db, session_ids)

    async def lock_sessions_with_due_requests(self, now: datetime, limit: int) -> list[SessionRow]:
        return await store.lock_sessions_with_due_requests(self._db, now, limit)

    async def session_by_id(self, session_id: uuid.UUID) -> SessionRow | None:
        return await store.session_by_id(self._db, session_id)

    async def set_seats(self, session_id: uuid.UUID, seats: Seats) -> None:
        await store.set_seats(self._db, session_id, seats)

    async def insert_session_if_new(self, values: SessionValues) -> bool:
        return await store.insert_session_if_new(self._db, values)

    async def update_session(self, session_id: uuid.UUID, values: Mapping[str, object]) -> None:
        await store.update_session(self._db, session_id, values)

    async def registration_by_id(self, reg_id: uuid.UUID) -> RegistrationRow | None:
        return await store.registration_by_id(self._db, reg_id)

    async def active_registration_id(self, session_id: uuid.UUID, user_id: str) -> uuid.UUID | None:
        return await store.active_registration_id(self._db, session_id, user_id)

    async def active_registration_ids(
        self, session_id: uuid.UUID, user_ids: Sequence[str]
    ) -> dict[str, uuid.UUID]:
        return await store.active_registration_ids(self._db, session_id, user_ids)

    async def active_registrations(self, session_id: uuid.UUID) -> list[RegistrationRow]:
        return await store.active_registrations(self._db, session_id)

    async def due_registrations(
        self, session_id: uuid.UUID, now: datetime
    ) -> list[RegistrationRow]:
        return await store.due_registrations(self._db, session_id, now)

    async def insert_registration(self, row: RegistrationRow) -> RegistrationRow:
        return await store.insert_registration(self._db, row)

    async def insert_registrations(self, rows: Sequence[RegistrationRow]) -> None:
        await store.insert_registrations(self._db, rows)

    async def update_registration(
        self, reg_id: uuid.UUID, values: RegistrationUpdate
    ) -> RegistrationRow:
        return await store.update_registration(self._db, reg_id, values)

    async def head_of_line(self, session_id: uuid.UUID, count: int) -> list[RegistrationRow]:
        return await store.head_of_line(self._db, session_id, count)

    async def move_line_up(
        self, session_id: uuid.UUID, behind: int, by: int, now: datetime
    ) -> None:
        await store.move_line_up(self._db, session_id, behind, by, now)

    async def first_deliveries(self, consumer: str, event_ids: Iterable[str]) -> set[str]:
        return await first_deliveries(self._db, store.inbox, consumer, event_ids)

    async def forget_commands(self, consumer: str, event_ids: Sequence[str]) -> None:
        await store.forget_commands(self._db, consumer, event_ids)

    async def record_event(self, event: CloudEvent) -> None:
        await store.record_event(self._db, event)

    async def record_command(self, command: CloudEvent) -> None:
        await store.record_command(self._db, command)

    async def record_all(
        self, events: Sequence[CloudEvent], commands: Sequence[CloudEvent] = ()
    ) -> None:
        await store.record_all(self._db, events, commands)

    async def registration_changed(
        self,
        registration: RegistrationRow,
        previous_status: RegistrationStatus | None,
        actor: str | None,
        now: datetime,
    ) -> None:
        await follow_ups.registration_changed(self._db, registration, previous_status, actor, now)

    async def registrations_created(self, rows: list[RegistrationRow], now: datetime) -> None:
        await follow_ups.registrations_created(self._db, rows, now)
