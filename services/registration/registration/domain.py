"""Registration rules, free of I/O: the state machine of a session registration, who may move it,
which validations a request awaits, and how a session's seats and waitlist are allotted.

Every transition returns a `Change`: the state before and after and the facts it announces (one
`registration.<fact>` event each, in order). The service layer persists it and writes the events.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Literal

from shared.events import (
    EventRegistrationMode,
    EventRegistrationStatus,
    RegistrationStatus,
    SessionRules,
    ValidationStep,
)
from shared.refusals import Conflict, Forbidden

ACTIVE: Final[frozenset[RegistrationStatus]] = frozenset({"pending", "confirmed", "waitlisted"})
HOLDS_SEAT: Final[frozenset[RegistrationStatus]] = frozenset({"pending", "confirmed"})
FINAL: Final[frozenset[RegistrationStatus]] = frozenset({"refused", "cancelled", "expired"})
MANAGER_STEPS: Final[frozenset[ValidationStep]] = frozenset(
    {"organization", "registration", "validator"}
)

Fact = Literal[
    "requested",
    "confirmed",
    "waitlisted",
    "promoted",
    "validated",
    "refused",
    "cancelled",
    "expired",
    "moved",
]
StepRequest = Literal["organization", "registration", "validator", "all"]

SESSION_CANCELLED: Final = "session_cancelled"
SESSION_DELETED: Final = "session_deleted"
MOVED: Final = "moved"


# --- what a request awaits ---------------------------------------------------------------------


def required_validations(rules: SessionRules, *, by_manager: bool) -> list[ValidationStep]:
    """In order user → organization → registration (or validator when the session names some).

    A registration a manager or tutor makes for someone else keeps only the learner's own step.
    """
    steps: list[ValidationStep] = []
    if rules.user_validation:
        steps.append("user")
    if by_manager:
        return steps
    if rules.organization_validation:
        steps.append("organization")
    if rules.validators:
        steps.append("validator")
    elif rules.registration_validation:
        steps.append("registration")
    return steps


def carried_validations(
    required: Sequence[ValidationStep], given: Sequence[ValidationStep]
) -> list[ValidationStep]:
    """What a moved registration still awaits: the target's steps less those already given."""
    return [step for step in required if step not in given]


def confirmation_deadline(created: datetime, rules: SessionRules) -> datetime:
    return created + timedelta(hours=rules.confirmation_hours)


# --- who is asking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rights:
    """What the caller is to one registration (docs/reference/http.md, Who); platform_admin is
    everything."""

    learner: bool = False
    manager: bool = False  # manager of the training
    organization_manager: bool = False  # of the learner, as stored at registration
    validator: bool = False
    tutor: bool = False
    admin: bool = False

    @property
    def may_read(self) -> bool:
        return (
            self.learner
            or self.manager
            or self.organization_manager
            or self.validator
            or self.tutor
            or self.admin
        )

    def may_give(self, step: ValidationStep) -> bool:
        if self.admin:
            return True
        if step == "user":
            return self.learner
        if step == "organization":
            return self.organization_manager
        if step == "registration":
            return self.manager
        return self.validator


# --- the state machine -------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    status: RegistrationStatus
    pending_validations: tuple[ValidationStep, ...] = ()
    waitlist_position: int | None = None
    forced: bool = False

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def holds_seat(self) -> bool:
        return self.status in HOLDS_SEAT

    @property
    def awaits_user(self) -> bool:
        return self.active and "user" in self.pending_validations


@dataclass(frozen=True)
class Change:
    """One change of one registration (one `version`), and the facts it announces in order."""

    before: State
    after: State
    facts: tuple[Fact, ...]
    step: ValidationStep | None = None
    reason: str | None = None
    moved_to: tuple[uuid.UUID, uuid.UUID] | None = None
    """(new registration, its session) when the change is a move."""

    @property
    def frees_seat(self) -> bool:
        return self.before.holds_seat and not self.after.holds_seat

    @property
    def left_line_at(self) -> int | None:
        """The waitlist position this change vacated (the line behind it moves up)."""
        if self.before.status == "waitlisted" and self.after.status != "waitlisted":
            return self.before.waitlist_position
        return None


