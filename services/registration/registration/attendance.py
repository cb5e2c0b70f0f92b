"""Who came to an event, free of I/O: its attendance list, marking it in bulk and validating it.

Every `registered` event registration has one presence; the list follows the registrations
(`attendance_list`), so a learner whose event registration ended has none in it. Marking and
validating return the presences after and one `PresenceChange` per presence that changed (one
`attendance.recorded` event each, with `previous_status` and `actor`); the use case persists them
with a new `version` each.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, get_args

from registration.event_domain import EventRights
from shared.bounds import NOTE_TEXT
from shared.events import PresenceCounts, PresenceStatus
from shared.refusals import Forbidden, Invalid

PRESENCE_STATUSES: Final[tuple[PresenceStatus, ...]] = get_args(PresenceStatus)
MAX_NOTE: Final = NOTE_TEXT


@dataclass(frozen=True)
class PresenceState:
    """One learner's presence at one event, as far as the rules see it."""

    user_id: str
    status: PresenceStatus = "unknown"
    note: str | None = None
    signed_at: datetime | None = None  # when the learner checked in themself
    marked_by: str | None = None


@dataclass(frozen=True)
class Mark:
    """One item of a bulk marking. `note` None keeps the note as it is; "" clears it."""

    user_id: str
    status: PresenceStatus
    note: str | None = None


@dataclass(frozen=True)
class PresenceChange:
    """One presence changed (one `attendance.recorded`)."""

    before: PresenceState
    after: PresenceState
    actor: str

    @property
    def previous_status(self) -> PresenceStatus:
        return self.before.status


@dataclass(frozen=True)
class Marked:
    """The attendance list after a marking or a validation, and what changed in it."""

    presences: tuple[PresenceState, ...]
    changes: tuple[PresenceChange, ...]


@dataclass(frozen=True)
class Validated(Marked):
    """A validation: `announces` is False when the attendance was validated already."""

    counts: PresenceCounts
    announces: bool


def attendance_list(
    registered: Sequence[str], kept: Mapping[str, PresenceState]
) -> list[PresenceState]:
    """One presence per learner `registered` to the event (in that order): the one `kept` for
    them, else a new `unknown` one. Presences of learners no longer registered are left out."""
    return [kept.get(user_id) or PresenceState(user_id) for user_id in registered]


def ensure_may_mark(rights: EventRights, *, validated: bool) -> None:
    """Managers and tutors of the session mark; once validated, only a manager."""
    manager = rights.manager or rights.admin
    if validated and not manager:
        raise Forbidden("The attendance is validated: only a manager of the training changes it.")
    if not (manager or rights.tutor):
        raise Forbidden("Only a manager or tutor of the session marks the attendance.")


def mark(
    presences: Sequence[PresenceState],
    items: Sequence[Mark],
    rights: EventRights,
    *,
    validated: bool,
    actor: str,
) -> Marked:
    """Apply every item or none: an item for a learner not registered to the event, a learner
    named twice, a note over `MAX_NOTE` characters, or `unknown` once validated is an `Invalid`
    and nothing changes. An item that changes neither status nor note yields no change.

    A presence marked other than `present` loses the learner's own signature (`signed_at`):
    the filled sheet never shows a signature beside an absence."""
    ensure_may_mark(rights, validated=validated)
    by_user = {presence.user_id: presence for presence in presences}
    strangers = [item.user_id for item in items if item.user_id not in by_user]
    if strangers:
        names = ", ".join(dict.fromkeys(strangers))
        raise Invalid(
            "items",
            f"not registered to this event: {names}",
            f"Not registered to this event: {names}.",
        )
    seen: set[str] = set()
    for item in items:
        if item.user_id in seen:
            raise Invalid("items", f"names {item.user_id} twice")
        seen.add(item.user_id)
        if item.note is not None and len(item.note) > MAX_NOTE:
            raise Invalid("items", f"note of {item.user_id} is over {MAX_NOTE} characters")
        if validated and item.status == "unknown":
            raise Invalid("items", f"{item.user_id}: a validated attendance has no unknown status")
    after = dict(by_user)
    changes: list[PresenceChange] = []
    for item in items:
        before = by_user[item.user_id]
        marked = _marked(before, item, actor)
        if marked is not None:
            after[item.user_id] = marked
            changes.append(PresenceChange(before, marked, actor))
    return Marked(tuple(after[p.user_id] for p in presences), tuple(changes))


def _marked(before: PresenceState, item: Mark, actor: str) -> PresenceState | None:
    note = before.note if item.note is None else (item.note or None)
    if item.status == before.status and note == before.note:
        return None
    signed_at = before.signed_at if item.status == "present" else None
    return replace(before, status=item.status, note=note, signed_at=signed_at, marked_by=actor)


def counts(presences: Sequence[PresenceState]) -> PresenceCounts:
    """How many presences have each of the four statuses (`attendance.validated`'s `counts`)."""
    tally = dict.fromkeys(PRESENCE_STATUSES, 0)
    for presence in presences:
        tally[presence.status] += 1
    return PresenceCounts(**tally)


def validate(
    presences: Sequence[PresenceState], rights: EventRights, *, validated: bool, actor: str
) -> Validated:
    """A manager locks the attendance: every `unknown` becomes `absent_unjustified`.

    Validating a validated attendance is idempotent (a retried request succeeds): it changes
    nothing and announces nothing (`announces` False: no second `attendance.validated`)."""
    if not (rights.manager or rights.admin):
        raise Forbidden("Only a manager of the training validates the attendance.")
    if validated:
        return Validated(tuple(presences), (), counts(presences), announces=False)
    changes = tuple(
        PresenceChange(p, replace(p, status="absent_unjustified", marked_by=actor), actor)
        for p in presences
        if p.status == "unknown"
    )
    changed = {change.after.user_id: change.after for change in changes}
    after = tuple(changed.get(p.user_id, p) for p in presences)
    return Validated(after, changes, counts(after), announces=True)
