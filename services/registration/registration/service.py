"""Registration use cases: one transaction each — the seat decision, the row and its events."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registration import domain, store
from shared.auth import Principal
from shared.db import transaction
from shared.events import (
    Registration,
    RegistrationData,
    RegistrationUser,
    SessionData,
    SessionRules,
    new_event,
)
from shared.messaging import first_delivery
from shared.observability import request_id
from shared.problems import conflict, forbidden, not_found

SERVICE = "registration"


@dataclass(frozen=True)
class RegistrationRequest:
    session_id: uuid.UUID
    user: RegistrationUser | None = None  # None: the caller registers themself
    force: bool = False


class Registrations:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def register(self, actor: Principal, request: RegistrationRequest) -> Registration:
        async with transaction(self._sessions) as db:
            session = await store.lock_session(db, request.session_id)
            if session is None:
                raise not_found("session", request.session_id)
            if session["status"] == "cancelled":
                raise conflict("The session is cancelled.", session_id=str(request.session_id))
            rules = SessionRules.model_validate(session["rules"])
            by_manager = request.user is not None
            _authorize(actor, session, rules, request)
            learner = request.user or _self(actor)
            existing = await store.active_registration_id(db, request.session_id, learner.id)
            if existing is not None:
                raise conflict("Already registered to this session.", id=str(existing))
            pending = domain.required_validations(rules, by_manager=by_manager)
            seats = domain.Seats(session["max_users"], session["taken"], session["waitlisted"])
            if request.force:
                admission = domain.Admission(
                    "pending" if pending else "confirmed",
                    None,
                    domain.Seats(seats.max_users, seats.taken + 1, seats.waitlisted),
                )
            else:
                admission = domain.admit(seats, pending)
            await store.set_seats(
                db, request.session_id, admission.seats.taken, admission.seats.waitlisted
            )
            now = datetime.now(UTC)
            row = await store.insert_registration(
                db,
                {
                    "id": uuid.uuid4(),
                    "session_id": request.session_id,
                    "training_id": session["training_id"],
                    "user_id": learner.id,
                    "user": learner.model_dump(mode="json"),
                    "status": admission.status,
                    "pending_validations": pending,
                    "waitlist_position": admission.waitlist_position,
                    "forced": request.force,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            registration = _registration(row)
            await _announce(db, "registration.requested", registration, actor)
            if admission.status in ("confirmed", "waitlisted"):
                await _announce(db, f"registration.{admission.status}", registration, actor)
        return registration

    async def registration(self, actor: Principal, reg_id: uuid.UUID) -> Registration:
        async with self._sessions() as db:
            row = await store.registration_by_id(db, reg_id)
        if row is None:
            raise not_found("registration", reg_id)
        registration = _registration(row)
        if registration.user.id != actor.sub and not actor.is_platform_admin:
            # managers' read access arrives with the full rights model (issue 4)
            raise forbidden("Only the learner or someone who may act on it can read it.")
        return registration

    async def replicate_session(self, event_id: str, session: SessionData) -> None:
        async with transaction(self._sessions) as db:
            if await first_delivery(db, store.inbox, "registration.sessions", event_id):
                await store.upsert_session(db, session)


def _self(actor: Principal) -> RegistrationUser:
    return RegistrationUser(
        id=actor.sub,
        email=actor.email,
        name=actor.name,
        locale=actor.locale,
        organizations=list(actor.organizations),
    )


def _authorize(
    actor: Principal, session: dict[str, Any], rules: SessionRules, request: RegistrationRequest
) -> None:
    manager = actor.manages_training_of(session["organizations"])
    tutor = actor.sub in session["tutors"]
    if request.force and not manager:
        raise forbidden("Only a manager of the training may force a registration.")
    if request.user is not None:
        if not (manager or tutor):
            raise forbidden("Only a manager or tutor of the session may register someone else.")
        return
    if not rules.public_registration:
        raise forbidden("This session does not take public registrations.")


def _registration(row: dict[str, Any]) -> Registration:
    return Registration.model_validate(row)


async def _announce(
    db: AsyncSession, type_: str, registration: Registration, actor: Principal
) -> None:
    data = RegistrationData(**registration.model_dump(), actor=actor.sub)
    event = new_event(
        SERVICE, type_, data, subject=str(registration.id), request_id=request_id.get()
    )
    await store.record_event(db, event)