def _seated(pending: Sequence[ValidationStep]) -> RegistrationStatus:
    return "pending" if pending else "confirmed"


def _ensure_active(state: State) -> None:
    if not state.active:
        raise Conflict(f"The registration is {state.status}.")


def _give(state: State, step: ValidationStep) -> Change:
    pending = tuple(s for s in state.pending_validations if s != step)
    status: RegistrationStatus = state.status
    facts: tuple[Fact, ...] = ("validated",)
    if state.status == "pending" and not pending:
        status = "confirmed"
        facts = ("validated", "confirmed")
    after = replace(state, status=status, pending_validations=pending)
    return Change(state, after, facts, step=step)


def confirm(state: State, rights: Rights) -> Change:
    """The learner confirms their own request (the token is checked by the caller)."""
    if not rights.learner:
        raise Forbidden("Only the learner confirms their own registration.")
    _ensure_active(state)
    if "user" not in state.pending_validations:
        raise Conflict("The registration awaits no confirmation from the learner.")
    return _give(state, "user")


def validate(state: State, step: StepRequest, rights: Rights) -> list[Change]:
    """Give one validation step, or with `all` (platform_admin) every remaining one in order."""
    if step == "all":
        if not rights.admin:
            raise Forbidden("Only a platform admin gives every validation at once.")
        _ensure_active(state)
        if not state.pending_validations:
            raise Conflict("The registration awaits no validation.")
        changes: list[Change] = []
        for pending in state.pending_validations:
            change = _give(state, pending)
            changes.append(change)
            state = change.after
        return changes
    if not rights.may_give(step):
        raise Forbidden(f"You may not give the {step} validation of this registration.")
    _ensure_active(state)
    if "user" in state.pending_validations:
        raise Conflict("The learner has not confirmed the registration yet.")
    if step not in state.pending_validations:
        raise Conflict(f"The registration does not await the {step} validation.")
    return [_give(state, step)]


def refuse(state: State, rights: Rights, reason: str | None = None) -> Change:
    """Anyone entitled to a pending step, or a manager, ends the request `refused`."""
    entitled = rights.manager or rights.admin
    entitled = entitled or any(rights.may_give(step) for step in state.pending_validations)
    if not entitled:
        raise Forbidden("Only a manager or someone a validation awaits may refuse it.")
    _ensure_active(state)
    if not state.pending_validations:
        raise Conflict("The registration awaits no validation: cancel it instead.")
    return _end(state, "refused", reason)


def cancel(state: State, rights: Rights, rules: SessionRules, reason: str | None = None) -> Change:
    """The learner where the session allows unregistration, or a manager."""
    learner_may = rights.learner and rules.public_unregistration
    if not (learner_may or rights.manager or rights.admin):
        raise Forbidden("This registration may only be cancelled by a manager.")
    _ensure_active(state)
    return _end(state, "cancelled", reason)


def end_with_session(state: State, reason: str) -> Change:
    """A cancelled or deleted session ends each of its active registrations."""
    _ensure_active(state)
    return _end(state, "cancelled", reason)


def move_out(state: State, rights: Rights) -> Change:
    """The old side of a move; the service creates the new one in the target session."""
    if not (rights.manager or rights.admin):
        raise Forbidden("Only a manager moves a registration.")
    _ensure_active(state)
    change = _end(state, "cancelled", MOVED)
    return replace(change, facts=("cancelled", "moved"))


def is_due(state: State, deadline: datetime | None, now: datetime) -> bool:
    return state.awaits_user and deadline is not None and now >= deadline


def expire(state: State) -> Change:
    """An unconfirmed request past its deadline."""
    if not state.awaits_user:
        raise Conflict("Only a request awaiting the learner's confirmation expires.")
    return _end(state, "expired", None)


def promote(state: State) -> Change:
    """The head of the line takes a freed seat: `pending`, or `confirmed` if nothing remains."""
    if state.status != "waitlisted":
        raise Conflict("Only a waitlisted registration is promoted.")
    status = _seated(state.pending_validations)
    after = replace(state, status=status, waitlist_position=None)
    facts: tuple[Fact, ...] = ("promoted", "confirmed") if status == "confirmed" else ("promoted",)
    return Change(state, after, facts)


