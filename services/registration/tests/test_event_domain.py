"""Event registration and curriculum rules, without I/O: rights, the event's seats and its
gap-free line (hypothesis), which trainings a curriculum node covers."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from registration.curriculum_domain import CurriculumNode, curriculum_trainings
from registration.domain import Seats, promote_waitlist, release, with_limit
from registration.event_domain import (
    EventRights,
    EventState,
    cancel_event_registration,
    end_event_registration,
    join_event,
    may_register_to_event,
    promote_to_event,
    registers_automatically,
)

from shared.problems import problem_of
from shared.refusals import Refusal

LEARNER = EventRights(learner=True)
MANAGER = EventRights(manager=True)
TUTOR = EventRights(tutor=True)
STRANGER = EventRights()


def refused(status: int, call: object) -> None:
    with pytest.raises(Refusal) as error:
        call()  # type: ignore[operator]
    assert problem_of(error.value).status == status


def test_who_registers_to_which_mode() -> None:
    may_register_to_event("public", LEARNER)
    for staff in (MANAGER, TUTOR, EventRights(admin=True)):
        may_register_to_event("manual", staff)
        may_register_to_event("public", staff)
        refused(409, lambda s=staff: may_register_to_event("auto", s))
    refused(403, lambda: may_register_to_event("manual", LEARNER))
    refused(403, lambda: may_register_to_event("auto", LEARNER))
    refused(403, lambda: may_register_to_event("public", STRANGER))


def test_a_newcomer_is_registered_while_seats_are_free_then_waits() -> None:
    change, seats = join_event(Seats(1, 0, 0))
    assert (change.fact, change.after, change.before) == (
        "registered",
        EventState("registered"),
        None,
    )
    change, seats = join_event(seats)
    assert (change.fact, change.after) == ("waitlisted", EventState("waitlisted", 1))
    assert seats == Seats(1, 1, 1)


def test_cancel_rights_and_finality() -> None:
    registered = EventState("registered")
    change = cancel_event_registration(registered, LEARNER, "public", "busy")
    assert (change.fact, change.after.status, change.reason) == ("cancelled", "cancelled", "busy")
    assert change.frees_seat
    refused(403, lambda: cancel_event_registration(registered, LEARNER, "manual", None))
    refused(403, lambda: cancel_event_registration(registered, STRANGER, "public", None))
    assert cancel_event_registration(registered, TUTOR, "auto", None).after.status == "cancelled"
    refused(409, lambda: cancel_event_registration(EventState("cancelled"), MANAGER, "auto", None))
    waiting = end_event_registration(EventState("waitlisted", 3), "event_deleted")
    assert waiting.left_line_at == 3
    assert not waiting.frees_seat
    refused(409, lambda: promote_to_event(registered))


def test_only_auto_events_not_ended_take_learners() -> None:
    now = datetime.now(UTC)
    assert registers_automatically("auto", now + timedelta(minutes=1), now)
    assert not registers_automatically("auto", now, now)
    assert not registers_automatically("public", now + timedelta(days=1), now)


@dataclass
class Line:
    """The event's registrations as the store keeps them (ids → state)."""

    states: dict[int, EventState] = field(default_factory=dict)


class EventSeatsMachine(RuleBasedStateMachine):
    """Joins, cancellations and limit changes in any order: never more registered than
    `max_users` (unless it was lowered), the line is 1..n, nobody waits while a seat is free."""

    def __init__(self) -> None:
        super().__init__()
        self.seats = Seats(2, 0, 0)
        self.line = Line()
        self.next_id = 0
        self.lowered = False

    def _promote(self) -> None:
        after, count = promote_waitlist(self.seats)
        heads = sorted(
            (s.waitlist_position or 0, i)
            for i, s in self.line.states.items()
            if s.status == "waitlisted"
        )[:count]
        for _, i in heads:
            self.line.states[i] = promote_to_event(self.line.states[i]).after
        self._move_up(count, count)
        self.seats = after

    def _move_up(self, behind: int, by: int) -> None:
        for i, s in self.line.states.items():
            if s.status == "waitlisted" and (s.waitlist_position or 0) > behind:
                self.line.states[i] = EventState("waitlisted", (s.waitlist_position or 0) - by)

    @rule()
    def join(self) -> None:
        change, self.seats = join_event(self.seats)
        self.line.states[self.next_id] = change.after
        self.next_id += 1

    @precondition(lambda self: any(s.active for s in self.line.states.values()))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        active = sorted(i for i, s in self.line.states.items() if s.active)
        i = data.draw(st.sampled_from(active))
        change = cancel_event_registration(self.line.states[i], MANAGER, "manual", None)
        self.line.states[i] = change.after
        if change.left_line_at is not None:
            self._move_up(change.left_line_at, 1)
        self.seats = release(self.seats, change)
        self._promote()

    @rule(limit=st.one_of(st.none(), st.integers(min_value=1, max_value=6)))
    def change_limit(self, limit: int | None) -> None:
        if limit is not None and limit < self.seats.taken:
            self.lowered = True  # seats held stay held, over the new limit
        self.seats = with_limit(self.seats, limit)
        self._promote()

    @invariant()
    def counters_match_the_rows(self) -> None:
        registered = [s for s in self.line.states.values() if s.status == "registered"]
        waiting = [s for s in self.line.states.values() if s.status == "waitlisted"]
        assert self.seats.taken == len(registered)
        assert self.seats.waitlisted == len(waiting)
        assert sorted(s.waitlist_position or 0 for s in waiting) == list(range(1, len(waiting) + 1))

    @invariant()
    def nobody_waits_for_a_free_seat(self) -> None:
        assert self.seats.waitlisted == 0 or not self.seats.has_free_seat

    @invariant()
    def within_the_limit(self) -> None:
        limit = self.seats.max_users
        if limit is not None and not self.lowered:
            assert self.seats.taken <= limit
        if limit is not None:
            assert self.seats.taken - self.seats.beyond_limit <= limit


TestEventSeats = EventSeatsMachine.TestCase


def node(parent: uuid.UUID | None, *trainings: uuid.UUID, blocking: bool = False) -> CurriculumNode:
    return CurriculumNode(uuid.uuid4(), parent, blocking, tuple(trainings))


def test_a_curriculum_covers_its_descendants_but_not_below_a_blocking_one() -> None:
    t = [uuid.uuid4() for _ in range(6)]
    root = node(None, t[0], blocking=True)  # registering to a blocking node itself is fine
    child = node(root.id, t[1], t[0])
    grandchild = node(child.id, t[2])
    blocking = node(root.id, t[3], blocking=True)
    below_blocking = node(blocking.id, t[4])
    sibling = node(root.id, t[5])
    nodes = [root, child, grandchild, blocking, below_blocking, sibling]
    assert curriculum_trainings(root.id, nodes) == [t[0], t[1], t[2], t[5]]
    assert curriculum_trainings(blocking.id, nodes) == [t[3], t[4]]
    assert curriculum_trainings(uuid.uuid4(), nodes) == []
