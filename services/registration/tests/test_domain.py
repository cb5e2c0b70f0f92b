"""The registration state machine and seat allotment, without I/O."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from registration.domain import (
    Change,
    Rights,
    Seats,
    State,
    admit,
    cancel,
    carried_validations,
    confirm,
    confirmation_deadline,
    emptied,
    end_with_session,
    expire,
    is_due,
    move_out,
    promote,
    promote_waitlist,
    refuse,
    release,
    required_validations,
    validate,
    with_limit,
)

from shared.events import SessionRules, ValidationStep
from shared.refusals import Conflict, Forbidden, Refusal

pytestmark = pytest.mark.unit

LEARNER = Rights(learner=True)
MANAGER = Rights(manager=True)
ORG_MANAGER = Rights(organization_manager=True)
VALIDATOR = Rights(validator=True)
TUTOR = Rights(tutor=True)
ADMIN = Rights(admin=True)
NOBODY = Rights()
EVERY_RIGHTS = (LEARNER, MANAGER, ORG_MANAGER, VALIDATOR, TUTOR, ADMIN, NOBODY)


def rules(**values: object) -> SessionRules:
    return SessionRules.model_validate(values)


# --- validations decided at creation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "by_manager", "expected"),
    [
        ({}, False, []),
        ({"user_validation": True}, False, ["user"]),
        (
            {
                "user_validation": True,
                "organization_validation": True,
                "registration_validation": True,
            },
            False,
            ["user", "organization", "registration"],
        ),
        ({"registration_validation": True, "validators": ["v1"]}, False, ["validator"]),
        ({"validators": ["v1"]}, False, ["validator"]),
        (
            {"user_validation": True, "organization_validation": True, "validators": ["v1"]},
            True,
            ["user"],
        ),
        ({"organization_validation": True}, True, []),
    ],
)
def test_validations_are_decided_in_order(
    values: dict[str, object], by_manager: bool, expected: list[str]
) -> None:
    assert required_validations(rules(**values), by_manager=by_manager) == expected


@given(
    user=st.booleans(),
    organization=st.booleans(),
    registration=st.booleans(),
    validators=st.lists(st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True), max_size=2),
    by_manager=st.booleans(),
)
def test_validation_order_is_always_a_subsequence_of_the_canonical_order(
    user: bool, organization: bool, registration: bool, validators: list[str], by_manager: bool
) -> None:
    steps = required_validations(
        rules(
            user_validation=user,
            organization_validation=organization,
            registration_validation=registration,
            validators=validators,
        ),
        by_manager=by_manager,
    )
    canonical = ["user", "organization", "registration", "validator"]
    assert steps == sorted(steps, key=canonical.index)
    assert not ("registration" in steps and "validator" in steps)
    assert ("user" in steps) == user
    if by_manager:
        assert set(steps) <= {"user"}


def test_a_move_keeps_the_validations_given() -> None:
    required: list[ValidationStep] = ["user", "organization", "registration"]
    assert carried_validations(required, ["user", "organization"]) == ["registration"]


def test_the_confirmation_deadline_counts_fractional_hours() -> None:
    created = datetime(2027, 1, 1, tzinfo=UTC)
    deadline = confirmation_deadline(created, rules(confirmation_hours=0.5))
    assert deadline == created + timedelta(minutes=30)


# --- confirm and validate ---------------------------------------------------------------------


def test_the_learner_confirms_and_a_last_step_confirms_the_registration() -> None:
    change = confirm(State("pending", ("user",)), LEARNER)
    assert change.after == State("confirmed", ())
    assert change.facts == ("validated", "confirmed")
    assert change.step == "user"


def test_confirming_leaves_the_other_steps_pending() -> None:
    change = confirm(State("pending", ("user", "organization")), LEARNER)
    assert change.after.status == "pending"
    assert change.after.pending_validations == ("organization",)
    assert change.facts == ("validated",)


@pytest.mark.parametrize("rights", [MANAGER, ORG_MANAGER, VALIDATOR, TUTOR, ADMIN, NOBODY])
def test_only_the_learner_confirms(rights: Rights) -> None:
    with pytest.raises(Forbidden):
        confirm(State("pending", ("user",)), rights)


def test_confirming_twice_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        confirm(State("confirmed", ()), LEARNER)


@pytest.mark.parametrize(
    ("step", "entitled"),
    [
        ("organization", ORG_MANAGER),
        ("registration", MANAGER),
        ("validator", VALIDATOR),
    ],
)
def test_each_step_has_its_own_giver(step: ValidationStep, entitled: Rights) -> None:
    state = State("pending", (step,))
    assert validate(state, step, entitled)[0].after.status == "confirmed"  # type: ignore[arg-type]
    assert validate(state, step, ADMIN)[0].after.status == "confirmed"  # type: ignore[arg-type]
    for rights in EVERY_RIGHTS:
        if rights in (entitled, ADMIN):
            continue
        with pytest.raises(Forbidden):
            validate(state, step, rights)  # type: ignore[arg-type]


@pytest.mark.parametrize("step", ["organization", "registration", "validator"])
def test_manager_steps_wait_for_the_learner(step: ValidationStep) -> None:
    state = State("pending", ("user", step))
    with pytest.raises(Conflict):
        validate(state, step, ADMIN)  # type: ignore[arg-type]


def test_all_gives_every_remaining_step_one_change_each() -> None:
    state = State("pending", ("user", "organization", "registration"))
    changes = validate(state, "all", ADMIN)
    assert [c.step for c in changes] == ["user", "organization", "registration"]
    assert [c.facts for c in changes] == [
        ("validated",),
        ("validated",),
        ("validated", "confirmed"),
    ]
    assert changes[-1].after == State("confirmed", ())


@pytest.mark.parametrize("rights", [MANAGER, ORG_MANAGER, VALIDATOR, LEARNER, NOBODY])
def test_only_a_platform_admin_gives_all(rights: Rights) -> None:
    with pytest.raises(Forbidden):
        validate(State("pending", ("registration",)), "all", rights)


def test_a_step_not_awaited_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        validate(State("pending", ("organization",)), "registration", MANAGER)


def test_validations_are_given_while_waitlisted() -> None:
    state = State("waitlisted", ("registration",), waitlist_position=3)
    change = validate(state, "registration", MANAGER)[0]
    assert change.after == State("waitlisted", (), waitlist_position=3)
    assert change.facts == ("validated",)
    assert not change.frees_seat
    assert change.left_line_at is None


# --- refuse, cancel, expire, move ---------------------------------------------------------------


def test_anyone_entitled_to_a_pending_step_refuses() -> None:
    state = State("pending", ("organization",))
    assert refuse(state, ORG_MANAGER, "no budget").after.status == "refused"
    assert refuse(state, MANAGER).after.status == "refused"
    with pytest.raises(Forbidden):
        refuse(state, VALIDATOR)


def test_a_refusal_frees_the_seat_and_carries_its_reason() -> None:
    change = refuse(State("pending", ("registration",)), MANAGER, "full house")
    assert change.frees_seat
    assert change.reason == "full house"
    assert change.facts == ("refused",)


def test_nothing_to_refuse_once_confirmed() -> None:
    with pytest.raises(Conflict):
        refuse(State("confirmed", ()), MANAGER)


def test_the_learner_cancels_only_where_unregistration_is_public() -> None:
    state = State("confirmed", ())
    assert cancel(state, LEARNER, rules(public_unregistration=True)).after.status == "cancelled"
    with pytest.raises(Forbidden):
        cancel(state, LEARNER, rules(public_unregistration=False))
    for rights in (TUTOR, VALIDATOR, ORG_MANAGER, NOBODY):
        with pytest.raises(Refusal):
            cancel(state, rights, rules(public_unregistration=True))
    assert cancel(state, MANAGER, rules()).frees_seat


def test_leaving_the_line_vacates_a_position() -> None:
    change = cancel(State("waitlisted", (), 4), MANAGER, rules())
    assert change.left_line_at == 4
    assert not change.frees_seat
    assert change.after.waitlist_position is None


@pytest.mark.parametrize("status", ["refused", "cancelled", "expired"])
def test_final_states_are_final(status: str) -> None:
    state = State(status, ("user",))  # type: ignore[arg-type]
    actions: list[Callable[[], object]] = [
        lambda: confirm(state, LEARNER),
        lambda: validate(state, "all", ADMIN),
        lambda: refuse(state, MANAGER),
        lambda: cancel(state, MANAGER, rules()),
        lambda: move_out(state, MANAGER),
        lambda: expire(state),
        lambda: end_with_session(state, "session_cancelled"),
        lambda: promote(state),
    ]
    for action in actions:
        with pytest.raises(Conflict):
            action()


def test_only_requests_awaiting_the_learner_expire() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    waiting = State("waitlisted", ("user",), 2)
    assert is_due(waiting, now, now)
    assert not is_due(waiting, now + timedelta(seconds=1), now)
    assert not is_due(State("pending", ("organization",)), now, now)
    assert expire(waiting).left_line_at == 2
    assert expire(State("pending", ("user",))).frees_seat
    with pytest.raises(Refusal):
        expire(State("pending", ("registration",)))


def test_a_move_cancels_the_old_one_with_reason_moved() -> None:
    change = move_out(State("confirmed", ()), MANAGER)
    assert change.after.status == "cancelled"
    assert change.reason == "moved"
    assert change.facts == ("cancelled", "moved")
    with pytest.raises(Forbidden):
        move_out(State("confirmed", ()), TUTOR)


def test_promotion_confirms_when_nothing_remains() -> None:
    assert promote(State("waitlisted", (), 1)).facts == ("promoted", "confirmed")
    change = promote(State("waitlisted", ("registration",), 1))
    assert change.after == State("pending", ("registration",))
    assert change.facts == ("promoted",)


# --- seats --------------------------------------------------------------------------------------


def test_a_free_seat_is_taken() -> None:
    admission = admit(Seats(max_users=2, taken=1, waitlisted=0), [])
    assert admission.status == "confirmed"
    assert admission.seats == Seats(2, 2, 0)


def test_pending_validations_still_hold_a_seat() -> None:
    admission = admit(Seats(max_users=2, taken=0, waitlisted=0), ["user"])
    assert admission.status == "pending"
    assert admission.waitlist_position is None


def test_a_full_session_waitlists_at_the_end_of_the_line() -> None:
    admission = admit(Seats(max_users=2, taken=2, waitlisted=3), [])
    assert admission.status == "waitlisted"
    assert admission.waitlist_position == 4


def test_nobody_jumps_the_line_even_when_a_seat_shows_free() -> None:
    admission = admit(Seats(max_users=2, taken=1, waitlisted=1), [])
    assert admission.status == "waitlisted"
    assert admission.waitlist_position == 2


def test_unlimited_sessions_never_waitlist() -> None:
    assert admit(Seats(max_users=None, taken=10_000, waitlisted=0), []).status == "confirmed"


def test_force_takes_a_seat_beyond_the_limit() -> None:
    admission = admit(Seats(2, 2, 5), [], force=True)
    assert admission.status == "confirmed"
    assert admission.seats == Seats(2, 3, 5, beyond_limit=1)


def test_a_lowered_limit_keeps_the_seats_held() -> None:
    assert with_limit(Seats(5, 4, 0), 2) == Seats(2, 4, 0, beyond_limit=2)
    assert with_limit(Seats(2, 4, 0, 2), None) == Seats(None, 4, 0, 0)


def test_raising_the_limit_promotes_the_head_of_the_line() -> None:
    seats, promoted = promote_waitlist(with_limit(Seats(2, 2, 5), 4))
    assert promoted == 2
    assert seats == Seats(4, 4, 3)


def test_a_session_ending_empties_its_seats() -> None:
    assert emptied(Seats(3, 3, 2, 1)) == Seats(3, 0, 0, 0)


# --- the invariants under any sequence of operations (a model of the store's bookkeeping) -------


@dataclass
class Book:
    """One session: the store's renumbering and promotion, applied with the domain's rules."""

    seats: Seats
    states: dict[int, State] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)  # arrival order
    next_id: int = 0

    def line(self) -> list[int]:
        waiting = [i for i, s in self.states.items() if s.status == "waitlisted"]
        return sorted(waiting, key=lambda i: self.states[i].waitlist_position or 0)

    def add(self, pending: list[ValidationStep], force: bool) -> None:
        admission = admit(self.seats, pending, force=force)
        self.seats = admission.seats
        self.states[self.next_id] = State(
            admission.status, tuple(pending), admission.waitlist_position, force
        )
        self.order.append(self.next_id)
        self.next_id += 1

    def apply(self, reg: int, change: Change) -> None:
        self.states[reg] = change.after
        self.seats = release(self.seats, change)
        if change.left_line_at is not None:
            self._shift_after(change.left_line_at, 1)
        self.promote()

    def promote(self) -> None:
        self.seats, count = promote_waitlist(self.seats)
        for reg in self.line()[:count]:
            self.states[reg] = promote(self.states[reg]).after
        self._shift_after(count, count)

    def _shift_after(self, position: int, by: int) -> None:
        for reg, state in self.states.items():
            if state.status == "waitlisted" and (state.waitlist_position or 0) > position:
                self.states[reg] = State(
                    state.status,
                    state.pending_validations,
                    (state.waitlist_position or 0) - by,
                    state.forced,
                )


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = Book(Seats(3, 0, 0))

    @rule(
        pending=st.lists(st.sampled_from(["user", "registration"]), unique=True),
        force=st.booleans(),
    )
    def register(self, pending: list[ValidationStep], force: bool) -> None:
        self.book.add(pending, force)

    def _active(self) -> list[int]:
        return [i for i, s in self.book.states.items() if s.active]

    @precondition(lambda self: self._active())
    @rule(data=st.data())
    def cancel_one(self, data: st.DataObject) -> None:
        reg = data.draw(st.sampled_from(self._active()))
        self.book.apply(reg, cancel(self.book.states[reg], MANAGER, rules()))

    @precondition(lambda self: any(s.awaits_user for s in self.book.states.values()))
    @rule(data=st.data())
    def expire_one(self, data: st.DataObject) -> None:
        due = [i for i, s in self.book.states.items() if s.awaits_user]
        reg = data.draw(st.sampled_from(due))
        self.book.apply(reg, expire(self.book.states[reg]))

    @precondition(lambda self: any(s.awaits_user for s in self.book.states.values()))
    @rule(data=st.data())
    def confirm_one(self, data: st.DataObject) -> None:
        due = [i for i, s in self.book.states.items() if s.awaits_user]
        reg = data.draw(st.sampled_from(due))
        self.book.apply(reg, confirm(self.book.states[reg], LEARNER))

    @rule(max_users=st.none() | st.integers(1, 6))
    def change_limit(self, max_users: int | None) -> None:
        self.book.seats = with_limit(self.book.seats, max_users)
        self.book.promote()

    @invariant()
    def seats_match_the_registrations(self) -> None:
        states = self.book.states.values()
        assert self.book.seats.taken == sum(s.holds_seat for s in states)
        assert self.book.seats.waitlisted == sum(s.status == "waitlisted" for s in states)

    @invariant()
    def never_more_seats_than_the_limit_beside_the_allowed_excess(self) -> None:
        seats = self.book.seats
        if seats.max_users is not None:
            assert seats.taken - seats.beyond_limit <= seats.max_users
            assert seats.beyond_limit >= 0

    @invariant()
    def the_line_is_gap_free_in_arrival_order(self) -> None:
        line = self.book.line()
        positions = [self.book.states[i].waitlist_position for i in line]
        assert positions == list(range(1, len(line) + 1))
        assert line == [i for i in self.book.order if i in line]  # nobody overtakes

    @invariant()
    def nobody_waits_while_a_seat_is_free(self) -> None:
        if self.book.seats.waitlisted:
            assert not self.book.seats.has_free_seat

    @invariant()
    def held_seats_have_no_position(self) -> None:
        for state in self.book.states.values():
            assert (state.waitlist_position is not None) == (state.status == "waitlisted")


TestSessionMachine = SessionMachine.TestCase


@given(max_users=st.integers(min_value=1, max_value=50), arrivals=st.integers(0, 200))
def test_sequential_arrivals_never_oversell_and_keep_a_gap_free_line(
    max_users: int, arrivals: int
) -> None:
    seats = Seats(max_users, 0, 0)
    positions = []
    for _ in range(arrivals):
        admission = admit(seats, [])
        seats = admission.seats
        if admission.waitlist_position is not None:
            positions.append(admission.waitlist_position)
    assert seats.taken == min(arrivals, max_users)
    assert positions == list(range(1, len(positions) + 1))


@given(
    pending=st.lists(
        st.sampled_from(["user", "organization", "registration", "validator"]), unique=True
    ),
    waitlisted=st.booleans(),
)
def test_all_always_ends_with_nothing_pending_and_one_event_per_step(
    pending: list[ValidationStep], waitlisted: bool
) -> None:
    steps = tuple(pending)
    state = State("waitlisted", steps, 1) if waitlisted else State("pending", steps)
    if not pending:
        with pytest.raises(Refusal):
            validate(state, "all", ADMIN)
        return
    changes = validate(state, "all", ADMIN)
    assert [c.step for c in changes] == pending
    assert changes[-1].after.pending_validations == ()
    expected = "waitlisted" if waitlisted else "confirmed"
    assert changes[-1].after.status == expected
    assert sum(c.facts.count("confirmed") for c in changes) == (0 if waitlisted else 1)
