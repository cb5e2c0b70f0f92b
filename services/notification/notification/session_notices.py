"""What a session's learners are told of the session itself: its cancellation, its new dates, a
manager's or tutor's message; no I/O."""

import uuid
from collections.abc import Iterable
from typing import TypedDict

from notification.domain import (
    ACTIVE,
    SESSION_CANCELLED,
    Audience,
    Channel,
    Notice,
    RosterEntry,
    SessionView,
    channels_for,
    session_calendar,
)
from shared.events import RegistrationStatus


class CancelledWords(TypedDict):
    name: str
    session: SessionView
    reason: str | None
    status: str


class RescheduledWords(TypedDict):
    name: str
    session: SessionView
    before: SessionView
    status: str


class MessageWords(TypedDict):
    name: str
    session: SessionView
    subject: str
    body: str
    sender: str


def _ref(entry: RosterEntry, session: SessionView) -> dict[str, str]:
    return {"registration_id": str(entry.registration_id), "session_id": str(session.id)}


def audience_statuses(audience: Audience) -> tuple[RegistrationStatus, ...]:
    """Who a manager's message reaches: confirmed learners, or every one in the session."""
    return ("confirmed",) if audience == "confirmed" else ACTIVE


def session_cancelled_notices(
    session: SessionView, roster: Iterable[RosterEntry], reason: str | None
) -> list[Notice]:
    """Every learner still registered, or whose registration ended with the session."""
    notices = []
    for entry in roster:
        told = entry.status in ACTIVE or (
            entry.status == "cancelled" and entry.reason == SESSION_CANCELLED
        )
        if not told:
            continue
        words = CancelledWords(
            name=entry.learner.name, session=session, reason=reason, status=entry.status
        )
        notices.append(
            Notice(
                "session.cancelled",
                f"session:{session.id}:cancelled",
                entry.learner,
                channels_for(entry.learner),
                words,
                _ref(entry, session),
            )
        )
    return notices


def dates_changed(before: SessionView, after: SessionView) -> bool:
    return (before.start_date, before.end_date) != (after.start_date, after.end_date)


def session_rescheduled_notices(
    before: SessionView | None, after: SessionView, roster: Iterable[RosterEntry]
) -> list[Notice]:
    """New dates reach every active learner once per session version; the confirmed ones get
    an updated invitation (same UID, higher SEQUENCE)."""
    if before is None or after.version <= before.version or not dates_changed(before, after):
        return []
    notices = []
    for entry in roster:
        if entry.status not in ACTIVE:
            continue
        calendar = None
        if entry.status == "confirmed":
            calendar = session_calendar(after, entry.registration_id, entry.learner)
        words = RescheduledWords(
            name=entry.learner.name, session=after, before=before, status=entry.status
        )
        notices.append(
            Notice(
                "session.rescheduled",
                f"session:{after.id}:rescheduled:v{after.version}",
                entry.learner,
                channels_for(entry.learner),
                words,
                _ref(entry, after),
                calendar,
            )
        )
    return notices


def session_message_notices(
    message_id: uuid.UUID,
    session: SessionView,
    subject: str,
    body: str,
    channels: tuple[Channel, ...],
    roster: Iterable[RosterEntry],
    sender_name: str,
) -> list[Notice]:
    notices = []
    for entry in roster:
        wanted = channels_for(entry.learner, channels)
        if not wanted:
            continue
        words = MessageWords(
            name=entry.learner.name, session=session, subject=subject, body=body, sender=sender_name
        )
        notices.append(
            Notice(
                "session.message",
                f"message:{message_id}",
                entry.learner,
                wanted,
                words,
                {"session_id": str(session.id), "message_id": str(message_id)},
                category="messages",
            )
        )
    return notices
