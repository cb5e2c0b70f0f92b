"""Registration rules, free of I/O: the state machine of a session registration, who may move it,
which validations a request awaits, and how a session's seats and waitlist are allotted (seats
offered to the head of the line for `waitlist_offer_hours` are `registration.offers`).

Every transition returns a `Change`: the state before and after and the facts it announces (one
`registration.<fact>` event each, in order). The service layer persists it and writes the events.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Literal, Protocol

from shared.events import (
    RegistrationStatus,
    SessionRules,
    ValidationStep,
)
from shared.refusals import Conflict, Forbidden

ACTIVE: Final[frozenset[RegistrationStatus]] = frozenset(
    {"pending", "confirmed", "waitlisted", "offered"}
)
HOLDS_SEAT: Final[frozenset[RegistrationStatus]] = frozenset({"pending", "confirmed", "offered"})
FINAL: Final[frozenset[RegistrationStatus]] = frozenset({"refused", "cancelled", "expired"})
MANAGER_STEPS: Final[frozenset[ValidationStep]] = frozenset(
    {"organization", "registration", "validator"}
)

Fact = Literal[
    "requested",
    "confirmed",
    "waitlisted",
    "offered",
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

    @property
    def may_answer_offer(self) -> bool:
        """Accept or decline a seat offered: the learner, or a manager for them."""
        return self.learner or self.manager or self.admin

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
    offer_expires_at: datetime | None = None
    """The deadline of the seat an `offer` holds for the registration."""

    @property
    def frees_seat(self) -> bool:
        return self.before.holds_seat and not self.after.holds_seat

    def offer_expires_after(self, current: datetime | None) -> datetime | None:
        """The registration's `offer_expires_at` after this change, `current` before it: set by
        an offer, kept while still offered (a validation given meanwhile), gone once not."""
        if self.offer_expires_at is not None:
            return self.offer_expires_at
        return current if self.after.status == "offered" else None

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
    return end_as(state, "refused", reason)


def cancel(state: State, rights: Rights, rules: SessionRules, reason: str | None = None) -> Change:
    """The learner where the session allows unregistration, or a manager."""
    learner_may = rights.learner and rules.public_unregistration
    if not (learner_may or rights.manager or rights.admin):
        raise Forbidden("This registration may only be cancelled by a manager.")
    _ensure_active(state)
    return end_as(state, "cancelled", reason)


def end_with_session(state: State, reason: str) -> Change:
    """A cancelled or deleted session ends each of its active registrations."""
    _ensure_active(state)
    return end_as(state, "cancelled", reason)


def move_out(state: State, rights: Rights) -> Change:
    """The old side of a move; the service creates the new one in the target session."""
    if not (rights.manager or rights.admin):
        raise Forbidden("Only a manager moves a registration.")
    _ensure_active(state)
    change = end_as(state, "cancelled", MOVED)
    return replace(change, facts=("cancelled", "moved"))


def is_due(state: State, deadline: datetime | None, now: datetime) -> bool:
    return state.awaits_user and deadline is not None and now >= deadline


def expire(state: State) -> Change:
    """An unconfirmed request past its deadline."""
    if not state.awaits_user:
        raise Conflict("Only a request awaiting the learner's confirmation expires.")
    return end_as(state, "expired", None)


def promote(state: State) -> Change:
    """The head of the line takes a freed seat: `pending`, or `confirmed` if nothing remains."""
    if state.status != "waitlisted":
        raise Conflict("Only a waitlisted registration is promoted.")
    return take_seat(state)


def take_seat(state: State) -> Change:
    """A seat taken: `pending`, or `confirmed` if nothing remains (facts promoted[, confirmed])."""
    status = _seated(state.pending_validations)
    after = replace(state, status=status, waitlist_position=None)
    facts: tuple[Fact, ...] = ("promoted", "confirmed") if status == "confirmed" else ("promoted",)
    return Change(state, after, facts)


def end_as(state: State, status: RegistrationStatus, reason: str | None) -> Change:
    """The registration ends `status` (refused, cancelled or expired), leaving seat or line."""
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

    `taken` = pending + confirmed + offered. `beyond_limit` = seats held over `max_users` that
    the limit allows (forced registrations, or seats held before `max_users` was lowered); it
    only shrinks as holders leave. The database checks `taken - beyond_limit <= max_users`.
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
    # the seats built whole, not by `dataclasses.replace`: this runs once per request at peak
    # enrollment, and `replace` walks the dataclass's fields each time
    status = _seated(pending)
    limit, taken, waitlisted = seats.max_users, seats.taken, seats.waitlisted
    beyond = seats.beyond_limit
    if waitlisted == 0 and seats.has_free_seat:
        return Admission(status, None, Seats(limit, taken + 1, waitlisted, beyond))
    if force:
        beyond += 0 if seats.has_free_seat else 1
        return Admission(status, None, Seats(limit, taken + 1, waitlisted, beyond))
    return Admission("waitlisted", waitlisted + 1, Seats(limit, taken, waitlisted + 1, beyond))


class Leaving(Protocol):
    """A change that may let a registration go: a session's `Change` or an event's."""

    @property
    def frees_seat(self) -> bool: ...

    @property
    def left_line_at(self) -> int | None: ...


def release(seats: Seats, change: Leaving) -> Seats:
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
