"""An event's attendance: its list, marking it, validating it, its check-in code and a learner's
own check-in (the rules: `attendance`, `check_in`). Each call is one transaction, the presences
changed and their `attendance.*` events together; a validation, and a change of a validated
attendance, go on to the session's completion through `follow_ups`.

Lock order: marking and validating take the session's row, the event's, then its presences (as
every event registration change does); a check-in takes only the learner's presence, so check-ins
at the door do not wait on each other.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from registration import attendance, check_in, store
from registration.attendance import Mark, PresenceChange, PresenceState
from registration.records import EventRow, PresenceRow
from registration.use_cases import Database, follow_ups
from registration.use_cases.announcements import announce_presence, announce_validated
from registration.use_cases.event_registrations import lock_live_event
from registration.use_cases.rights import event_rights
from shared.auth import Principal
from shared.db import transaction
from shared.events import Presence
from shared.refusals import TooManyRequests, forbidden, not_found


class EventAttendance(BaseModel):
    """An event's attendance list: one presence per learner registered to it."""

    items: list[Presence]
    validated: bool


class CheckInCode(BaseModel):
    """The event's current check-in code and when it works (from 30 min before the start to the
    end, exclusive)."""

    code: str
    valid_from: datetime
    valid_until: datetime


class Presences:
    def __init__(self, sessions: Database, public_url: str) -> None:
        self._sessions = sessions
        self._public_url = public_url  # the certificate's link, in what completion announces

    async def attendance(self, actor: Principal, event_id: uuid.UUID) -> EventAttendance:
        """Managers and tutors of the session read it."""
        async with self._sessions() as db:
            event = await _live_event(db, event_id)
            _ensure_staff(actor, event)
            rows = await store.event_presences(db, event_id)
        return _attendance(event, rows)

    async def mark(
        self, actor: Principal, event_id: uuid.UUID, items: Sequence[Mark]
    ) -> EventAttendance:
        """All items or none (`attendance.mark`); one `attendance.recorded` per presence changed.
        A manager changing a validated attendance has the completion decided again."""
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            event = await lock_live_event(db, event_id)
            validated = _validated(event)
            rows = await store.lock_presences(db, event_id)
            marked = attendance.mark(
                [_state(row) for row in rows],
                items,
                event_rights(actor, event, actor.sub),
                validated=validated,
                actor=actor.sub,
            )
            rows = await _write(db, event, rows, marked.changes, now)
            if validated and marked.changes:
                await follow_ups.attendance_validated(db, event, actor.sub, now, self._public_url)
        return _attendance(event, rows)

    async def validate(self, actor: Principal, event_id: uuid.UUID) -> EventAttendance:
        """A manager locks the attendance: every `unknown` becomes `absent_unjustified` (one
        `attendance.recorded` each), then one `attendance.validated` with the counts. Validating
        again changes and tells nothing, but has the completion decided if it is due by now (an
        event validated before its end counts from then on)."""
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            event = await lock_live_event(db, event_id)
            rows = await store.lock_presences(db, event_id)
            validated = attendance.validate(
                [_state(row) for row in rows],
                event_rights(actor, event, actor.sub),
                validated=_validated(event),
                actor=actor.sub,
            )
            if validated.announces:
                await store.set_attendance_validated(db, event_id, now)
                event["attendance_validated_at"] = now
                rows = await _write(db, event, rows, validated.changes, now)
                await announce_validated(db, event_id, event["session_id"], validated.counts)
            await follow_ups.attendance_validated(db, event, actor.sub, now, self._public_url)
        return _attendance(event, rows)

    async def check_in_code(self, actor: Principal, event_id: uuid.UUID) -> CheckInCode:
        """The event's code; the first reader of an event without one gives it one."""
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            event = await _live_event(db, event_id)
            _ensure_staff(actor, event)
            code = event["check_in_code"] or await store.give_check_in_code_if_none(
                db, event_id, check_in.new_code(), now
            )
        return _code(event, code)

    async def new_check_in_code(self, actor: Principal, event_id: uuid.UUID) -> CheckInCode:
        """A new code: the old one stops working."""
        now = datetime.now(UTC)
        code = check_in.new_code()
        async with transaction(self._sessions) as db:
            event = await _live_event(db, event_id)
            _ensure_staff(actor, event)
            await store.set_check_in_code(db, event_id, code, now)
        return _code(event, code)

    async def check_in(self, actor: Principal, event_id: uuid.UUID, code: str) -> Presence:
        """The learner's own check-in (`check_in.check_in`), once. At most `MAX_WRONG_TRIES`
        wrong codes per learner and event in `TRIES_WINDOW` (then 429): a wrong try is committed
        before it is refused, so it counts whatever the answer."""
        now = datetime.now(UTC)
        wrong: check_in.WrongCode | None = None
        async with transaction(self._sessions) as db:
            # the learner's presence first: a validation waits for it, or it waits for that
            row = await store.lock_presence(db, event_id, actor.sub)
            event = await _live_event(db, event_id)
            since = now - check_in.TRIES_WINDOW
            if row is not None:
                tries = await store.recent_wrong_tries(db, event_id, actor.sub, since)
                decision = check_in.may_try(tries, now)
                if not decision.allowed:
                    raise TooManyRequests(
                        "Too many wrong check-in codes: try again later.",
                        decision.retry_after_seconds,
                    )
            try:
                checked = check_in.check_in(
                    _state(row) if row else None,
                    code,
                    event["check_in_code"],
                    now,
                    check_in.window_of(event["start"], event["end"]),
                    validated=_validated(event),
                )
            except check_in.WrongCode as refused:
                await store.forget_wrong_tries(db, event_id, actor.sub, since)
                await store.record_wrong_try(db, event_id, actor.sub, now)
                wrong = refused
            else:
                assert row is not None  # check_in refuses a learner without a presence
                changes = (checked.change,) if checked.change else ()
                row = (await _write(db, event, [row], changes, now))[0]
        if wrong is not None:
            raise wrong
        assert row is not None
        return _presence(event, row)


