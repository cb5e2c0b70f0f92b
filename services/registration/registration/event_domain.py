"""Event registration rules, free of I/O: a learner's place at one event (séance) of their
session. An event has its own seats (`max_users`) and its own gap-free line; the counters reuse
the session's `Seats` (`taken` = registered), and `release` frees them the same way."""

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from registration.domain import Seats, admit
from shared.events import EventRegistrationMode, EventRegistrationStatus, RegistrationStatus
from shared.refusals import Conflict, Forbidden

EVENT_ACTIVE: Final[frozenset[EventRegistrationStatus]] = frozenset({"registered", "waitlisted"})
EventFact = Literal["registered", "waitlisted", "promoted", "cancelled"]
EVENT_DELETED: Final = "event_deleted"


def session_registration_ended(status: RegistrationStatus) -> str:
    """The reason an event registration ends when its session registration does."""
    return f"registration_{status}"


@dataclass(frozen=True)
class EventRights:
    """What the caller is to one event registration; platform_admin is everything."""

    learner: bool = False
    manager: bool = False  # manager of the event's training
    tutor: bool = False  # tutor of the event's session
    admin: bool = False

    @property
    def staff(self) -> bool:
        return self.manager or self.tutor or self.admin

    @property
    def may_read(self) -> bool:
        return self.learner or self.staff


@dataclass(frozen=True)
class EventState:
    status: EventRegistrationStatus
    waitlist_position: int | None = None

    @property
    def active(self) -> bool:
        return self.status in EVENT_ACTIVE


@dataclass(frozen=True)
class EventChange:
    """One change of one event registration (one `version`) and the fact it announces."""

    before: EventState | None  # None: a new registration
    after: EventState
    fact: EventFact
    reason: str | None = None

    @property
    def frees_seat(self) -> bool:
        return (
            self.before is not None
            and self.before.status == "registered"
            and (self.after.status != "registered")
        )

    @property
    def left_line_at(self) -> int | None:
        before = self.before
        if before is None or before.status != "waitlisted":
            return None
        if self.after.status != "waitlisted":
            return before.waitlist_position
        return None


def may_register_to_event(mode: EventRegistrationMode, rights: EventRights) -> None:
    """Managers and tutors register learners to `manual` and `public` events; a learner
    registers themself to a `public` one. `auto` events follow the session's confirmed learners.
    """
    if rights.staff:
        if mode == "auto":
            raise Conflict("Registrations to an auto event follow the session: none by hand.")
        return
    if not rights.learner:
        raise Forbidden("Only a manager or tutor of the session registers someone else.")
    if mode != "public":
        raise Forbidden("This event does not take registrations from learners.")


def join_event(seats: Seats) -> tuple[EventChange, Seats]:
    """A newcomer takes a free seat when nobody waits; otherwise joins the end of the line."""
    admission = admit(seats, ())
    if admission.status == "waitlisted":
        after = EventState("waitlisted", admission.waitlist_position)
        return EventChange(None, after, "waitlisted"), admission.seats
    return EventChange(None, EventState("registered"), "registered"), admission.seats


def cancel_event_registration(
    state: EventState, rights: EventRights, mode: EventRegistrationMode, reason: str | None
) -> EventChange:
    """Managers and tutors cancel any; the learner their own on a `public` event."""
    if not (rights.staff or (rights.learner and mode == "public")):
        raise Forbidden("Only a manager or tutor of the session cancels this registration.")
    return end_event_registration(state, reason)


def end_event_registration(state: EventState, reason: str | None) -> EventChange:
    """The event is deleted, or the learner's session registration ended."""
    if not state.active:
        raise Conflict(f"The event registration is {state.status}.")
    return EventChange(state, EventState("cancelled"), "cancelled", reason)


def promote_to_event(state: EventState) -> EventChange:
    if state.status != "waitlisted":
        raise Conflict("Only a waitlisted event registration is promoted.")
    return EventChange(state, EventState("registered"), "promoted")


def registers_automatically(mode: EventRegistrationMode, end: datetime, now: datetime) -> bool:
    """An `auto` event that has not ended takes every confirmed learner of its session."""
    return mode == "auto" and end > now