def _end(state: State, status: RegistrationStatus, reason: str | None) -> Change:
    after = replace(state, status=status, waitlist_position=None)
    return Change(state, after, (_ENDINGS[status],), reason=reason)


_ENDINGS: Final[dict[RegistrationStatus, Fact]] = {
    "refused": "refused",
    "cancelled": "cancelled",
    "expired": "expired",
}


# --- seats and the waitlist --------------------------------------------------------------------


@dataclass(frozen=True)
class Seats:
    """A session's seats as registration counts them.

    `taken` = pending + confirmed. `beyond_limit` = seats held over `max_users` that the limit
    allows (forced registrations, or seats held before `max_users` was lowered); it only shrinks
    as holders leave. The database checks `taken - beyond_limit <= max_users`.
    """

    max_users: int | None
    taken: int
    waitlisted: int
    beyond_limit: int = 0

    @property
    def free(self) -> int | None:
        return None if self.max_users is None else max(self.max_users - self.taken, 0)

    @property
    def has_free_seat(self) -> bool:
        return self.free is None or self.free > 0


@dataclass(frozen=True)
class Admission:
    status: RegistrationStatus
    waitlist_position: int | None
    seats: Seats


def admit(seats: Seats, pending: Sequence[ValidationStep], *, force: bool = False) -> Admission:
    """A newcomer takes a free seat only when nobody waits; otherwise joins the end of the line.

    A forced registration (managers) takes a seat at once, beyond `max_users` when it must.
    """
    status = _seated(pending)
    if seats.waitlisted == 0 and seats.has_free_seat:
        return Admission(status, None, replace(seats, taken=seats.taken + 1))
    if force:
        beyond = seats.beyond_limit + (0 if seats.has_free_seat else 1)
        return Admission(status, None, replace(seats, taken=seats.taken + 1, beyond_limit=beyond))
    position = seats.waitlisted + 1
    return Admission("waitlisted", position, replace(seats, waitlisted=position))


def release(seats: Seats, change: "Change | EventChange") -> Seats:
    """The seats (of a session or an event) after `change` let a registration go (from a seat
    or from the line)."""
    if change.frees_seat:
        taken = seats.taken - 1
        over = 0 if seats.max_users is None else max(taken - seats.max_users, 0)
        return replace(seats, taken=taken, beyond_limit=min(seats.beyond_limit, over))
    if change.left_line_at is not None:
        return replace(seats, waitlisted=seats.waitlisted - 1)
    return seats


def with_limit(seats: Seats, max_users: int | None) -> Seats:
    """The catalog changed `max_users`: seats already held stay held, even over a lower limit."""
    over = 0 if max_users is None else max(seats.taken - max_users, 0)
    return replace(seats, max_users=max_users, beyond_limit=over)


def promote_waitlist(seats: Seats) -> tuple[Seats, int]:
    """How many from the head of the line take the free seats now, and the seats after."""
    count = seats.waitlisted if seats.free is None else min(seats.free, seats.waitlisted)
    return replace(seats, taken=seats.taken + count, waitlisted=seats.waitlisted - count), count


def emptied(seats: Seats) -> Seats:
    """Every active registration of the session ended (session cancelled or deleted)."""
    return replace(seats, taken=0, waitlisted=0, beyond_limit=0)


# --- event registrations -----------------------------------------------------------------------
#
# A learner's place at one event (séance) of their session. An event has its own seats
# (`max_users`) and its own gap-free line; the counters reuse `Seats` (`taken` = registered).

EVENT_ACTIVE: Final[frozenset[EventRegistrationStatus]] = frozenset({"registered", "waitlisted"})
EventFact = Literal["registered", "waitlisted", "promoted", "cancelled"]
EVENT_DELETED: Final = "event_deleted"


def session_registration_ended(status: RegistrationStatus) -> str:
    """The reason an event registration ends when its session registration does."""
    return f"registration_{status}"


