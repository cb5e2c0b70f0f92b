"""Registration rules, free of I/O: which validations a request awaits, whether it gets a seat."""

from dataclasses import dataclass
from typing import Final

from shared.events import RegistrationStatus, SessionRules, ValidationStep

ACTIVE: Final[frozenset[RegistrationStatus]] = frozenset({"pending", "confirmed", "waitlisted"})
HOLDS_SEAT: Final[frozenset[RegistrationStatus]] = frozenset({"pending", "confirmed"})


class RegistrationRefused(Exception):
    """A registration the rules do not allow; `status` is the HTTP status that says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


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


@dataclass(frozen=True)
class Seats:
    """A session's seats as the registration service counts them."""

    max_users: int | None
    taken: int
    waitlisted: int

    @property
    def free(self) -> int | None:
        return None if self.max_users is None else max(self.max_users - self.taken, 0)


@dataclass(frozen=True)
class Admission:
    status: RegistrationStatus
    waitlist_position: int | None
    seats: Seats


def admit(seats: Seats, pending: list[ValidationStep]) -> Admission:
    """A newcomer takes a free seat only when nobody waits; otherwise joins the end of the line."""
    if seats.waitlisted == 0 and (seats.free is None or seats.free > 0):
        status: RegistrationStatus = "pending" if pending else "confirmed"
        taken = Seats(seats.max_users, seats.taken + 1, seats.waitlisted)
        return Admission(status, None, taken)
    position = seats.waitlisted + 1
    return Admission("waitlisted", position, Seats(seats.max_users, seats.taken, position))
