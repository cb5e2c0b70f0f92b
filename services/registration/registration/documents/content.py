"""What each document shows (docs/attendance.md), as its caller hands it over.

Timestamps are aware and written in the offset they carry (an event's times as they read where it
takes place); a learner's `signed_at` is written in the offset of the event's start.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

PresenceStatus = Literal["unknown", "present", "absent_justified", "absent_unjustified"]


def _aware(*moments: datetime | None) -> None:
    if any(moment is not None and moment.utcoffset() is None for moment in moments):
        raise ValueError("a document's timestamps carry their offset")


@dataclass(frozen=True)
class SheetEvent:
    title: str
    start: datetime
    end: datetime
    location: str | None = None

    def __post_init__(self) -> None:
        _aware(self.start, self.end)


@dataclass(frozen=True)
class SheetRow:
    """A registered learner; `status` and `signed_at` are printed on the filled sheet only."""

    name: str
    status: PresenceStatus = "unknown"
    signed_at: datetime | None = None

    def __post_init__(self) -> None:
        _aware(self.signed_at)


@dataclass(frozen=True)
class AttendanceSheet:
    """One event's sheet: a row per registered learner, in the order given."""

    training_title: str
    session_title: str
    event: SheetEvent
    rows: tuple[SheetRow, ...]


@dataclass(frozen=True)
class AttendedEvent:
    title: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _aware(self.start, self.end)


@dataclass(frozen=True)
class CertificateOfAttendance:
    """`hours_attended` as the attendance rules count them (the same number the verification
    endpoint answers); `events` the attended ones, in the order given."""

    certificate_id: uuid.UUID
    learner_name: str
    training_code: str
    training_title: str
    session_title: str
    session_start: date
    session_end: date
    session_location: str | None
    events: tuple[AttendedEvent, ...]
    hours_attended: float
    issued_on: date
