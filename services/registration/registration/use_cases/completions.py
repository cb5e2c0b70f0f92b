"""A session's completion decided (`completion.decide`) for each `confirmed` registration, in the
transaction of the attendance change that makes it due (wired in `follow_ups`), the session's row
locked by the caller; with it, the learner's certificate announced once it is available."""

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from registration import completion, store
from registration.completion import EventTimes
from registration.records import RegistrationRow
from registration.use_cases.announcements import certificate_command, fact
from shared.events import Completion, PresenceStatus, Registration, SessionRules
from shared.observability import request_id


async def decide(
    db: AsyncSession, session_id: uuid.UUID, actor: str | None, now: datetime, public_url: str
) -> None:
    """Once every event of the session has ended with validated attendance and the session has a
    `completion_rate`: each `confirmed` registration whose decision is new or differs from the
    one it holds gets it (a new `version`), and publishes `registration.completed` when it
    becomes completed (`completion.announces`). Each one decided, the same decision again
    included, gets its certificate announced if it is available and was not yet
    (`_announce_certificate`)."""
    session = await store.session_by_id(db, session_id)
    if session is None:
        return
    rate = SessionRules.model_validate(session["rules"]).completion_rate
    events = [
        EventTimes(e["id"], e["start"], e["end"], e["attendance_validated_at"] is not None)
        for e in await store.session_events(db, session_id)
    ]
    if rate is None or not completion.completion_due(events, rate, now):
        return
    attended: dict[str, dict[uuid.UUID, PresenceStatus]] = defaultdict(dict)
    for presence in await store.session_presences(db, session_id):
        attended[presence["user_id"]][presence["event_id"]] = presence["status"]
    validated = {event.event_id: event.validated for event in events}
    for row in await store.confirmed_registrations(db, session_id):
        presences = attended[row["user_id"]]
        previous = Completion.model_validate(row["completion"]) if row["completion"] else None
        decided = completion.decide(events, presences, rate, now)
        current = row
        if previous is None or not _same(previous, decided):
            current = await store.set_completion(db, row, decided.model_dump(mode="json"), now)
            registration = Registration.model_validate(current)
            for name in completion.announces(previous, decided):
                await store.record_event(db, fact(name, registration, actor, request_id.get()))
        statuses = [(status, validated.get(event, False)) for event, status in presences.items()]
        if completion.certificate_available(statuses):
            await _announce_certificate(db, current, now, public_url)


async def _announce_certificate(
    db: AsyncSession, row: RegistrationRow, now: datetime, public_url: str
) -> None:
    """`notification.certificate_available` once per registration: its certificate id issued
    (the one every download prints), and written only by the call that marks it announced — a
    certificate downloaded before the decision exists unannounced."""
    issued = await store.issue_certificate(db, row["id"], now)
    if await store.mark_certificate_announced(db, row["id"], now):
        registration = Registration.model_validate(row)
        command = certificate_command(registration, issued["certificate_id"], public_url)
        await store.record_command(db, command)


def _same(previous: Completion, decided: Completion) -> bool:
    """The same decision, made at another time: kept as it is (no new version)."""
    return previous.model_dump(exclude={"decided_at"}) == decided.model_dump(exclude={"decided_at"})
