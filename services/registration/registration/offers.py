"""A seat offered from the waitlist, free of I/O: in a session whose rules carry
`waitlist_offer_hours`, a freed seat is offered to the head of the line for that long instead of
given at once. The offered registration leaves the line and holds the seat (`offered`) until it
is accepted (`pending` or `confirmed`), declined (`cancelled`, `offer_declined`) or lapses
(`expired`, `offer_expired`); a declined or lapsed offer frees the seat for the next in line.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from registration.domain import (
    Change,
    Rights,
    Seats,
    State,
    end_as,
    promote,
    promote_waitlist,
    take_seat,
)
from shared.events import SessionRules
from shared.refusals import Conflict, Forbidden

OFFER_DECLINED: Final = "offer_declined"
OFFER_EXPIRED: Final = "offer_expired"


def offer_deadline(offered: datetime, hours: float) -> datetime:
    """Until when a seat offered from the line is held (`offer_expires_at`)."""
    return offered + timedelta(hours=hours)


def offer(state: State, now: datetime, rules: SessionRules) -> Change:
    """The head of the line is offered a freed seat until `now` + `waitlist_offer_hours`: it
    leaves the line (the line moves up) and holds the seat meanwhile.

    ValueError when the rules offer no seats (`waitlist_offer_hours` None): see `seat_for_head`.
    """
    if rules.waitlist_offer_hours is None:
        raise ValueError("the session's rules offer no seats from the line")
    if state.status != "waitlisted":
        raise Conflict("Only a waitlisted registration is offered a seat.")
    after = replace(state, status="offered", waitlist_position=None)
    deadline = offer_deadline(now, rules.waitlist_offer_hours)
    return Change(state, after, ("offered",), offer_expires_at=deadline)


def seat_for_head(state: State, now: datetime, rules: SessionRules) -> Change:
    """What the head of the line gets when a seat frees: the seat, or its offer."""
    return promote(state) if rules.waitlist_offer_hours is None else offer(state, now, rules)


def offer_is_due(state: State, deadline: datetime | None, now: datetime) -> bool:
    """The offer's time is over (`deadline` is the registration's `offer_expires_at`)."""
    return state.status == "offered" and deadline is not None and now >= deadline


def _ensure_offered(state: State, rights: Rights) -> None:
    if not rights.may_answer_offer:
        raise Forbidden("Only the learner, or a manager, answers a seat offered.")
    if state.status != "offered":
        raise Conflict(f"The registration is {state.status}, not offered a seat.")


def accept(state: State, rights: Rights) -> Change:
    """The offered seat taken: `pending` if validations remain, else `confirmed` (fact `promoted`).

    The caller checks `offer_is_due` first and, past the deadline, applies `expire_offer`
    instead and answers that the offer expired (as `confirm` does with `is_due`).
    """
    _ensure_offered(state, rights)
    return take_seat(state)


def decline(state: State, rights: Rights) -> Change:
    """The offered seat refused: `cancelled`, reason `offer_declined`; the seat frees."""
    _ensure_offered(state, rights)
    return end_as(state, "cancelled", OFFER_DECLINED)


def expire_offer(state: State) -> Change:
    """An offer not accepted in time: `expired`, reason `offer_expired`; the seat frees."""
    if state.status != "offered":
        raise Conflict("Only a seat offered expires as an offer.")
    return end_as(state, "expired", OFFER_EXPIRED)


@dataclass(frozen=True)
class Handout:
    """The free seats handed to the head of a session's line: `promoted` take them at once,
    `offered` hold them as offers (one or the other, by the rules). An offer takes its seat."""

    seats: Seats
    promoted: int
    offered: int

    @property
    def count(self) -> int:
        """How many leave the head of the line, each by `seat_for_head`."""
        return self.promoted + self.offered


def hand_out(seats: Seats, rules: SessionRules) -> Handout:
    """The free seats to the head of the line now (as many as `promote_waitlist` promotes)."""
    after, count = promote_waitlist(seats)
    if rules.waitlist_offer_hours is None:
        return Handout(after, promoted=count, offered=0)
    return Handout(after, promoted=0, offered=count)
