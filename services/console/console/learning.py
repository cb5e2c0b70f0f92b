"""The learner's side, free of I/O: a session's sign-up questions read from the register form,
the API's answers 422 told per question, what a 409 at registration means, what a registration
awaits, and the small readings of an emailed link's query.

The form names each question's control `answer.<question id>` (ids are slugs: `[a-z0-9-]`), a
boolean as a yes/no radio pair so that "not answered" stays distinct from "no".
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from console import forms
from console.api import ApiProblem, FieldError

Question = Mapping[str, Any]
Answer = str | bool | list[str]

PREFIX = "answer."
STEPS = ("user", "organization", "registration", "validator")
"""The steps of `pending_validations`, each told by the text `learner.awaits.<step>`."""
STATUSES = ("pending", "confirmed", "waitlisted", "offered", "refused", "cancelled", "expired")
"""Each told by the text `learner.status.<status>`."""
ACTIVE = ("pending", "confirmed", "waitlisted", "offered")

REASONS = {
    "requires an answer": "required",
    "must be a text": "text",
    "must be one of its choices": "choice",
    "must be a list of distinct choices": "multiple",
    "must be true or false": "boolean",
    "is not a question of this session": "unknown",
}
"""The registration service's words for an answer that does not fit (`registration.answers`),
each told by the text `learner.answer.<key>`; any other message is shown as the API wrote it."""


def control_name(question: Question) -> str:
    return PREFIX + str(question.get("id", ""))


def answers_from_form(questions: Sequence[Question], form: FormData) -> dict[str, Answer]:
    """The `answers` of `POST /api/registrations`: one per question the learner answered, in the
    shape its kind takes; an unanswered one is left out (the API's 422 then names a required
    one). A value the question does not offer is passed on as sent: the API refuses it."""
    answers: dict[str, Answer] = {}
    for question in questions:
        ident = str(question.get("id", ""))
        name = control_name(question)
        match question.get("kind"):
            case "multiple":
                chosen = forms.all_of(form, name)
                if chosen:
                    answers[ident] = list(dict.fromkeys(chosen))
            case "boolean":
                raw = forms.text(form, name)
                if raw in ("true", "false"):
                    answers[ident] = raw == "true"
                elif raw is not None:
                    answers[ident] = raw
            case "choice":
                value = form.get(name)
                if isinstance(value, str) and value:
                    answers[ident] = value
            case _:  # text
                text = forms.text(form, name)
                if text is not None:
                    answers[ident] = text
    return answers


@dataclass(frozen=True)
class AnswerError:
    question_id: str
    label: str
    reason: str
    """A key of REASONS' values, or "" when `message` is the API's own words."""
    message: str


def answer_errors(problem: ApiProblem, questions: Sequence[Question]) -> list[AnswerError]:
    """The questions a 422 names (`answers.<id>`), with their labels and why."""
    labels = {str(q.get("id")): str(q.get("label") or q.get("id")) for q in questions}
    found: list[AnswerError] = []
    for error in problem.errors:
        name = error.field
        if not name.startswith("answers."):
            continue
        ident = name.removeprefix("answers.")
        found.append(
            AnswerError(ident, labels.get(ident, ident), REASONS.get(error.msg, ""), error.msg)
        )
    return found


def labelled_problem(
    problem: ApiProblem, errors: Sequence[AnswerError], said: Mapping[str, str]
) -> ApiProblem:
    """The problem as the page shows it: each question it names by its label, why in the
    viewer's words (`said`: reason -> text), the API's detail (ids, English) dropped when every
    error is told."""
    told = [
        FieldError((e.label,), said.get(e.reason, e.message) if e.reason else e.message)
        for e in errors
    ]
    others = [e for e in problem.errors if not e.field.startswith("answers.")]
    return ApiProblem(
        status=problem.status,
        title=problem.title,
        detail="" if told and not others else problem.detail,
        errors=[*told, *others],
        conflicting_id=problem.conflicting_id,
    )


Refusal = Literal["already_registered", "session_cancelled", "window", "other"]


def registration_refusal(problem: ApiProblem, session_id: str) -> Refusal:
    """What a 409 of `POST /api/registrations` says: the active registration it names (`id`),
    the cancelled session (`session_id`), or the registration window (no id)."""
    if problem.status != 409:
        return "other"
    if problem.conflicting_id and problem.conflicting_id != session_id:
        return "already_registered"
    if problem.conflicting_id == session_id or "cancelled" in problem.detail.lower():
        return "session_cancelled"
    return "window"


def awaits(registration: Mapping[str, Any]) -> list[str]:
    """The steps it still waits for, known ones only, in their order."""
    if registration.get("status") not in ("pending", "waitlisted", "offered"):
        return []
    pending = registration.get("pending_validations") or []
    return [str(step) for step in pending if step in STEPS]


def window_closed(session: Mapping[str, Any] | None, field: str, now: datetime) -> bool:
    """Whether the session's `registration_closes_at` / `unregistration_closes_at` has passed."""
    if session is None:
        return False
    raw = session.get(field)
    if not raw:
        return False
    try:
        return datetime.fromisoformat(str(raw)) <= now
    except ValueError:
        return False


def learner_may_cancel(
    registration: Mapping[str, Any], session: Mapping[str, Any] | None, now: datetime
) -> bool:
    """The learner's own cancel button: an active registration, a session that allows it
    (`public_unregistration`) and whose unregistration window has not closed."""
    if session is None or registration.get("status") not in ACTIVE:
        return False
    if not session.get("public_unregistration"):
        return False
    return not window_closed(session, "unregistration_closes_at", now)


CERTIFIED = ("confirmed", "cancelled")
"""The statuses a registration may have attended events in: the events take `confirmed` learners,
and one cancelled afterwards keeps the presences it had."""


def may_have_certificate(
    registration: Mapping[str, Any], session: Mapping[str, Any] | None, today: date
) -> bool:
    """Whether to offer the certificate's link: the API issues one once an event the learner
    attended has validated attendance, and the registration does not say so — offered from the
    decided completion, or for a registration that could have attended a session already begun
    (the download then says when there is none yet; no call per registration to find out)."""
    if registration.get("completion"):
        return True
    if registration.get("status") not in CERTIFIED or session is None:
        return False
    try:
        return date.fromisoformat(str(session.get("start_date"))) <= today
    except ValueError:
        return False


def uuid_or_none(value: str | None) -> str | None:
    """An id read from a link's query: its canonical spelling, or None when it is none."""
    if not value:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def token_or_none(value: str | None) -> str | None:
    """A confirmation token as the email carries it (URL-safe, at most 200 characters)."""
    if not value:
        return None
    value = value.strip()
    ok = 0 < len(value) <= 200 and all(c.isascii() and (c.isalnum() or c in "-_") for c in value)
    return value if ok else None


def in_zone(value: str | None, zone: ZoneInfo) -> str | None:
    """An API time in the console's time zone (where the trainings take place), ISO again."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).astimezone(zone).isoformat()
    except ValueError:
        return value


def session_ids(registrations: Iterable[Mapping[str, Any]]) -> list[str]:
    """The distinct sessions of a page of registrations, in order."""
    return list(dict.fromkeys(str(r.get("session_id")) for r in registrations))
