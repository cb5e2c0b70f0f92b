"""Registration use cases: one transaction each — the seat decision, the rows and their events.

Every decision about a session's registrations is taken with the session's seat row locked
(`store.lock_session`), so concurrent requests and replicas take turns per session; the
database's CHECK and unique constraints stand behind the same invariants.
"""

import asyncio
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registration import domain, event_registrations, store
from registration.admission import Admissions, Outcome
from registration.domain import Change, Rights, Seats, State
from registration.refusals import decided
from shared.auth import Principal
from shared.db import transaction
from shared.events import (
    SEND_CONFIRMATION,
    CloudEvent,
    MovedTo,
    Registration,
    RegistrationData,
    RegistrationStatus,
    RegistrationUser,
    SendConfirmation,
    SessionData,
    SessionRules,
    ValidationStep,
    new_event,
)
from shared.listing import Listing
from shared.messaging import first_deliveries, first_delivery
from shared.observability import request_id
from shared.problems import Problem, conflict, forbidden, not_found

SERVICE = "registration"
COMMANDS_CONSUMER = "registration.commands"
EXPIRY_BATCH = 20

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistrationRequest:
    session_id: uuid.UUID
    user: RegistrationUser | None = None  # None: the caller registers themself
    force: bool = False


@dataclass(frozen=True)
class Applicant:
    """One request waiting for its session's next batch."""

    actor: Principal
    request: RegistrationRequest
    delivery_id: str | None = None  # a command's event id
    request_id: str | None = None  # the caller's, for the events (the batch runs elsewhere)


@dataclass(frozen=True)
class BulkResult:
    user_id: str
    registration: Registration | None = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class SessionSeats:
    session_id: uuid.UUID
    max_users: int | None
    taken: int
    waitlisted: int
    free: int | None


class AlreadyHandled(Exception):
    """A command delivered again: its effect happened already."""


Decide = Callable[[State, Rights, dict[str, Any]], list[Change]]


