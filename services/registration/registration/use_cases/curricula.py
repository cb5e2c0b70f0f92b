"""Curriculum registrations: one request registers a learner to the default session of every
training of a curriculum node and of its descendants (a `blocking` descendant and everything
below it left out).

Each session is decided by the ordinary session-registration use case (`Registrations.register`,
its own transaction), so seats, the line, validations and their events are exactly those of a
single registration; sessions that cannot take the learner are reported as skipped.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from registration import curriculum_domain, store, windows
from registration.records import CurriculumRow, SessionRow
from registration.use_cases import Database
from registration.use_cases.admission import RegistrationRequest
from registration.use_cases.registrations import Registrations
from shared.auth import Principal
from shared.db import transaction
from shared.events import CurriculumData, Registration, RegistrationUser, SessionRules
from shared.messaging import first_delivery
from shared.refusals import Conflict, Forbidden, Invalid, NotFound, Refusal, forbidden, not_found

CURRICULA_CONSUMER = "registration.curricula"

SkipReason = Literal[
    "already_registered",
    "not_public",
    "unknown_session",
    "no_default_session",
    "forbidden",
    "session_cancelled",
    "registration_closed",
    "answers_required",
]


@dataclass(frozen=True)
class Skipped:
    session_id: uuid.UUID | None
    training_id: uuid.UUID
    reason: SkipReason
    id: uuid.UUID | None = None  # the active registration, for `already_registered`


@dataclass(frozen=True)
class CurriculumRegistration:
    registrations: list[Registration] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class Curricula:
    def __init__(self, sessions: Database, registrations: Registrations) -> None:
        self._sessions = sessions
        self._registrations = registrations

    async def register(
        self, actor: Principal, curriculum_id: uuid.UUID, user: RegistrationUser | None
    ) -> CurriculumRegistration:
        """POST /api/curriculum-registrations: the learner for themself (public sessions only),
        or a manager for `user` (sessions of trainings they manage; the others skipped)."""
        if user is not None and not (actor.is_training_manager or actor.is_platform_admin):
            raise forbidden("Only a manager registers someone else to a curriculum.")
        async with self._sessions() as db:
            node = await store.curriculum_by_id(db, curriculum_id)
            if node is None or node["status"] == "deleted":
                raise not_found("curriculum", curriculum_id)
            nodes = [_node(row) for row in await store.curriculum_subtree(db, curriculum_id)]
            trainings = curriculum_domain.curriculum_trainings(curriculum_id, nodes)
            known = await store.sessions_of_trainings(db, trainings) if trainings else []
            learner_id = user.id if user is not None else actor.sub
            plan: list[tuple[uuid.UUID, SessionRow | None]] = []
            for training_id in trainings:
                default = next(
                    (s for s in known if s["training_id"] == training_id and s["default_session"]),
                    None,
                )
                plan.append((training_id, default))
            outcome = CurriculumRegistration()
            to_register: list[SessionRow] = []
            for training_id, session in plan:
                if session is None:
                    outcome.skipped.append(Skipped(None, training_id, "no_default_session"))
                    continue
                reason = _refusal(actor, session, by_manager=user is not None)
                existing = await store.active_registration_id(db, session["id"], learner_id)
                if reason is None and existing is not None:
                    outcome.skipped.append(
                        Skipped(session["id"], training_id, "already_registered", existing)
                    )
                    continue
                if reason is not None:
                    outcome.skipped.append(Skipped(session["id"], training_id, reason))
                    continue
                to_register.append(session)
        for session in to_register:
            request = RegistrationRequest(session["id"], user)
            try:
                registration = await self._registrations.register(actor, request)
            except Refusal as refusal:
                outcome.skipped.append(_skipped(refusal, session, by_manager=user is not None))
            else:
                outcome.registrations.append(registration)
        return outcome

    async def replicate_curriculum(
        self, event_id: str, event_type: str, data: CurriculumData
    ) -> None:
        """catalog.curriculum.* → the replica, by version; a deleted node stays a tombstone."""
        deleted = event_type == "catalog.curriculum.deleted"
        values = {
            "id": data.id,
            "version": data.version,
            "status": "deleted" if deleted else "active",
            "parent_id": data.parent_id,
            "training_ids": [str(t) for t in data.training_ids],
            "blocking": data.blocking,
            "created_at": data.created_at or datetime.now(UTC),
        }
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, CURRICULA_CONSUMER, event_id):
                return
            if await store.insert_replica_if_new(db, store.curricula, values):
                return
            node = await store.lock_curriculum(db, data.id)
            assert node is not None
            if node["version"] >= data.version or node["status"] == "deleted":
                return
            await store.update_replica(
                db, store.curricula, data.id, {k: v for k, v in values.items() if k != "id"}
            )


def _node(row: CurriculumRow) -> curriculum_domain.CurriculumNode:
    return curriculum_domain.CurriculumNode(
        row["id"],
        row["parent_id"],
        row["blocking"],
        tuple(uuid.UUID(t) for t in row["training_ids"]),
    )


def _refusal(actor: Principal, session: SessionRow, *, by_manager: bool) -> SkipReason | None:
    """Why this session cannot take the learner, as far as the replica tells before deciding."""
    if session["status"] == "cancelled":
        return "session_cancelled"
    if by_manager:
        return None if actor.manages_training_of(session["organizations"]) else "forbidden"
    rules = SessionRules.model_validate(session["rules"])
    if not rules.public_registration:
        return "not_public"
    if windows.registration_refusal(windows.window_of(session), datetime.now(UTC)) is not None:
        return "registration_closed"
    if any(question.required for question in rules.questions):
        return "answers_required"  # a curriculum request carries no answers
    return None


def _skipped(refusal: Refusal, session: SessionRow, *, by_manager: bool) -> Skipped:
    """A refusal the decision itself gave (the session changed since it was read)."""
    reason: SkipReason
    existing = refusal.extra.get("id")
    if isinstance(refusal, Conflict) and existing:
        return Skipped(
            session["id"], session["training_id"], "already_registered", uuid.UUID(existing)
        )
    if isinstance(refusal, NotFound):
        reason = "unknown_session"
    elif isinstance(refusal, Forbidden):
        reason = "forbidden" if by_manager else "not_public"
    elif isinstance(refusal, Conflict):
        closed = windows.registration_refusal(windows.window_of(session), datetime.now(UTC))
        reason = "session_cancelled" if closed is None or by_manager else "registration_closed"
    elif isinstance(refusal, Invalid):
        reason = "answers_required"
    else:
        raise refusal
    return Skipped(session["id"], session["training_id"], reason)
