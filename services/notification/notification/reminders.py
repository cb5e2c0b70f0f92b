"""When a learner is reminded of an event: the session's `reminder_hours` turned into due times,
and what a change of the event, the rule or the learner's place does to the reminders planned
before; no I/O.

A reminder is one (event, learner, hours, start): `start` is the event's start it was planned
for, so a moved event gets new reminders and the old ones are dropped, while one already sent
for a start is never planned again for that start. Nothing is planned for a time already past
when the learner registered (or when the change came), nor after the start.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

ReminderStatus = Literal["pending", "sent", "dropped"]
SCHEDULED: Final = "scheduled"
"""The one session status whose events are reminded (not `cancelled`, not `deleted`)."""


@dataclass(frozen=True)
class Slot:
    """One reminder of an event to a learner: `hours` before the event's `start`."""

    hours: float
    start: datetime

    @property
    def due_at(self) -> datetime:
        return self.start - timedelta(hours=self.hours)

    @property
    def key(self) -> tuple[float, datetime]:
        return (self.hours, self.start.astimezone(UTC))


@dataclass(frozen=True)
class Held:
    """A reminder planned before, as it stands."""

    slot: Slot
    status: ReminderStatus


@dataclass(frozen=True)
class Plan:
    """What to write: reminders to make pending (new ones, or dropped ones wanted again), and
    pending ones no longer wanted."""

    add: tuple[Slot, ...] = ()
    drop: tuple[Slot, ...] = ()


@dataclass(frozen=True)
class Standing:
    """What a learner's reminders of one event depend on, as the replicas hold it."""

    registered: bool
    """The learner's place at the event is `registered` (not waitlisted, not cancelled)."""
    start: datetime | None
    """The event's start; None once it is deleted (or not known)."""
    session_status: str | None
    reminder_hours: tuple[float, ...]

    @property
    def reminded(self) -> bool:
        return self.registered and self.start is not None and self.session_status == SCHEDULED


def slots(start: datetime, reminder_hours: Iterable[float]) -> tuple[Slot, ...]:
    """The reminders the rule asks for an event starting at `start`: one per distinct hours."""
    distinct = sorted({float(hours) for hours in reminder_hours if hours > 0}, reverse=True)
    return tuple(Slot(hours, start.astimezone(UTC)) for hours in distinct)


def wanted(standing: Standing) -> tuple[Slot, ...]:
    if not standing.reminded or standing.start is None:
        return ()
    return slots(standing.start, standing.reminder_hours)


def plan(standing: Standing, held: Sequence[Held], *, as_of: datetime) -> Plan:
    """Bring a learner's reminders of one event in line with `standing`, as of the moment the
    fact that changed it happened (the registration, the move, the new rule).

    A pending reminder stays while it is wanted, even once due (the scheduler sends it if the
    event has not started); one sent stays sent; a wanted one is added only if it is not due
    before `as_of`."""
    goal = wanted(standing)
    goal_keys = {slot.key for slot in goal}
    known = {entry.slot.key: entry.status for entry in held}
    drop = tuple(
        entry.slot
        for entry in held
        if entry.status == "pending" and entry.slot.key not in goal_keys
    )
    add = tuple(
        slot
        for slot in goal
        if known.get(slot.key, "dropped") == "dropped" and slot.due_at >= as_of
    )
    return Plan(add, drop)


def still_due(slot: Slot, standing: Standing, *, now: datetime) -> bool:
    """A claimed reminder goes out only if nothing changed meanwhile: the learner still
    registered, the event at that start and not started, its session not cancelled, the rule
    still asking for it (otherwise it is dropped)."""
    return slot.key in {wanted_slot.key for wanted_slot in wanted(standing)} and now < slot.start