class Registrations:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._admissions = Admissions[Applicant](self.admit_batch)

    # --- new registrations ---------------------------------------------------------------------

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
        """One transaction for many requests for one session: the seat row locked once, each
        decided in arrival order, every row and event written together. Each gets its own
        outcome: its registration, or the problem only it has (`AlreadyHandled` included)."""
        async with transaction(self._sessions) as db:
            session = await store.lock_session(db, session_id)
            if session is None or session["status"] in ("deleted", "cancelled"):
                return [_closed(session_id, session) for _ in applicants]
            return await _admit_all(db, session, applicants, datetime.now(UTC))

    async def current_registration(
        self, session_id: uuid.UUID, user_id: str
    ) -> Registration | None:
        async with self._sessions() as db:
            row = await store.latest_registration(db, session_id, user_id)
        return _registration(row) if row else None

    async def register_many(
        self, actor: Principal, session_id: uuid.UUID, users: Sequence[RegistrationUser]
    ) -> list[BulkResult]:
        """POST /api/registrations/bulk: each user its own decision, in the order given."""
        async with self._sessions() as db:
            session = await store.session_by_id(db, session_id)
        if session is None or session["status"] == "deleted":
            raise not_found("session", session_id)
        if not actor.manages_training_of(session["organizations"]):
            raise forbidden("Only a manager of the training registers in bulk.")
        rid = request_id.get()
        outcomes = await asyncio.gather(
            *(
                self._admissions.admit(
                    session_id, Applicant(actor, RegistrationRequest(session_id, user), None, rid)
                )
                for user in users
            ),
            return_exceptions=True,
        )
        results = []
        for user, outcome in zip(users, outcomes, strict=True):
            if isinstance(outcome, Problem):
                results.append(BulkResult(user.id, error=problem_body(outcome)))
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                results.append(BulkResult(user.id, registration=outcome))
        return results

    # --- reading -------------------------------------------------------------------------------

    async def registration(self, actor: Principal, reg_id: uuid.UUID) -> Registration:
        async with self._sessions() as db:
            row = await store.registration_by_id(db, reg_id)
            if row is None:
                raise not_found("registration", reg_id)
            session = await store.session_by_id(db, row["session_id"])
        registration = _registration(row)
        if session is None or not _rights(actor, session, registration.user).may_read:
            raise forbidden("Only the learner or someone who may act on it can read it.")
        return registration

    async def registrations(
        self, actor: Principal, filters: dict[str, Any], listing: Listing
    ) -> tuple[list[Registration], int]:
        visible_to = None
        if not actor.is_platform_admin:
            visible_to = {
                "sub": actor.sub,
                "organizations": list(actor.organizations) if actor.is_training_manager else [],
                "managed_organizations": list(actor.managed_organizations),
            }
        async with self._sessions() as db:
            rows, total = await store.list_registrations(
                db, listing, filters=filters, visible_to=visible_to
            )
        return [_registration(row) for row in rows], total

    async def seats(self, session_ids: Sequence[uuid.UUID]) -> list[SessionSeats]:
        async with self._sessions() as db:
            rows = {row["id"]: row for row in await store.seats_for(db, session_ids)}
        found = []
        for session_id in dict.fromkeys(session_ids):
            row = rows.get(session_id)
            if row is None:
                continue
            seats = Seats(row["max_users"], row["taken"], row["waitlisted"])
            found.append(
                SessionSeats(session_id, seats.max_users, seats.taken, seats.waitlisted, seats.free)
            )
        return found

    async def export(self, actor: Principal, session_id: uuid.UUID) -> list[Registration]:
        async with self._sessions() as db:
            session = await store.session_by_id(db, session_id)
            if session is None or session["status"] == "deleted":
                raise not_found("session", session_id)
            if not actor.manages_training_of(session["organizations"]):
                raise forbidden("Only a manager of the training exports its registrations.")
            rows = await store.session_registrations(db, session_id)
        return [_registration(row) for row in rows]

    # --- actions on one registration -----------------------------------------------------------

    async def confirm(self, actor: Principal, reg_id: uuid.UUID, token: str) -> Registration:
        """The learner's own confirmation with the emailed token; past the deadline it expires."""
        expired = False

        def decide(state: State, rights: Rights, row: dict[str, Any]) -> list[Change]:
            nonlocal expired
            if not rights.learner:
                raise domain.RegistrationRefused(403, "Only the learner confirms.")
            now = datetime.now(UTC)
            if domain.is_due(state, row["expires_at"], now):
                expired = True
                return [domain.expire(state)]
            if state.awaits_user and not _token_matches(token, row["confirmation_hash"]):
                raise Problem(
                    422,
                    "Invalid request",
                    "The confirmation token is not valid.",
                    extra={"errors": [{"loc": ["body", "token"], "msg": "wrong token"}]},
                )
            return [domain.confirm(state, rights)]

        registration = await self._act(actor, reg_id, decide)
        if expired:
            raise conflict(
                "The confirmation period is over: the registration has expired.",
                id=str(registration.id),
            )
        return registration

    async def validate(
        self, actor: Principal, reg_id: uuid.UUID, step: domain.StepRequest
    ) -> Registration:
        return await self._act(actor, reg_id, lambda s, r, _: domain.validate(s, step, r))

    async def refuse(self, actor: Principal, reg_id: uuid.UUID, reason: str | None) -> Registration:
        return await self._act(actor, reg_id, lambda s, r, _: [domain.refuse(s, r, reason)])

    async def cancel(self, actor: Principal, reg_id: uuid.UUID, reason: str | None) -> Registration:
        def decide(state: State, rights: Rights, row: dict[str, Any]) -> list[Change]:
            return [domain.cancel(state, rights, row["_rules"], reason)]

        return await self._act(actor, reg_id, decide)

    async def move(self, actor: Principal, reg_id: uuid.UUID, target_id: uuid.UUID) -> Registration:
        """The old registration ends `cancelled` (reason `moved`); a new one in the target
        session keeps the validations already given. Answers the new one."""
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            found = await store.registration_by_id(db, reg_id)
            if found is None:
                raise not_found("registration", reg_id)
            if found["session_id"] == target_id:
                raise conflict("The registration is already in that session.", id=str(reg_id))
            locked = {
                row["id"]: row
                for row in await store.lock_sessions(db, [found["session_id"], target_id])
            }
            source, target = locked.get(found["session_id"]), locked.get(target_id)
            row = await store.registration_by_id(db, reg_id)
            assert row is not None
            assert source is not None
            old = _registration(row)
            rights = _rights(actor, source, old.user)
            if not rights.may_read:
                raise forbidden("Only a manager moves a registration.")
            if target is None or target["status"] == "deleted":
                raise not_found("session", target_id)
            if not actor.manages_training_of(target["organizations"]):
                raise forbidden("Only a manager of the target session's training moves to it.")
            if target["status"] == "cancelled":
                raise conflict("The target session is cancelled.", session_id=str(target_id))
            change = decided(lambda: domain.move_out(_state(row), rights))
            existing = await store.active_registration_id(db, target_id, old.user.id)
            if existing is not None:
                raise conflict("Already registered to the target session.", id=str(existing))
            rules = SessionRules.model_validate(target["rules"])
            required = domain.required_validations(rules, by_manager=_by_manager(row))
            pending = domain.carried_validations(required, row["validations_given"])
            moved = await _insert(
                db,
                target,
                actor,
                old.user,
                pending,
                force=False,
                now=now,
                requested_by=row["requested_by"],
                given=row["validations_given"],
            )
            change = replace(change, moved_to=(moved.id, moved.session_id))
            await _apply(db, source, row, [change], actor.sub, now)
            return moved

    async def _act(self, actor: Principal, reg_id: uuid.UUID, decide: Decide) -> Registration:
        """Lock the registration's session, decide with the domain, apply, promote, announce."""
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            found = await store.registration_by_id(db, reg_id)
            if found is None:
                raise not_found("registration", reg_id)
            session = await store.lock_session(db, found["session_id"])
            row = await store.registration_by_id(db, reg_id)  # as it is under the lock
            assert session is not None
            assert row is not None
            rights = _rights(actor, session, _registration(row).user)
            if not rights.may_read:
                raise forbidden("You may not act on this registration.")
            context = {**row, "_rules": SessionRules.model_validate(session["rules"])}
            changes = decided(lambda: decide(_state(row), rights, context))
            return await _apply(db, session, row, changes, actor.sub, now)

    # --- what catalog tells us -----------------------------------------------------------------

    async def replicate_session(self, event_id: str, event_type: str, data: SessionData) -> None:
        """catalog.session.* → the replica, by version: a stale or replayed event changes nothing.

        A raised `max_users` promotes the waitlist; a cancelled or deleted session ends every
        active registration — in the same transaction.
        """
        status = "deleted" if event_type == "catalog.session.deleted" else data.status
        values = store.session_values(data, status)
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, "registration.sessions", event_id):
                return
            if await store.insert_session_if_new(db, values):
                return
            session = await store.lock_session(db, data.id)
            assert session is not None
            if session["version"] >= data.version:
                return
            seats = domain.with_limit(store.seats_of(session), data.max_users)
            await store.update_session(
                db, data.id, {k: v for k, v in values.items() if k not in ("id", "max_users")}
            )
            if status in ("cancelled", "deleted"):
                reason = domain.SESSION_DELETED if status == "deleted" else domain.SESSION_CANCELLED
                for row in await store.active_registrations(db, data.id):
                    change = domain.end_with_session(_state(row), reason)
                    await _write(db, row, change, None, now)
                seats = domain.emptied(seats)
            else:
                seats = await _promote_waitlist(db, data.id, seats, None, now)
            await store.set_seats(db, data.id, seats)

    # --- expiry --------------------------------------------------------------------------------

    async def expire_due(self, now: datetime | None = None) -> int:
        """End every request whose confirmation deadline has passed; how many ended.

        Sessions another replica (or a request) holds right now are skipped: the next round
        takes them.
        """
        now = now or datetime.now(UTC)
        ended = 0
        async with transaction(self._sessions) as db:
            for session in await store.lock_sessions_with_due_requests(db, now, EXPIRY_BATCH):
                seats = store.seats_of(session)
                for due in await store.due_registrations(db, session["id"], now):
                    # as it is now: an earlier expiry of this round may have moved it up the line
                    row = await store.registration_by_id(db, due["id"])
                    assert row is not None
                    state = _state(row)
                    if not domain.is_due(state, row["expires_at"], now):
                        continue
                    change = domain.expire(state)
                    await _write(db, row, change, None, now)
                    seats = await _leave(db, session["id"], seats, change, now)
                    ended += 1
                seats = await _promote_waitlist(db, session["id"], seats, None, now)
                await store.set_seats(db, session["id"], seats)
        return ended


