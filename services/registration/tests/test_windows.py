"""When learners may register and unregister themselves, without I/O."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from registration.windows import (
    ALWAYS_OPEN,
    ensure_may_register,
    ensure_may_unregister,
    open_now,
    registration_refusal,
    unregistration_refusal,
)

from shared.events import RegistrationWindow
from shared.refusals import Conflict

pytestmark = pytest.mark.unit

PARIS = timezone(timedelta(hours=1))
OPENS = datetime(2027, 3, 1, 9, 0, tzinfo=PARIS)
CLOSES = datetime(2027, 3, 15, 18, 0, tzinfo=PARIS)
UNREGISTRATION_CLOSES = datetime(2027, 3, 20, 12, 0, tzinfo=PARIS)
WINDOW = RegistrationWindow(
    registration_opens_at=OPENS,
    registration_closes_at=CLOSES,
    unregistration_closes_at=UNREGISTRATION_CLOSES,
)
SECOND = timedelta(seconds=1)


def test_before_the_window_the_refusal_says_when_it_opens_with_the_sessions_offset() -> None:
    with pytest.raises(Conflict) as refused:
        ensure_may_register(WINDOW, OPENS - SECOND, by_manager=False)
    assert (
        refused.value.detail == "Registration to this session opens at 2027-03-01T09:00:00+01:00."
    )


def test_from_its_closing_time_on_the_refusal_says_it_closed() -> None:
    with pytest.raises(Conflict) as refused:
        ensure_may_register(WINDOW, CLOSES, by_manager=False)
    assert (
        refused.value.detail == "Registration to this session closed at 2027-03-15T18:00:00+01:00."
    )


def test_the_window_is_open_from_its_opening_time_until_just_before_it_closes() -> None:
    ensure_may_register(WINDOW, OPENS, by_manager=False)
    ensure_may_register(WINDOW, CLOSES - SECOND, by_manager=False)
    # the same instant in another offset is the same instant
    ensure_may_register(WINDOW, OPENS.astimezone(UTC), by_manager=False)


def test_managers_are_not_bound_by_the_window() -> None:
    for now in (OPENS - SECOND, CLOSES, CLOSES + timedelta(days=400)):
        ensure_may_register(WINDOW, now, by_manager=True)
        ensure_may_unregister(WINDOW, now, by_manager=True)


def test_a_window_with_one_end_bounds_only_that_end() -> None:
    only_opens = RegistrationWindow(registration_opens_at=OPENS)
    assert registration_refusal(only_opens, OPENS - SECOND) is not None
    assert registration_refusal(only_opens, OPENS + timedelta(days=3650)) is None
    only_closes = RegistrationWindow(registration_closes_at=CLOSES)
    assert registration_refusal(only_closes, datetime(1900, 1, 1, tzinfo=UTC)) is None
    assert registration_refusal(only_closes, CLOSES) is not None


def test_unregistration_closes_on_its_own_time() -> None:
    ensure_may_unregister(WINDOW, UNREGISTRATION_CLOSES - SECOND, by_manager=False)
    # registration closing does not close unregistration, nor its opening delay it
    ensure_may_unregister(WINDOW, OPENS - SECOND, by_manager=False)
    ensure_may_unregister(WINDOW, CLOSES, by_manager=False)
    with pytest.raises(Conflict) as refused:
        ensure_may_unregister(WINDOW, UNREGISTRATION_CLOSES, by_manager=False)
    assert refused.value.detail == (
        "Unregistration from this session closed at 2027-03-20T12:00:00+01:00."
    )


def test_no_window_never_refuses() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert registration_refusal(ALWAYS_OPEN, now) is None
    assert unregistration_refusal(ALWAYS_OPEN, now) is None


def test_open_means_public_and_inside_the_window() -> None:
    inside = OPENS + timedelta(days=1)
    assert open_now(True, WINDOW, inside)
    assert not open_now(False, WINDOW, inside)
    assert not open_now(True, WINDOW, OPENS - SECOND)
    assert not open_now(True, WINDOW, CLOSES)
    assert open_now(True, ALWAYS_OPEN, inside)
    assert not open_now(False, ALWAYS_OPEN, inside)


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(deadline=None)  # timing is no part of it; CI machines are shared
@given(opens=moments, length=st.timedeltas(SECOND, timedelta(days=365)), now=moments)
def test_open_exactly_when_no_refusal(opens: datetime, length: timedelta, now: datetime) -> None:
    window = RegistrationWindow(registration_opens_at=opens, registration_closes_at=opens + length)
    inside = opens <= now < opens + length
    assert open_now(True, window, now) == inside
    assert (registration_refusal(window, now) is None) == inside
