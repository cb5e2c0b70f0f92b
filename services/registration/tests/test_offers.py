"""Seats offered from the waitlist (sessions with `waitlist_offer_hours`), without I/O."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from registration.domain import (
    ACTIVE,
    FINAL,
    HOLDS_SEAT,
    Change,
    Rights,
    Seats,
    State,
    admit,
    cancel,
    confirm,
    expire,
    move_out,
    promote,
    promote_waitlist,
    refuse,
    release,
    validate,
    with_limit,
)
from registration.offers import (
    OFFER_DECLINED,
    OFFER_EXPIRED,
    Handout,
    accept,
    decline,
    expire_offer,
    hand_out,
    offer,
    offer_is_due,
    seat_for_head,
)

from shared.events import SessionRules, ValidationStep
from shared.refusals import Conflict, Forbidden

pytestmark = pytest.mark.unit

LEARNER = Rights(learner=True)
MANAGER = Rights(manager=True)
ADMIN = Rights(admin=True)
OTHERS = (
    Rights(tutor=True),
    Rights(validator=True),
    Rights(organization_manager=True),
    Rights(),
)
NOW = datetime(2027, 5, 1, 8, 0, tzinfo=UTC)
OFFERING = SessionRules(waitlist_offer_hours=1.5)
AT_ONCE = SessionRules()
OFFERED = State("offered", ())


def offered(pending: tuple[ValidationStep, ...] = ()) -> State:
    return State("offered", pending)


# --- the offer ----------------------------------------------------------------------------------


def test_the_head_of_the_line_is_offered_the_seat_until_the_deadline() -> None:
    change = offer(State("waitlisted", ("registration",), 1), NOW, OFFERING)
    assert change.after == State("offered", ("registration",))
    assert change.facts == ("offered",)
    assert change.offer_expires_at == NOW + timedelta(hours=1, minutes=30)
    assert change.left_line_at == 1  # it leaves the line, the line moves up
    assert not change.frees_seat
    assert change.after.holds_seat
    assert change.after.active


def test_offered_holds_a_seat_and_is_active() -> None:
    assert "offered" in HOLDS_SEAT
    assert "offered" in ACTIVE
    assert "offered" not in FINAL


@pytest.mark.parametrize(
    "state",
    [
        State("pending", ("user",)),
        State("confirmed"),
        OFFERED,
        State("cancelled"),
        State("expired"),
    ],
)
def test_only_a_waitlisted_registration_is_offered_a_seat(state: State) -> None:
    with pytest.raises(Conflict):
        offer(state, NOW, OFFERING)


def test_offering_under_rules_that_offer_nothing_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="offer no seats"):
        offer(State("waitlisted", (), 1), NOW, AT_ONCE)


def test_the_rules_decide_between_the_seat_and_its_offer() -> None:
    head = State("waitlisted", (), 1)
    assert seat_for_head(head, NOW, AT_ONCE) == promote(head)
    assert seat_for_head(head, NOW, OFFERING) == offer(head, NOW, OFFERING)


def test_a_handout_offers_or_promotes_as_many_as_promote_waitlist_seats() -> None:
    seats = Seats(max_users=5, taken=2, waitlisted=4)
    after, count = promote_waitlist(seats)
    assert hand_out(seats, AT_ONCE) == Handout(after, promoted=3, offered=0)
    assert hand_out(seats, OFFERING) == Handout(after, promoted=0, offered=3)
    assert hand_out(seats, OFFERING).count == count == 3
    assert hand_out(Seats(None, 0, 2), OFFERING).offered == 2
    assert hand_out(Seats(2, 2, 9), OFFERING).count == 0


# --- accept and decline -------------------------------------------------------------------------


@pytest.mark.parametrize("rights", [LEARNER, MANAGER, ADMIN])
def test_accepting_with_nothing_pending_confirms(rights: Rights) -> None:
    change = accept(OFFERED, rights)
    assert change.after == State("confirmed", ())
    assert change.facts == ("promoted", "confirmed")
    assert not change.frees_seat
    assert change.left_line_at is None


def test_accepting_with_validations_pending_is_pending() -> None:
    change = accept(offered(("organization",)), LEARNER)
    assert change.after == State("pending", ("organization",))
    assert change.facts == ("promoted",)


@pytest.mark.parametrize("rights", [LEARNER, MANAGER, ADMIN])
def test_declining_cancels_and_frees_the_seat(rights: Rights) -> None:
    change = decline(offered(("user",)), rights)
    assert change.after.status == "cancelled"
    assert change.reason == OFFER_DECLINED == "offer_declined"
    assert change.facts == ("cancelled",)
    assert change.frees_seat


@pytest.mark.parametrize("answer", [accept, decline])
@pytest.mark.parametrize("rights", OTHERS)
def test_only_the_learner_or_a_manager_answers_an_offer(
    answer: Callable[[State, Rights], Change], rights: Rights
) -> None:
    with pytest.raises(Forbidden):
        answer(OFFERED, rights)


@pytest.mark.parametrize("answer", [accept, decline])
@pytest.mark.parametrize(
    "status", ["pending", "confirmed", "waitlisted", "refused", "cancelled", "expired"]
)
def test_answering_what_is_not_offered_is_a_conflict(
    answer: Callable[[State, Rights], Change], status: str
) -> None:
    state = State(status, (), 1 if status == "waitlisted" else None)  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        answer(state, LEARNER)


def test_the_rights_are_checked_before_the_state() -> None:
    with pytest.raises(Forbidden):
        accept(State("confirmed"), Rights(tutor=True))


# --- the deadline -------------------------------------------------------------------------------


def test_an_offer_is_due_from_its_deadline_on() -> None:
    deadline = NOW + timedelta(hours=1)
    assert not offer_is_due(OFFERED, deadline, deadline - timedelta(microseconds=1))
    assert offer_is_due(OFFERED, deadline, deadline)
    assert not offer_is_due(OFFERED, None, deadline)
    assert not offer_is_due(State("waitlisted", (), 1), deadline, deadline)
    assert not offer_is_due(State("confirmed"), deadline, deadline)


def test_an_expired_offer_ends_expired_and_frees_the_seat() -> None:
    change = expire_offer(offered(("registration",)))
    assert change.after.status == "expired"
    assert change.reason == OFFER_EXPIRED == "offer_expired"
    assert change.facts == ("expired",)
    assert change.frees_seat


@pytest.mark.parametrize(
    "state", [State("waitlisted", (), 1), State("confirmed"), State("expired")]
)
def test_only_an_offer_expires_as_one(state: State) -> None:
    with pytest.raises(Conflict):
        expire_offer(state)


def answer_in_time(
    state: State, rights: Rights, deadline: datetime, now: datetime, answer: Callable[..., Change]
) -> tuple[Change, bool]:
    """What a use case does, as `actions.confirm` with `is_due`: past the deadline the offer
    expires (written), and the caller then answers a conflict."""
    if not rights.may_answer_offer:
        raise Forbidden("not entitled")
    if offer_is_due(state, deadline, now):
        return expire_offer(state), True
    return answer(state, rights), False


def test_accepting_past_the_deadline_expires_the_offer_and_tells_the_caller() -> None:
    deadline = NOW + timedelta(hours=1)
    change, expired = answer_in_time(OFFERED, LEARNER, deadline, deadline, accept)
    assert expired
    assert change.after.status == "expired"
    assert change.reason == OFFER_EXPIRED
    change, expired = answer_in_time(OFFERED, LEARNER, deadline, NOW, accept)
    assert not expired
    assert change.after.status == "confirmed"


def test_the_deadline_stays_while_offered_and_goes_with_the_offer() -> None:
    deadline = NOW + timedelta(hours=2)
    made = offer(
        State("waitlisted", ("registration",), 1), NOW, SessionRules(waitlist_offer_hours=2)
    )
    assert made.offer_expires_after(None) == deadline
    given = validate(made.after, "registration", MANAGER)[0]
    assert given.after.status == "offered"
    assert given.offer_expires_after(deadline) == deadline
    assert accept(given.after, LEARNER).offer_expires_after(deadline) is None
    assert decline(given.after, LEARNER).offer_expires_after(deadline) is None
    assert expire_offer(given.after).offer_expires_after(deadline) is None


# --- the other transitions on an offered registration -------------------------------------------


def test_validations_and_the_learners_confirmation_are_given_while_offered() -> None:
    change = confirm(offered(("user",)), LEARNER)
    assert change.after == offered()
    assert change.facts == ("validated",)  # confirmed only once the seat is accepted
    assert not change.frees_seat


def test_an_unconfirmed_offered_registration_still_expires_by_its_confirmation_deadline() -> None:
    change = expire(offered(("user",)))
    assert change.after.status == "expired"
    assert change.reason is None
    assert change.frees_seat


def test_an_offered_registration_may_be_cancelled_refused_or_moved() -> None:
    assert cancel(OFFERED, MANAGER, AT_ONCE).frees_seat
    assert refuse(offered(("registration",)), MANAGER).frees_seat
    assert move_out(OFFERED, MANAGER).frees_seat
    with pytest.raises(Forbidden):
        cancel(OFFERED, LEARNER, SessionRules(public_unregistration=False))


# --- the invariants under any sequence of operations --------------------------------------------


@dataclass
class OfferBook:
    """One session with offer hours: the store's bookkeeping, applied with the domain's rules."""

    rules: SessionRules
    seats: Seats
    now: datetime = NOW
    states: dict[int, State] = field(default_factory=dict)
    deadlines: dict[int, datetime] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)
    next_id: int = 0
    offers_made: int = 0
    seats_freed: int = 0
    """Seats that freed for the line: one per freeing change, plus each raise of `max_users`."""
    lowered_below_taken: bool = False

    def line(self) -> list[int]:
        waiting = [i for i, s in self.states.items() if s.status == "waitlisted"]
        return sorted(waiting, key=lambda i: self.states[i].waitlist_position or 0)

    def with_status(self, *statuses: str) -> list[int]:
        return [i for i, s in self.states.items() if s.status in statuses]

    def add(self, pending: list[ValidationStep], force: bool) -> None:
        admission = admit(self.seats, pending, force=force)
        self.seats = admission.seats
        state = State(admission.status, tuple(pending), admission.waitlist_position, force)
        self.states[self.next_id] = state
        self.order.append(self.next_id)
        self.next_id += 1

    def write(self, reg: int, change: Change) -> None:
        before = self.states[reg]
        assert change.before == before
        # with offer hours nobody leaves the line for a seat except by an offer
        if before.status == "waitlisted" and change.after.holds_seat:
            assert change.after.status == "offered"
        self.states[reg] = change.after
        deadline = change.offer_expires_after(self.deadlines.get(reg))
        if deadline is None:
            self.deadlines.pop(reg, None)
        else:
            self.deadlines[reg] = deadline

    def apply(self, reg: int, change: Change) -> None:
        self.write(reg, change)
        if change.frees_seat:
            self.seats_freed += 1
        self.seats = release(self.seats, change)
        if change.left_line_at is not None:
            self._shift_after(change.left_line_at, 1)
        self.hand_out()

    def hand_out(self) -> None:
        handout = hand_out(self.seats, self.rules)
        assert handout.promoted == 0
        self.seats = handout.seats
        for reg in self.line()[: handout.count]:
            self.write(reg, seat_for_head(self.states[reg], self.now, self.rules))
            self.offers_made += 1
        self._shift_after(handout.count, handout.count)

    def _shift_after(self, position: int, by: int) -> None:
        for reg, state in self.states.items():
            if state.status == "waitlisted" and (state.waitlist_position or 0) > position:
                self.states[reg] = State(
                    state.status,
                    state.pending_validations,
                    (state.waitlist_position or 0) - by,
                    state.forced,
                )


class OfferMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = OfferBook(SessionRules(waitlist_offer_hours=2), Seats(2, 0, 0))

    @initialize(arrivals=st.integers(2, 6))
    def a_full_session_with_a_line(self, arrivals: int) -> None:
        for _ in range(arrivals):
            self.book.add([], force=False)

    @rule(
        pending=st.lists(st.sampled_from(["user", "registration"]), unique=True),
        force=st.booleans(),
    )
    def register(self, pending: list[ValidationStep], force: bool) -> None:
        self.book.add(pending, force)

    def _pick(self, data: st.DataObject, regs: list[int]) -> int:
        return data.draw(st.sampled_from(regs))

    def _active(self) -> list[int]:
        return [i for i, s in self.book.states.items() if s.active]

    @precondition(lambda self: self._active())
    @rule(data=st.data(), moved=st.booleans())
    def cancel_or_move_one(self, data: st.DataObject, moved: bool) -> None:
        reg = self._pick(data, self._active())
        state = self.book.states[reg]
        self.book.apply(reg, move_out(state, MANAGER) if moved else cancel(state, MANAGER, AT_ONCE))

    def _refusable(self) -> list[int]:
        return [i for i, s in self.book.states.items() if s.active and s.pending_validations]

    @precondition(lambda self: self._refusable())
    @rule(data=st.data())
    def refuse_one(self, data: st.DataObject) -> None:
        reg = self._pick(data, self._refusable())
        self.book.apply(reg, refuse(self.book.states[reg], MANAGER))

    @precondition(lambda self: any(s.awaits_user for s in self.book.states.values()))
    @rule(data=st.data(), confirmed=st.booleans())
    def confirm_or_expire_one(self, data: st.DataObject, confirmed: bool) -> None:
        reg = self._pick(data, [i for i, s in self.book.states.items() if s.awaits_user])
        state = self.book.states[reg]
        self.book.apply(reg, confirm(state, LEARNER) if confirmed else expire(state))

    @precondition(lambda self: self.book.with_status("offered"))
    @rule(data=st.data(), accepting=st.booleans(), by_manager=st.booleans())
    def answer_one(self, data: st.DataObject, accepting: bool, by_manager: bool) -> None:
        reg = self._pick(data, self.book.with_status("offered"))
        state, rights = self.book.states[reg], MANAGER if by_manager else LEARNER
        if offer_is_due(state, self.book.deadlines[reg], self.book.now):
            self.book.apply(reg, expire_offer(state))  # then the caller answers 409
        else:
            self.book.apply(reg, (accept if accepting else decline)(state, rights))

    @rule(hours=st.floats(0.25, 3))
    def time_passes(self, hours: float) -> None:
        self.book.now += timedelta(hours=hours)

    @precondition(lambda self: self.book.with_status("offered"))
    @rule()
    def expiry_round(self) -> None:
        for reg in sorted(self.book.with_status("offered")):
            state = self.book.states[reg]
            if state.status == "offered" and offer_is_due(
                state, self.book.deadlines[reg], self.book.now
            ):
                self.book.apply(reg, expire_offer(state))

    @rule(max_users=st.none() | st.integers(1, 5))
    def change_limit(self, max_users: int | None) -> None:
        before = self.book.seats.free
        self.book.seats = with_limit(self.book.seats, max_users)
        after = self.book.seats.free
        if after is None:
            self.book.seats_freed += self.book.seats.waitlisted
        elif before is not None and after > before:
            self.book.seats_freed += after - before
        if self.book.seats.beyond_limit:
            self.book.lowered_below_taken = True
        self.book.hand_out()

    @invariant()
    def seats_match_the_registrations(self) -> None:
        states = self.book.states.values()
        assert self.book.seats.taken == sum(s.holds_seat for s in states)
        assert self.book.seats.waitlisted == sum(s.status == "waitlisted" for s in states)

    @invariant()
    def never_more_seats_than_max_users_but_forced_or_held_before_a_lower_limit(self) -> None:
        seats = self.book.seats
        if seats.max_users is not None:
            assert seats.taken - seats.beyond_limit <= seats.max_users
            # the allowance is only ever the seats actually held over the limit
            assert seats.beyond_limit <= max(seats.taken - seats.max_users, 0)
            if not self.book.lowered_below_taken:
                unforced = [s for s in self.book.states.values() if s.holds_seat and not s.forced]
                assert len(unforced) <= seats.max_users

    @invariant()
    def the_line_is_gap_free_in_arrival_order(self) -> None:
        line = self.book.line()
        assert [self.book.states[i].waitlist_position for i in line] == list(
            range(1, len(line) + 1)
        )
        assert line == [i for i in self.book.order if i in line]

    @invariant()
    def nobody_waits_while_a_seat_is_free(self) -> None:
        if self.book.seats.waitlisted:
            assert not self.book.seats.has_free_seat

    @invariant()
    def offers_never_exceed_the_seats_freed(self) -> None:
        assert self.book.offers_made <= self.book.seats_freed
        assert len(self.book.with_status("offered")) <= self.book.offers_made

    @invariant()
    def every_offer_has_one_deadline_and_nothing_else_has_one(self) -> None:
        assert set(self.book.deadlines) == set(self.book.with_status("offered"))
        for reg in self.book.deadlines:
            assert self.book.states[reg].waitlist_position is None


TestOfferMachine = OfferMachine.TestCase