# --- the decision path -------------------------------------------------------------------------


def _closed(session_id: uuid.UUID, session: dict[str, Any] | None) -> Problem:
    if session is None or session["status"] == "deleted":
        return not_found("session", session_id)
    return conflict("The session is cancelled.", session_id=str(session_id))


async def _admit_all(
    db: AsyncSession, session: dict[str, Any], applicants: Sequence[Applicant], now: datetime
) -> list[Outcome]:
    """The one place new registrations are decided, on a session whose seat row the caller has
    locked: in arrival order, each against the seats the ones before it left.

    Everything that can refuse one request is checked before anything is written (rights,
    redelivery, an active registration, the same learner twice in the batch), so one caller's
    error never fails the others; then all rows and events go in a few statements.
    """
    rules = SessionRules.model_validate(session["rules"])
    outcomes: list[Outcome | None] = [None] * len(applicants)
    learners: dict[int, RegistrationUser] = {}
    for i, applicant in enumerate(applicants):
        try:
            _authorize(applicant.actor, session, rules, applicant.request)
        except Problem as problem:
            outcomes[i] = problem
            continue
        learners[i] = applicant.request.user or _self(applicant.actor)
    deliveries = {i: applicants[i].delivery_id for i in learners if applicants[i].delivery_id}
    if deliveries:
        first = await first_deliveries(db, store.inbox, COMMANDS_CONSUMER, deliveries.values())
        for i, delivery_id in deliveries.items():
            if delivery_id not in first:
                outcomes[i] = AlreadyHandled(delivery_id)
                del learners[i]
    existing = (
        await store.active_registration_ids(
            db, session["id"], [learner.id for learner in learners.values()]
        )
        if learners
        else {}
    )
    seats = store.seats_of(session)
    rows: list[dict[str, Any]] = []
    events: list[CloudEvent] = []
    commands: list[CloudEvent] = []
    refused_deliveries: list[str] = []
    for i, learner in learners.items():
        applicant = applicants[i]
        if learner.id in existing:
            outcomes[i] = conflict(
                "Already registered to this session.", id=str(existing[learner.id])
            )
            if applicant.delivery_id:
                refused_deliveries.append(applicant.delivery_id)
            continue
        request = applicant.request
        pending = domain.required_validations(rules, by_manager=request.user is not None)
        admission = domain.admit(seats, pending, force=request.force)
        seats = admission.seats
        token = secrets.token_urlsafe(32) if "user" in pending else None
        expires_at = domain.confirmation_deadline(now, rules) if token else None
        row = _new_row(
            session, learner, admission, pending, request.force, now, applicant.actor.sub
        )
        row["confirmation_hash"] = _digest(token) if token else None
        row["expires_at"] = expires_at
        existing[learner.id] = row["id"]
        rows.append(row)
        registration = _registration(row)
        outcomes[i] = registration
        rid = applicant.request_id
        events.append(_fact(SERVICE, "requested", registration, applicant.actor.sub, rid))
        if admission.status in ("confirmed", "waitlisted"):
            events.append(_fact(SERVICE, admission.status, registration, applicant.actor.sub, rid))
        if token and expires_at:
            command = SendConfirmation(
                registration=registration, token=token, expires_at=expires_at
            )
            commands.append(
                new_event(SERVICE, SEND_CONFIRMATION, command, subject=str(registration.id))
            )
    if rows:
        await store.set_seats(db, session["id"], seats)
        session["taken"], session["waitlisted"] = seats.taken, seats.waitlisted
        session["beyond_limit"] = seats.beyond_limit
        await store.insert_registrations(db, rows)
        await store.record_all(db, events, commands)
        await event_registrations.follow_new(db, rows, now)
    if refused_deliveries:  # as if never delivered: a redelivery is refused again
        await store.forget_commands(db, COMMANDS_CONSUMER, refused_deliveries)
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _new_row(
    session: dict[str, Any],
    learner: RegistrationUser,
    admission: domain.Admission,
    pending: list[ValidationStep],
    force: bool,
    now: datetime,
    requested_by: str | None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "session_id": session["id"],
        "training_id": session["training_id"],
        "user_id": learner.id,
        "user": learner.model_dump(mode="json"),
        "status": admission.status,
        "pending_validations": pending,
        "waitlist_position": admission.waitlist_position,
        "forced": force,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "requested_by": requested_by,
        "validations_given": [],
    }


