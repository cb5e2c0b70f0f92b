"""The planning of reminders: due times from `reminder_hours`, and what a registration, a move, a
new rule, a cancellation or a deletion does to the reminders planned before."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from notification.reminders import (
    Held,
    Plan,
    ReminderStatus,
    Slot,
    Standing,
    plan,
    slots,
    still_due,
    wanted,
)

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DAY_BEFORE = START - timedelta(days=3)


def _standing(
    start: datetime | None = START,
    hours: tuple[float, ...] = (24.0,),
    *,
    registered: bool = True,
    session_status: str = "scheduled",
) -> Standing:
    return Standing(registered, start, session_status, hours)


def _held(planned: tuple[Slot, ...], status: ReminderStatus = "pending") -> list[Held]:
    return [Held(slot, status) for slot in planned]


def test_a_registered_learner_gets_one_reminder_per_hours_before_the_start() -> None:
    added = plan(_standing(hours=(24.0, 1.5)), [], as_of=DAY_BEFORE).add
    assert [slot.due_at for slot in added] == [
        START - timedelta(hours=24),
        START - timedelta(hours=1.5),
    ]
    assert {slot.start for slot in added} == {START}


def test_the_same_hours_twice_is_one_reminder_and_no_hours_none() -> None:
    assert len(slots(START, [24, 24.0])) == 1
    assert plan(_standing(hours=()), [], as_of=DAY_BEFORE) == plan(
        _standing(registered=False), [], as_of=DAY_BEFORE
    )
    assert plan(_standing(hours=()), [], as_of=DAY_BEFORE).add == ()


def test_nothing_for_a_time_already_past_when_they_registered() -> None:
    registered_at = START - timedelta(hours=2)
    added = plan(_standing(hours=(24.0, 1.0)), [], as_of=registered_at).add
    assert [slot.hours for slot in added] == [1.0]
    assert plan(_standing(), [], as_of=START + timedelta(minutes=1)).add == ()


def test_a_start_given_with_an_offset_is_planned_in_utc() -> None:
    paris = START.astimezone(timezone(timedelta(hours=1)))
    (slot,) = plan(_standing(paris), [], as_of=DAY_BEFORE).add
    assert slot.start.utcoffset() == timedelta(0)
    assert slot == Slot(24.0, START)


def test_a_moved_event_drops_the_pending_reminders_and_plans_at_the_new_time() -> None:
    first = plan(_standing(), [], as_of=DAY_BEFORE).add
    later = START + timedelta(days=1)
    moved = plan(_standing(later), _held(first), as_of=DAY_BEFORE)
    assert moved.drop == first
    assert moved.add == (Slot(24.0, later),)


def test_a_reminder_sent_for_a_start_is_not_planned_again_for_it_but_is_for_a_new_start() -> None:
    sent = _held(plan(_standing(), [], as_of=DAY_BEFORE).add, "sent")
    assert plan(_standing(), sent, as_of=DAY_BEFORE).add == ()
    moved_back_and_forth = plan(_standing(START + timedelta(hours=30)), sent, as_of=DAY_BEFORE)
    assert moved_back_and_forth.drop == ()  # a sent one stays sent
    assert moved_back_and_forth.add == (Slot(24.0, START + timedelta(hours=30)),)


def test_a_dropped_reminder_wanted_again_is_added_again() -> None:
    dropped = _held(plan(_standing(), [], as_of=DAY_BEFORE).add, "dropped")
    assert plan(_standing(), dropped, as_of=DAY_BEFORE).add == tuple(h.slot for h in dropped)


def test_a_cancelled_place_a_deleted_event_a_cancelled_session_drop_what_is_pending() -> None:
    pending = _held(plan(_standing(hours=(24.0, 2.0)), [], as_of=DAY_BEFORE).add)
    for standing in (
        _standing(registered=False),
        _standing(None),
        _standing(session_status="cancelled"),
        _standing(session_status="deleted"),
    ):
        result = plan(standing, pending, as_of=DAY_BEFORE)
        assert (result.add, result.drop) == ((), tuple(h.slot for h in pending))


def test_new_reminder_hours_replan_the_future_reminders_only() -> None:
    pending = _held(plan(_standing(hours=(24.0,)), [], as_of=DAY_BEFORE).add)
    changed_at = START - timedelta(hours=10)
    result = plan(_standing(hours=(48.0, 2.0)), pending, as_of=changed_at)
    assert result.drop == (Slot(24.0, START),)
    assert result.add == (Slot(2.0, START),)  # 48 h before was already past


def test_a_pending_reminder_due_before_the_fact_stays_planned() -> None:
    """Due while the service was down, then an unrelated change: it still goes out."""
    pending = _held(plan(_standing(), [], as_of=DAY_BEFORE).add)
    late = START - timedelta(hours=1)
    assert plan(_standing(), pending, as_of=late).drop == ()


def test_a_claimed_reminder_goes_out_only_while_it_is_still_wanted_and_before_the_start() -> None:
    slot = Slot(24.0, START)
    due = slot.due_at + timedelta(seconds=1)
    assert still_due(slot, _standing(), now=due)
    assert not still_due(slot, _standing(), now=START)
    assert not still_due(slot, _standing(registered=False), now=due)
    assert not still_due(slot, _standing(START + timedelta(hours=1)), now=due)
    assert not still_due(slot, _standing(session_status="cancelled"), now=due)
    assert not still_due(slot, _standing(hours=(2.0,)), now=due)


# --- properties -------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2027, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
hours_lists = st.lists(
    st.floats(min_value=0.01, max_value=500, allow_nan=False, allow_infinity=False), max_size=5
)
standings = st.builds(
    Standing,
    registered=st.booleans(),
    start=st.one_of(st.none(), moments),
    session_status=st.sampled_from(["scheduled", "cancelled", "deleted"]),
    reminder_hours=hours_lists.map(tuple),
)


def _apply(held: list[Held], result: Plan) -> list[Held]:
    by_key = {entry.slot.key: entry for entry in held}
    for slot in result.drop:
        by_key[slot.key] = Held(slot, "dropped")
    for slot in result.add:
        by_key[slot.key] = Held(slot, "pending")
    return list(by_key.values())


@given(standings, st.lists(standings, max_size=4), moments)
def test_any_history_of_changes_keeps_the_reminders_within_the_rules(
    first: Standing, changes: list[Standing], as_of: datetime
) -> None:
    held: list[Held] = []
    moment = as_of
    for standing in [first, *changes]:
        result = plan(standing, held, as_of=moment)
        for slot in result.add:
            assert moment <= slot.due_at < slot.start
        held = _apply(held, result)
        # planned once more at the same moment: nothing left to do
        again = plan(standing, held, as_of=moment)
        assert (again.add, again.drop) == ((), ())
        wanted_keys = {slot.key for slot in wanted(standing)}
        pending = {entry.slot.key for entry in held if entry.status == "pending"}
        assert pending <= wanted_keys
        moment += timedelta(hours=1)


@given(standings, moments)
def test_a_sent_reminder_is_never_planned_again(standing: Standing, later: datetime) -> None:
    sent = [Held(slot, "sent") for slot in wanted(standing)]
    result = plan(standing, sent, as_of=later)
    assert result.add == ()
    assert result.drop == ()
