"""New registrations: every request for a session is decided here, in batches of the requests
that arrive together (`registration.admission` forms them), on the session's locked seat row."""

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry.context import Context

from registration import domain, store
from registration.admission import Outcome
from registration.answers import Answers, validated_answers
from registration.records import RegistrationRow, SessionRow
from registration.use_cases.announcements import confirmation_command, fact
from registration.use_cases.changes import confirmation, new_registration, new_row, seated
from registration.use_cases.rights import as_learner
from registration.use_cases.seat_book import SeatBook, SeatBooks
from registration.windows import ensure_may_register, window_of
from shared import tracing
from shared.auth import Principal
from shared.events import (
    CloudEvent,
    Registration,
    RegistrationUser,
    RegistrationWindow,
    SessionRules,
)
from shared.observability import request_id
from shared.problems import body_of
from shared.refusals import Refusal, conflict, forbidden, not_found

COMMANDS_CONSUMER = "registration.commands"


@dataclass(frozen=True)
class RegistrationRequest:
    session_id: uuid.UUID
    user: RegistrationUser | None = None  # None: the caller registers themself
    force: bool = False
    answers: Mapping[str, object] = field(default_factory=dict)  # by question id, as given


@dataclass(frozen=True)
class Applicant:
    """One request waiting for its session's next batch."""

    actor: Principal
    request: RegistrationRequest
    delivery_id: str | None = None  # a command's event id
    request_id: str | None = None  # the caller's, for the events (the batch runs elsewhere)
    trace: Context = field(default_factory=tracing.current)
    """The caller's trace context, which its events continue."""


@dataclass(frozen=True)
class BulkResult:
    user_id: str
    registration: Registration | None = None
    error: dict[str, Any] | None = None


class AlreadyHandled(Exception):
    """A command delivered again: its effect happened already."""


Admit = Callable[[uuid.UUID, Applicant], Coroutine[Any, Any, Registration]]


async def admit_batch(
    books: SeatBooks, session_id: uuid.UUID, applicants: Sequence[Applicant]
) -> list[Outcome]:
    """One transaction for many requests for one session: the seat row locked once, each
    decided in arrival order, every row and event written together. Each gets its own
    outcome: its registration, or the problem only it has (`AlreadyHandled` included)."""
    async with books.transaction() as book:
        session = await book.lock_session(session_id)
        if session is None or session["status"] in ("deleted", "cancelled"):
            return [_closed(session_id, session) for _ in applicants]
        return await _admit_all(book, session, applicants, datetime.now(UTC))


async def register_many(
    books: SeatBooks,
    admit: Admit,
    actor: Principal,
    session_id: uuid.UUID,
    users: Sequence[RegistrationUser],
    answers: Mapping[str, object],
) -> list[BulkResult]:
    """POST /api/registrations/bulk: each user its own decision, in the order given, each
    with the same `answers`."""
    async with books.reading() as book:
        session = await book.session_by_id(session_id)
    if session is None or session["status"] == "deleted":
        raise not_found("session", session_id)
    if not actor.manages_training_of(session["organizations"]):
        raise forbidden("Only a manager of the training registers in bulk.")
    rid = request_id.get()
    outcomes = await asyncio.gather(
        *(
            admit(
                session_id,
                Applicant(actor, RegistrationRequest(session_id, user, answers=answers), None, rid),
            )
            for user in users
        ),
        return_exceptions=True,
    )
    results = []
    for user, outcome in zip(users, outcomes, strict=True):
        if isinstance(outcome, Refusal):
            results.append(BulkResult(user.id, error=body_of(outcome)))
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            results.append(BulkResult(user.id, registration=outcome))
    return results


def _closed(session_id: uuid.UUID, session: SessionRow | None) -> Refusal:
    if session is None or session["status"] == "deleted":
        return not_found("session", session_id)
    return conflict("The session is cancelled.", session_id=str(session_id))