async def _insert(
    db: AsyncSession,
    session: dict[str, Any],
    actor: Principal,
    learner: RegistrationUser,
    pending: list[ValidationStep],
    *,
    force: bool,
    now: datetime,
    requested_by: str | None,
    given: list[ValidationStep],
) -> Registration:
    rules = SessionRules.model_validate(session["rules"])
    seats = store.seats_of(session)
    admission = domain.admit(seats, pending, force=force)
    await store.set_seats(db, session["id"], admission.seats)
    session["taken"], session["waitlisted"] = admission.seats.taken, admission.seats.waitlisted
    session["beyond_limit"] = admission.seats.beyond_limit
    token = secrets.token_urlsafe(32) if "user" in pending else None
    expires_at = domain.confirmation_deadline(now, rules) if token else None
    row = await store.insert_registration(
        db,
        {
            "id": uuid.uuid4(),
            "session_id": session["id"],
            "training_id": session["training_id"],
            "user_id": learner.id,
            "user": learner.model_dump(mode="json"),
            "status": admission.status,
            "pending_validations": pending,
            "waitlist_position": admission.waitlist_position,
            "forced": force,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "requested_by": requested_by,
            "validations_given": given,
            "confirmation_hash": _digest(token) if token else None,
            "expires_at": expires_at,
        },
    )
    registration = _registration(row)
    await _announce(db, "requested", registration, actor.sub)
    if admission.status in ("confirmed", "waitlisted"):
        await _announce(db, admission.status, registration, actor.sub)
    await event_registrations.follow(db, row, None, actor.sub, now)
    if token and expires_at:
        command = SendConfirmation(registration=registration, token=token, expires_at=expires_at)
        await store.record_command(
            db, new_event(SERVICE, SEND_CONFIRMATION, command, subject=str(registration.id))
        )
    return registration