@dataclass(frozen=True)
class EventRights:
    """What the caller is to one event registration; platform_admin is everything."""

    learner: bool = False
    manager: bool = False  # manager of the event's training
    tutor: bool = False  # tutor of the event's session
    admin: bool = False

    @property
    def staff(self) -> bool:
        return self.manager or self.tutor or self.admin

    @property
    def may_read(self) -> bool:
        return self.learner or self.staff


@dataclass(frozen=True)
class EventState:
    status: EventRegistrationStatus
    waitlist_position: int | None = None

    @property
    def active(self) -> bool:
        return self.status in EVENT_ACTIVE


@dataclass(frozen=True)
class EventChange:
    """One change of one event registration (one `version`) and the fact it announces."""

    before: EventState | None  # None: a new registration
    after: EventState
    fact: EventFact
    reason: str | None = None

    @property
    def frees_seat(self) -> bool:
        return (
            self.before is not None
            and self.before.status == "registered"
            and (self.after.status != "registered")
        )

    @property
    def left_line_at(self) -> int | None:
        before = self.before
        if before is None or before.status != "waitlisted":
            return None
        if self.after.status != "waitlisted":
            return before.waitlist_position
        return None


def may_register_to_event(mode: EventRegistrationMode, rights: EventRights) -> None:
    """Managers and tutors register learners to `manual` and `public` events; a learner
    registers themself to a `public` one. `auto` events follow the session's confirmed learners.
    """
    if rights.staff:
        if mode == "auto":
            raise Conflict("Registrations to an auto event follow the session: none by hand.")
        return
    if not rights.learner:
        raise Forbidden("Only a manager or tutor of the session registers someone else.")
    if mode != "public":
        raise Forbidden("This event does not take registrations from learners.")


def join_event(seats: Seats) -> tuple[EventChange, Seats]:
    """A newcomer takes a free seat when nobody waits; otherwise joins the end of the line."""
    admission = admit(seats, ())
    if admission.status == "waitlisted":
        after = EventState("waitlisted", admission.waitlist_position)
        return EventChange(None, after, "waitlisted"), admission.seats
    return EventChange(None, EventState("registered"), "registered"), admission.seats


def cancel_event_registration(
    state: EventState, rights: EventRights, mode: EventRegistrationMode, reason: str | None
) -> EventChange:
    """Managers and tutors cancel any; the learner their own on a `public` event."""
    if not (rights.staff or (rights.learner and mode == "public")):
        raise Forbidden("Only a manager or tutor of the session cancels this registration.")
    return end_event_registration(state, reason)


def end_event_registration(state: EventState, reason: str | None) -> EventChange:
    """The event is deleted, or the learner's session registration ended."""
    if not state.active:
        raise Conflict(f"The event registration is {state.status}.")
    return EventChange(state, EventState("cancelled"), "cancelled", reason)


def promote_to_event(state: EventState) -> EventChange:
    if state.status != "waitlisted":
        raise Conflict("Only a waitlisted event registration is promoted.")
    return EventChange(state, EventState("registered"), "promoted")


def registers_automatically(mode: EventRegistrationMode, end: datetime, now: datetime) -> bool:
    """An `auto` event that has not ended takes every confirmed learner of its session."""
    return mode == "auto" and end > now


# --- curricula ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurriculumNode:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    blocking: bool
    training_ids: tuple[uuid.UUID, ...]


def curriculum_trainings(root: uuid.UUID, nodes: Sequence[CurriculumNode]) -> list[uuid.UUID]:
    """The trainings of `root` and its descendants, depth first in the order `nodes` come,
    each once. A `blocking` descendant and everything below it are left out; `root` itself
    counts even when it is blocking."""
    children: dict[uuid.UUID | None, list[CurriculumNode]] = {}
    by_id = {node.id: node for node in nodes}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    found: list[uuid.UUID] = []
    seen: set[uuid.UUID] = set()
    stack = [by_id[root]] if root in by_id else []
    while stack:
        node = stack.pop()
        if node.id in seen:  # a cycle cannot happen in the catalog; never loop on one anyway
            continue
        seen.add(node.id)
        found.extend(node.training_ids)
        below = [child for child in children.get(node.id, []) if not child.blocking]
        stack.extend(reversed(below))
    return list(dict.fromkeys(found))
