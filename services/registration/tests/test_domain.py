import pytest
from hypothesis import given
from hypothesis import strategies as st
from registration.domain import Seats, admit, required_validations

from shared.events import SessionRules

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("rules", "by_manager", "expected"),
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
        (
            {"registration_validation": True, "validators": ["v1"]},
            False,
            ["validator"],
        ),
        (
            {"user_validation": True, "organization_validation": True, "validators": ["v1"]},
            True,
            ["user"],
        ),
        ({"organization_validation": True}, True, []),
    ],
)
def test_validations_are_decided_in_order(
    rules: dict[str, object], by_manager: bool, expected: list[str]
) -> None:
    assert (
        required_validations(SessionRules.model_validate(rules), by_manager=by_manager) == expected
    )


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
