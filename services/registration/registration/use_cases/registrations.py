"""`Registrations`, the facade of the session registration use cases: it holds the database,
the seat books the deciding use cases take (`seat_book`: PostgreSQL's unless the caller passes
its own, as the tests pass their fake) and the process's waiting rooms
(`registration.admission`), and adds nothing of its own."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from registration import domain
from registration.admission import Admissions, Outcome
from registration.answers import QuestionCounts
from registration.use_cases import Database, actions, admission, expiry, exports, queries, replicas
from registration.use_cases import move as moving
from registration.use_cases.admission import Applicant, BulkResult, RegistrationRequest
from registration.use_cases.exports import Export
from registration.use_cases.queries import SessionSeats
from registration.use_cases.seat_book import PostgresSeatBooks, SeatBooks
from shared.auth import Principal
from shared.events import Registration, RegistrationUser, SessionData
from shared.listing import Listing
from shared.observability import request_id


class Registrations:
    def __init__(self, sessions: Database, books: SeatBooks | None = None) -> None:
        self._sessions = sessions
        self._books = books or PostgresSeatBooks(sessions)
        self._admissions = Admissions[Applicant](self.admit_batch)

    # --- new registrations ------------------------------------------------------------------

    async def register(
        self, actor: Principal, request: RegistrationRequest, *, delivery_id: str | None = None
    ) -> Registration:
        """POST /api/registrations and the `registration.register` command, decided with the
        other requests for the same session that arrive meanwhile (`admit_batch`).

        `delivery_id` (a command's event id) makes a redelivered command change nothing.
        """
        applicant = Applicant(actor, request, delivery_id, request_id.get())
        return await self._admissions.admit(request.session_id, applicant)

    async def register_all(
        self, session_id: uuid.UUID, applicants: Sequence[Applicant]
    ) -> Sequence[Outcome]:
        """`registration.register` commands delivered together, decided as one batch."""
        return await self._admissions.decide(session_id, applicants)

    async def admit_batch(
        self, session_id: uuid.UUID, applicants: Sequence[Applicant]
    ) -> list[Outcome]:
        return await admission.admit_batch(self._books, session_id, applicants)

    async def register_many(
        self,
        actor: Principal,
        session_id: uuid.UUID,
        users: Sequence[RegistrationUser],
        answers: Mapping[str, object] | None = None,
    ) -> list[BulkResult]:
        return await admission.register_many(
            self._books, self._admissions.admit, actor, session_id, users, answers or {}
        )

    # --- reading ----------------------------------------------------------------------------

    async def registration(self, actor: Principal, reg_id: uuid.UUID) -> Registration:
        return await queries.registration(self._sessions, actor, reg_id)

    async def current_registration(
        self, session_id: uuid.UUID, user_id: str
    ) -> Registration | None:
        return await queries.current_registration(self._sessions, session_id, user_id)

    async def registrations(
        self, actor: Principal, filters: dict[str, Any], listing: Listing
    ) -> tuple[list[Registration], int]:
        return await queries.registrations(self._sessions, actor, filters, listing)

    async def seats(self, session_ids: Sequence[uuid.UUID]) -> list[SessionSeats]:
        return await queries.seats(self._sessions, session_ids)

    async def export(self, actor: Principal, session_id: uuid.UUID) -> Export:
        return await exports.export(self._sessions, actor, session_id)

    async def answer_statistics(
        self, actor: Principal, session_id: uuid.UUID
    ) -> list[QuestionCounts]:
        return await exports.answer_statistics(self._sessions, actor, session_id)

    # --- actions on one registration --------------------------------------------------------

    async def confirm(self, actor: Principal, reg_id: uuid.UUID, token: str) -> Registration:
        return await actions.confirm(self._books, actor, reg_id, token)

    async def validate(
        self, actor: Principal, reg_id: uuid.UUID, step: domain.StepRequest
    ) -> Registration:
        return await actions.validate(self._books, actor, reg_id, step)

    async def refuse(self, actor: Principal, reg_id: uuid.UUID, reason: str | None) -> Registration:
        return await actions.refuse(self._books, actor, reg_id, reason)

    async def cancel(self, actor: Principal, reg_id: uuid.UUID, reason: str | None) -> Registration:
        return await actions.cancel(self._books, actor, reg_id, reason)

    async def accept(self, actor: Principal, reg_id: uuid.UUID) -> Registration:
        return await actions.accept(self._books, actor, reg_id)

    async def decline(self, actor: Principal, reg_id: uuid.UUID) -> Registration:
        return await actions.decline(self._books, actor, reg_id)

    async def move(self, actor: Principal, reg_id: uuid.UUID, target_id: uuid.UUID) -> Registration:
        return await moving.move(self._books, actor, reg_id, target_id)

    # --- what catalog tells us, and time ----------------------------------------------------

    async def replicate_session(self, event_id: str, event_type: str, data: SessionData) -> None:
        await replicas.replicate_session(self._books, event_id, event_type, data)

    async def expire_due(self, now: datetime | None = None) -> int:
        return await expiry.expire_due(self._books, now or datetime.now(UTC))