async def _apply(
    db: AsyncSession,
    session: dict[str, Any],
    row: dict[str, Any],
    changes: list[Change],
    actor: str | None,
    now: datetime,
) -> Registration:
    """Write each change of one registration, then hand every freed seat to the line."""
    seats = store.seats_of(session)
    for change in changes:
        row = await _write(db, row, change, actor, now)
        seats = await _leave(db, session["id"], seats, change, now)
    seats = await _promote_waitlist(db, session["id"], seats, actor, now)
    await store.set_seats(db, session["id"], seats)
    fresh = await store.registration_by_id(db, row["id"])
    assert fresh is not None
    return _registration(fresh)


async def _leave(
    db: AsyncSession, session_id: uuid.UUID, seats: Seats, change: Change, now: datetime
) -> Seats:
    if change.left_line_at is not None:
        await store.move_line_up(db, session_id, change.left_line_at, 1, now)
    return domain.release(seats, change)


async def _promote_waitlist(
    db: AsyncSession, session_id: uuid.UUID, seats: Seats, actor: str | None, now: datetime
) -> Seats:
    """Every free seat goes to the head of the line, in line order."""
    after, count = domain.promote_waitlist(seats)
    if count == 0:
        return seats
    for row in await store.head_of_line(db, session_id, count):
        await _write(db, row, domain.promote(_state(row)), actor, now)
    await store.move_line_up(db, session_id, count, count, now)
    return after


