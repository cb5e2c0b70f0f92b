"""Hours, rates, session summaries, completion and certificate eligibility, without I/O."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from registration.attendance import PRESENCE_STATUSES
from registration.completion import (
    EventTimes,
    Learner,
    SummaryRow,
    announces,
    attendance_of,
    completion_due,
    decide,
    ensure_certificate_available,
    rate_of,
    summary,
)

from shared.events import Completion, PresenceStatus
from shared.refusals import Conflict

pytestmark = pytest.mark.unit

DAY = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def event(start_hour: float, hours: float, *, validated: bool = True) -> EventTimes:
    start = DAY + start_hour * HOUR
    return EventTimes(uuid.uuid4(), start, start + hours * HOUR, validated)


MORNING = event(0, 3)  # 09:00-12:00
AFTERNOON = event(4, 4)  # 13:00-17:00
NEXT_DAY = event(24, 3, validated=False)  # tomorrow 09:00-12:00
EVENTS = (MORNING, AFTERNOON, NEXT_DAY)
BY_ID = {e.event_id: e for e in EVENTS}
EVENING = DAY + 9 * HOUR  # 18:00: the first two have ended, not the third


def test_an_events_hours_run_from_its_start_to_its_end() -> None:
    assert MORNING.hours == 3.0
    assert event(0, 1.5).hours == 1.5


def test_only_ended_events_count() -> None:
    presences: dict[uuid.UUID, PresenceStatus] = {
        MORNING.event_id: "present",
        AFTERNOON.event_id: "absent_unjustified",
        NEXT_DAY.event_id: "present",
    }
    seen = attendance_of(BY_ID, presences, EVENING)
    assert (seen.events, seen.present, seen.hours_attended, seen.hours_total) == (2, 1, 3.0, 7.0)
    assert seen.rate == pytest.approx(300 / 7)


def test_an_event_ends_at_its_end() -> None:
    presences: dict[uuid.UUID, PresenceStatus] = {MORNING.event_id: "present"}
    assert attendance_of(BY_ID, presences, MORNING.end - timedelta(seconds=1)).hours_total == 0
    assert attendance_of(BY_ID, presences, MORNING.end).hours_total == 3.0


def test_absent_justified_counts_in_the_total_not_as_attended() -> None:
    presences: dict[uuid.UUID, PresenceStatus] = {
        MORNING.event_id: "absent_justified",
        AFTERNOON.event_id: "present",
    }
    seen = attendance_of(BY_ID, presences, EVENING)
    assert (seen.hours_attended, seen.hours_total, seen.rate) == (4.0, 7.0, 400 / 7)


def test_the_rate_is_0_without_hours() -> None:
    assert attendance_of(BY_ID, {}, EVENING).rate == 0.0
    assert rate_of(timedelta(), timedelta()) == 0.0


def test_the_summary_has_one_row_per_learner_over_the_events_they_were_registered_to() -> None:
    learners = [Learner("ana", "Ana"), Learner("bob", "Bob"), Learner("cy", "Cy")]
    presences: dict[str, dict[uuid.UUID, PresenceStatus]] = {
        "ana": {MORNING.event_id: "present", AFTERNOON.event_id: "present"},
        "bob": {AFTERNOON.event_id: "present"},  # not registered to the morning
    }
    assert summary(learners, EVENTS, presences, EVENING) == [
        SummaryRow("ana", "Ana", 2, 2, 7.0, 7.0, 100.0),
        SummaryRow("bob", "Bob", 1, 1, 4.0, 4.0, 100.0),
        SummaryRow("cy", "Cy", 0, 0, 0.0, 0.0, 0.0),
    ]


# --- completion ---------------------------------------------------------------------------------

ENDED = (MORNING, AFTERNOON)
LATER = DAY + 2 * 24 * HOUR


def test_completion_is_due_when_every_event_ended_and_is_validated_with_a_rate() -> None:
    assert completion_due(ENDED, 70, EVENING)
    assert not completion_due(ENDED, None, EVENING)
    assert not completion_due(EVENTS, 70, EVENING)  # the next day's has not ended
    assert not completion_due(EVENTS, 70, LATER)  # ... and is not validated once ended
    assert not completion_due((MORNING, event(0, 3, validated=False)), 70, EVENING)
    assert not completion_due((), 70, EVENING)


def test_a_rate_exactly_at_the_completion_rate_completes() -> None:
    ten_hours = tuple(event(i, 1) for i in range(10))
    presences: dict[uuid.UUID, PresenceStatus] = {
        e.event_id: ("present" if i < 7 else "absent_unjustified") for i, e in enumerate(ten_hours)
    }
    done = decide(ten_hours, presences, 70, LATER)
    assert done == Completion(
        completed=True, hours_attended=7.0, hours_total=10.0, rate=70.0, decided_at=LATER
    )
    assert not decide(ten_hours, presences, 70.000001, LATER).completed
    assert decide(ten_hours, presences, 69.999999, LATER).completed


def test_a_learner_registered_to_no_event_has_rate_0() -> None:
    assert decide(ENDED, {}, 50, LATER) == Completion(
        completed=False, hours_attended=0.0, hours_total=0.0, rate=0.0, decided_at=LATER
    )


def completion(completed: bool) -> Completion:
    rate = 100.0 if completed else 0.0
    return Completion(
        completed=completed, hours_attended=1.0, hours_total=1.0, rate=rate, decided_at=LATER
    )


def test_registration_completed_is_announced_when_it_becomes_completed() -> None:
    assert announces(None, completion(True)) == ("completed",)
    assert announces(completion(False), completion(True)) == ("completed",)
    assert announces(completion(True), completion(True)) == ()
    assert announces(None, completion(False)) == ()
    assert announces(completion(True), completion(False)) == ()


# --- certificate --------------------------------------------------------------------------------


def test_a_certificate_once_an_attended_event_is_validated() -> None:
    ensure_certificate_available([("absent_unjustified", True), ("present", True)])
    refused: list[list[tuple[PresenceStatus, bool]]] = [
        [],
        [("present", False)],
        [("absent_justified", True), ("absent_unjustified", True)],
    ]
    for attended in refused:
        with pytest.raises(Conflict):
            ensure_certificate_available(attended)


# --- properties ---------------------------------------------------------------------------------

spans = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60 * 24 * 30),  # start, in minutes from DAY
        st.integers(min_value=0, max_value=60 * 12),  # length in minutes
        st.sampled_from(PRESENCE_STATUSES),
    ),
    max_size=12,
)


def drawn_events(
    drawn: list[tuple[int, int, PresenceStatus]],
) -> tuple[list[EventTimes], dict[uuid.UUID, PresenceStatus]]:
    minute = timedelta(minutes=1)
    events = [
        EventTimes(uuid.uuid4(), DAY + s * minute, DAY + (s + n) * minute, True)
        for s, n, _ in drawn
    ]
    return events, {e.event_id: status for e, (_, _, status) in zip(events, drawn, strict=True)}


@given(spans, st.integers(min_value=0, max_value=60 * 24 * 31))
def test_rate_within_0_and_100_and_attended_within_total(
    drawn: list[tuple[int, int, PresenceStatus]], at: int
) -> None:
    events, presences = drawn_events(drawn)
    seen = attendance_of({e.event_id: e for e in events}, presences, DAY + timedelta(minutes=at))
    assert 0 <= seen.rate <= 100
    assert 0 <= seen.hours_attended <= seen.hours_total
    assert seen.present <= seen.events


@given(spans, st.floats(min_value=0, max_value=100))
def test_completed_iff_the_rate_reaches_the_threshold(
    drawn: list[tuple[int, int, PresenceStatus]], threshold: float
) -> None:
    events, presences = drawn_events(drawn)
    done = decide(events, presences, threshold, LATER + 60 * 24 * HOUR)
    assert done.completed == (done.rate >= threshold)
    lengths = [e.end - e.start for e in events]
    total = sum(lengths, timedelta())
    attended = sum(
        (
            span
            for span, e in zip(lengths, events, strict=True)
            if presences[e.event_id] == "present"
        ),
        timedelta(),
    )
    assert done.rate == pytest.approx(100 * attended / total if total else 0.0)
