"""A learner's own check-in with the event's code, and the limit on wrong tries, without I/O."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from registration.attendance import PresenceState
from registration.check_in import (
    MAX_WRONG_TRIES,
    TRIES_WINDOW,
    CheckInWindow,
    WrongCode,
    check_in,
    code_matches,
    may_try,
    new_code,
    window_of,
)

from shared.refusals import Conflict, Forbidden, Invalid

pytestmark = pytest.mark.unit

START = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=3)
WINDOW = window_of(START, END)
CODE = "AB2C9XYZ"
SECOND = timedelta(seconds=1)
ANA = PresenceState("ana")


def test_a_code_is_8_characters_from_a_to_z_and_2_to_9() -> None:
    codes = {new_code() for _ in range(50)}
    assert all(re.fullmatch(r"[A-Z2-9]{8}", code) for code in codes)
    assert len(codes) > 1


def test_the_window_opens_30_minutes_before_the_start_and_closes_at_the_end() -> None:
    assert window_of(START, END) == CheckInWindow(START - timedelta(minutes=30), END)


def test_a_registered_learner_checks_in_once_with_the_time_signed() -> None:
    now = START + timedelta(minutes=5)
    done = check_in(ANA, CODE, CODE, now, WINDOW, validated=False)
    assert done.presence == PresenceState("ana", "present", signed_at=now, marked_by="ana")
    assert done.change is not None
    assert done.change.previous_status == "unknown"
    assert done.change.actor == "ana"
    again = check_in(done.presence, CODE, CODE, now + SECOND, WINDOW, validated=False)
    assert again.presence == done.presence
    assert again.change is None


def test_a_presence_marked_present_by_a_tutor_is_unchanged_by_a_check_in() -> None:
    marked = PresenceState("ana", "present", marked_by="tut")
    assert check_in(marked, CODE, CODE, START, WINDOW, validated=False).change is None


def test_an_absent_learner_who_comes_checks_in() -> None:
    absent = PresenceState("ana", "absent_justified", "train late")
    done = check_in(absent, CODE, CODE, START, WINDOW, validated=False)
    assert done.presence.status == "present"
    assert done.change is not None
    assert done.change.previous_status == "absent_justified"


def test_the_code_is_read_whatever_its_case_and_surrounding_spaces() -> None:
    assert check_in(ANA, " ab2c9xyz\n", CODE, START, WINDOW, validated=False).change is not None


@pytest.mark.parametrize("given_code", ["AB2C9XYQ", "", "AB2C9XY", "AB2C9XYZZ", "ÄB2C9XYZ"])
def test_a_wrong_code_is_invalid(given_code: str) -> None:
    with pytest.raises(WrongCode) as refused:
        check_in(ANA, given_code, CODE, START, WINDOW, validated=False)
    assert isinstance(refused.value, Invalid)
    assert refused.value.field == "code"


def test_no_code_yet_takes_no_code() -> None:
    with pytest.raises(WrongCode):
        check_in(ANA, CODE, None, START, WINDOW, validated=False)
    assert not code_matches("", None)


@pytest.mark.parametrize(
    "now", [WINDOW.valid_from, WINDOW.valid_from + SECOND, START, END - SECOND]
)
def test_inside_the_window(now: datetime) -> None:
    assert check_in(ANA, CODE, CODE, now, WINDOW, validated=False).presence.status == "present"


@pytest.mark.parametrize("now", [WINDOW.valid_from - SECOND, END, END + SECOND])
def test_outside_the_window_is_a_conflict_whatever_the_code(now: datetime) -> None:
    for code in (CODE, "WRONG999"):
        with pytest.raises(Conflict):
            check_in(ANA, code, CODE, now, WINDOW, validated=False)


def test_after_validation_is_a_conflict_even_for_a_present_learner() -> None:
    for presence in (ANA, PresenceState("ana", "present")):
        with pytest.raises(Conflict, match="validated"):
            check_in(presence, CODE, CODE, START, WINDOW, validated=True)


def test_a_learner_not_registered_to_the_event_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        check_in(None, CODE, CODE, START, WINDOW, validated=False)


# --- wrong tries --------------------------------------------------------------------------------


def tries(n: int, first: datetime, every: timedelta = SECOND) -> list[datetime]:
    return [first + i * every for i in range(n)]


def test_the_10th_try_is_allowed_the_11th_is_not() -> None:
    now = START + timedelta(minutes=1)
    assert may_try(tries(MAX_WRONG_TRIES - 1, START), now).allowed
    refused = may_try(tries(MAX_WRONG_TRIES, START), now)
    assert not refused.allowed
    # the first try leaves the window 10 min after it was made: 9 min from now
    assert refused.retry_after_seconds == 9 * 60


def test_a_try_stops_counting_10_minutes_after_it_was_made() -> None:
    made = tries(MAX_WRONG_TRIES, START)
    assert not may_try(made, START + TRIES_WINDOW - SECOND).allowed
    assert may_try(made, START + TRIES_WINDOW).allowed


def test_retry_after_is_rounded_up_and_at_least_one_second() -> None:
    made = tries(MAX_WRONG_TRIES, START)
    assert may_try(made, START + TRIES_WINDOW - SECOND / 2).retry_after_seconds == 1
    assert may_try(made, START + TRIES_WINDOW - 1.5 * SECOND).retry_after_seconds == 2


def test_with_more_than_10_tries_it_waits_until_only_9_are_recent() -> None:
    made = tries(12, START, timedelta(seconds=30))  # the 12th at START + 5.5 min
    now = START + timedelta(minutes=6)
    # all 12 are recent; allowed once the first 3 left: 10 min after the 3rd (START + 1 min)
    assert may_try(made, now) == may_try(list(reversed(made)), now)
    assert may_try(made, now).retry_after_seconds == 5 * 60


def test_no_tries_no_limit() -> None:
    assert may_try([], START).allowed


@given(
    st.lists(st.integers(min_value=0, max_value=1_800), max_size=30),
    st.integers(min_value=0, max_value=1_800),
)
def test_allowed_again_exactly_after_retry_after(offsets: list[int], at: int) -> None:
    made = [START + timedelta(seconds=s) for s in offsets]
    now = START + timedelta(seconds=at)
    decision = may_try(made, now)
    recent = [t for t in made if now - TRIES_WINDOW < t <= now]
    if decision.allowed:
        assert len(recent) < MAX_WRONG_TRIES
        return
    assert decision.retry_after_seconds >= 1
    later = now + timedelta(seconds=decision.retry_after_seconds)
    assert may_try([t for t in made if t <= now], later).allowed
    assert not may_try(made, later - SECOND).allowed
