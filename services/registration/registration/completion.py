"""Hours attended, rates and a session's completion, free of I/O.

An event's hours run from its start to its end; only events that have ended (`end <= now`)
count. A learner is registered to an event while they have a presence at it; they attended it
when that presence is `present` (an `absent_justified` is excused, not attended: it counts in
`hours_total` only). `rate` = 100 * attended / total hours, 0 when the total is 0; a learner
completed when that `rate` (the one shown) is at least the session's `completion_rate`.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Final, Literal

from shared.events import Completion, PresenceStatus
from shared.refusals import Conflict

HOUR: Final = timedelta(hours=1)
CompletionFact = Literal["completed"]


@dataclass(frozen=True)
class EventTimes:
    """One event of the session, as the rules see it."""

    event_id: uuid.UUID
    start: datetime
    end: datetime
    validated: bool = False

    @property
    def hours(self) -> float:
        return (self.end - self.start) / HOUR

    def ended(self, now: datetime) -> bool:
        return self.end <= now


@dataclass(frozen=True)
class Attendance:
    """A learner's attendance over the ended events of a session."""

    events: int  # ended events they were registered to
    present: int
    hours_attended: float
    hours_total: float
    rate: float


@dataclass(frozen=True)
class SummaryRow:
    """One row of `GET /api/sessions/{id}/attendance`."""

    user_id: str
    name: str
    events: int
    present: int
    hours_attended: float
    hours_total: float
    rate: float


def rate_of(attended: timedelta, total: timedelta) -> float:
    """The percentage, correctly rounded from the exact ratio (so 7 h of 10 h is 70.0)."""
    if not total:
        return 0.0
    micro = timedelta(microseconds=1)
    return float(Fraction(100 * (attended // micro), total // micro))


def attendance_of(
    events: Mapping[uuid.UUID, EventTimes],
    presences: Mapping[uuid.UUID, PresenceStatus],
    now: datetime,
) -> Attendance:
    """Over the ended `events` of the session the learner has a presence at (by event id)."""
    attended = total = timedelta()
    counted = present = 0
    for event_id, status in presences.items():
        event = events.get(event_id)
        if event is None or not event.ended(now):
            continue
        span = event.end - event.start
        counted += 1
        total += span
        if status == "present":
            present += 1
            attended += span
    return Attendance(counted, present, attended / HOUR, total / HOUR, rate_of(attended, total))


@dataclass(frozen=True)
class Learner:
    user_id: str
    name: str


def summary(
    learners: Sequence[Learner],
    events: Sequence[EventTimes],
    presences: Mapping[str, Mapping[uuid.UUID, PresenceStatus]],
    now: datetime,
) -> list[SummaryRow]:
    """One row per learner (in the order given), from their presences by user id."""
    by_id = {event.event_id: event for event in events}
    rows = []
    for learner in learners:
        seen = attendance_of(by_id, presences.get(learner.user_id, {}), now)
        rows.append(
            SummaryRow(
                learner.user_id,
                learner.name,
                seen.events,
                seen.present,
                seen.hours_attended,
                seen.hours_total,
                seen.rate,
            )
        )
    return rows


def completion_due(
    events: Sequence[EventTimes], completion_rate: float | None, now: datetime
) -> bool:
    """Whether the session's completion is decided now: it has a `completion_rate` and events,
    and every one of them has ended and has validated attendance. A session without events has
    nothing to complete and is never decided."""
    return (
        completion_rate is not None
        and bool(events)
        and all(event.ended(now) and event.validated for event in events)
    )


def decide(
    events: Sequence[EventTimes],
    presences: Mapping[uuid.UUID, PresenceStatus],
    completion_rate: float,
    now: datetime,
) -> Completion:
    """One `confirmed` registration's completion, once `completion_due`; the use case decides
    again (a new `version`) when a manager changes a validated presence."""
    seen = attendance_of({event.event_id: event for event in events}, presences, now)
    return Completion(
        completed=seen.rate >= completion_rate,
        hours_attended=seen.hours_attended,
        hours_total=seen.hours_total,
        rate=seen.rate,
        decided_at=now,
    )


def announces(previous: Completion | None, decided: Completion) -> tuple[CompletionFact, ...]:
    """`registration.completed` when the registration becomes completed: it is now and was not at
    its previous decision (none yet, or not completed). A decision that keeps it completed
    announces nothing; one that takes it back announces nothing either (no event says so)."""
    if decided.completed and not (previous is not None and previous.completed):
        return ("completed",)
    return ()


def certificate_available(attended: Iterable[tuple[PresenceStatus, bool]]) -> bool:
    """From each of the learner's presences, (status, whether that event's attendance is
    validated): a certificate exists once at least one `present` is validated."""
    return any(status == "present" and validated for status, validated in attended)


def ensure_certificate_available(attended: Iterable[tuple[PresenceStatus, bool]]) -> None:
    """`certificate_available`, or 409."""
    if not certificate_available(attended):
        raise Conflict("No attended event of this registration has validated attendance yet.")