async def _live_event(db: AsyncSession, event_id: uuid.UUID) -> EventRow:
    event = await store.event_by_id(db, event_id)
    if event is None or event["status"] == "deleted":
        raise not_found("event", event_id)
    return event


def _ensure_staff(actor: Principal, event: EventRow) -> None:
    if not event_rights(actor, event, actor.sub).staff:
        raise forbidden("Only a manager or tutor of the session does this.")


async def _write(
    db: AsyncSession,
    event: EventRow,
    rows: Sequence[PresenceRow],
    changes: Sequence[PresenceChange],
    now: datetime,
) -> list[PresenceRow]:
    """Each change as a new version of its presence and one `attendance.recorded`; the rows as
    they are after."""
    by_user = {row["user_id"]: row for row in rows}
    for change in changes:
        after = change.after
        row = await store.update_presence(
            db,
            by_user[after.user_id],
            status=after.status,
            note=after.note,
            signed_at=after.signed_at,
            marked_by=after.marked_by,
            now=now,
        )
        by_user[after.user_id] = row
        await announce_presence(db, _presence(event, row), change)
    return [by_user[row["user_id"]] for row in rows]


def _validated(event: EventRow) -> bool:
    return event["attendance_validated_at"] is not None


def _state(row: PresenceRow) -> PresenceState:
    return PresenceState(
        row["user_id"], row["status"], row["note"], row["signed_at"], row["marked_by"]
    )


def _presence(event: EventRow, row: PresenceRow) -> Presence:
    return Presence.model_validate({**row, "validated": _validated(event)})


def _attendance(event: EventRow, rows: Sequence[PresenceRow]) -> EventAttendance:
    return EventAttendance(
        items=[_presence(event, row) for row in rows], validated=_validated(event)
    )


def _code(event: EventRow, code: str) -> CheckInCode:
    window = check_in.window_of(event["start"], event["end"])
    return CheckInCode(code=code, valid_from=window.valid_from, valid_until=window.valid_until)