async def _admit_all(
    book: SeatBook, session: SessionRow, applicants: Sequence[Applicant], now: datetime
) -> list[Outcome]:
    """The one place new registrations are decided, on a session whose seat row the caller has
    locked: in arrival order, each against the seats the ones before it left.

    Everything that can refuse one request is checked before anything is written (rights, the
    registration window, the answers, redelivery, an active registration, the same learner
    twice in the batch), so one caller's error never fails the others; then all rows and events
    go in a few statements.
    """
    rules = SessionRules.model_validate(session["rules"])
    window = window_of(session)
    outcomes: list[Outcome | None] = [None] * len(applicants)
    learners: dict[int, RegistrationUser] = {}
    answers: dict[int, Answers] = {}
    for i, applicant in enumerate(applicants):
        request = applicant.request
        try:
            _authorize(applicant.actor, session, rules, window, request, now)
            answers[i] = validated_answers(
                rules.questions, request.answers, by_manager=request.user is not None
            )
        except Refusal as refusal:
            outcomes[i] = refusal
            continue
        learners[i] = request.user or as_learner(applicant.actor)
    deliveries = {i: d for i in learners if (d := applicants[i].delivery_id)}
    if deliveries:
        first = await book.first_deliveries(COMMANDS_CONSUMER, deliveries.values())
        for i, delivery_id in deliveries.items():
            if delivery_id not in first:
                outcomes[i] = AlreadyHandled(delivery_id)
                del learners[i]
    existing = (
        await book.active_registration_ids(
            session["id"], [learner.id for learner in learners.values()]
        )
        if learners
        else {}
    )
    seats = store.seats_of(session)
    rows: list[RegistrationRow] = []
    events: list[CloudEvent] = []
    commands: list[CloudEvent] = []
    refused_deliveries: list[str] = []
    for i, learner in learners.items():
        applicant = applicants[i]
        if learner.id in existing:
            outcomes[i] = conflict(
                "Already registered to this session.", id=str(existing[learner.id])
            )
            if applicant.delivery_id:
                refused_deliveries.append(applicant.delivery_id)
            continue
        request = applicant.request
        pending = domain.required_validations(rules, by_manager=request.user is not None)
        admission = domain.admit(seats, pending, force=request.force)
        seats = admission.seats
        token, expires_at = confirmation(pending, rules, now)
        row = new_row(
            session,
            learner,
            admission,
            pending,
            force=request.force,
            now=now,
            requested_by=applicant.actor.sub,
            given=[],
            token=token,
            expires_at=expires_at,
            answers=answers[i],
        )
        existing[learner.id] = row["id"]
        rows.append(row)
        registration = new_registration(row, learner)
        outcomes[i] = registration
        rid = applicant.request_id
        actor = applicant.actor.sub
        # what both facts carry, made once: the registration's JSON and the caller's trace
        as_json = registration.model_dump(mode="json")
        trace = tracing.fields_of_context(applicant.trace)
        events.append(fact("requested", registration, actor, rid, as_json=as_json, trace=trace))
        if admission.status in ("confirmed", "waitlisted"):
            events.append(
                fact(admission.status, registration, actor, rid, as_json=as_json, trace=trace)
            )
        if token and expires_at:
            with tracing.within(applicant.trace):
                commands.append(confirmation_command(registration, token, expires_at))
    if rows:
        await book.set_seats(session["id"], seats)
        seated(session, seats)
        await book.insert_registrations(rows)
        await book.record_all(events, commands)
        await book.registrations_created(rows, now)
    if refused_deliveries:  # as if never delivered: a redelivery is refused again
        await book.forget_commands(COMMANDS_CONSUMER, refused_deliveries)
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _authorize(
    actor: Principal,
    session: SessionRow,
    rules: SessionRules,
    window: RegistrationWindow,
    request: RegistrationRequest,
    now: datetime,
) -> None:
    manager = actor.manages_training_of(session["organizations"])
    tutor = actor.sub in session["tutors"]
    if request.force and not manager:
        raise forbidden("Only a manager of the training may force a registration.")
    if request.user is not None:
        if not (manager or tutor):
            raise forbidden("Only a manager or tutor of the session may register someone else.")
        return
    if not rules.public_registration:
        raise forbidden("This session does not take public registrations.")
    ensure_may_register(window, now, by_manager=False)