async def _write(
    db: AsyncSession, row: dict[str, Any], change: Change, actor: str | None, now: datetime
) -> dict[str, Any]:
    """One change: a new version of the row and one event per fact, in order."""
    after = change.after
    given = list(row["validations_given"])
    if change.step is not None:
        given.append(change.step)
    values: dict[str, Any] = {
        "status": after.status,
        "pending_validations": list(after.pending_validations),
        "waitlist_position": after.waitlist_position,
        "validations_given": given,
        "version": row["version"] + 1,
        "updated_at": now,
    }
    if not after.awaits_user:
        values["confirmation_hash"] = None
        values["expires_at"] = None
    updated = await store.update_registration(db, row["id"], values)
    registration = _registration(updated)
    for fact in change.facts:
        await _announce(
            db,
            fact,
            registration,
            actor,
            previous_status=change.before.status,
            reason=change.reason,
            step=change.step if fact == "validated" else None,
            moved_to=change.moved_to if fact == "moved" else None,
        )
    await event_registrations.follow(db, updated, change.before.status, actor, now)
    return updated


async def _announce(
    db: AsyncSession,
    fact: str,
    registration: Registration,
    actor: str | None,
    *,
    previous_status: RegistrationStatus | None = None,
    reason: str | None = None,
    step: ValidationStep | None = None,
    moved_to: tuple[uuid.UUID, uuid.UUID] | None = None,
) -> None:
    event = _fact(
        SERVICE,
        fact,
        registration,
        actor,
        request_id.get(),
        previous_status=previous_status,
        reason=reason,
        step=step,
        moved_to=moved_to,
    )
    await store.record_event(db, event)


def _fact(
    service: str,
    fact: str,
    registration: Registration,
    actor: str | None,
    rid: str | None,
    *,
    previous_status: RegistrationStatus | None = None,
    reason: str | None = None,
    step: ValidationStep | None = None,
    moved_to: tuple[uuid.UUID, uuid.UUID] | None = None,
) -> CloudEvent:
    data = RegistrationData(
        **registration.model_dump(),
        previous_status=previous_status,
        reason=reason,
        actor=actor,
        step=step,
        moved_to=MovedTo(id=moved_to[0], session_id=moved_to[1]) if moved_to else None,
    )
    return new_event(
        service, f"registration.{fact}", data, subject=str(registration.id), request_id=rid
    )


# --- helpers -----------------------------------------------------------------------------------


def _state(row: dict[str, Any]) -> State:
    return State(
        row["status"],
        tuple(row["pending_validations"]),
        row["waitlist_position"],
        row["forced"],
    )


def _by_manager(row: dict[str, Any]) -> bool:
    return row["requested_by"] is not None and row["requested_by"] != row["user_id"]


def _rights(actor: Principal, session: dict[str, Any], learner: RegistrationUser) -> Rights:
    rules = SessionRules.model_validate(session["rules"])
    return Rights(
        learner=actor.sub == learner.id,
        manager=actor.manages_training_of(session["organizations"]),
        organization_manager=not set(actor.managed_organizations).isdisjoint(learner.organizations),
        validator=actor.sub in rules.validators,
        tutor=actor.sub in session["tutors"],
        admin=actor.is_platform_admin,
    )


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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_matches(token: str, stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(_digest(token), stored)


def _registration(row: dict[str, Any]) -> Registration:
    return Registration.model_validate(row)


def problem_body(problem: Problem) -> dict[str, Any]:
    """A problem as the HTTP API would answer it (RFC 9457)."""
    kind = (
        "about:blank#validation"
        if problem.status == 422
        else (f"https://httpstatuses.io/{problem.status}")
    )
    return {
        "type": kind,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        **problem.extra,
    }
