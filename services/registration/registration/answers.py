"""What learners answer a session's questions when they register, free of I/O: whether the answers
fit the questions, what a move carries, the export's cells and the answers' statistics.

An answer is a string (`text`, `choice`), a list of distinct strings (`multiple`) or a boolean
(`boolean`). A blank one (None, a string of only whitespace, an empty list) is no answer. The
questions of a session may change after learners answered: everywhere but at registration, an
answer counts only while it still fits its question (same kind, choices still offered), so the
export, the statistics and a move never show an answer the question no longer asks for.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from shared.bounds import LONG_TEXT, storable
from shared.events import Answer, Question, QuestionKind
from shared.refusals import Invalid
from shared.spreadsheets import safe_cell

Answers = dict[str, Answer]
"""By question id, as a registration stores them."""

REQUIRED = "requires an answer"
NO_SUCH_QUESTION = "is not a question of this session"


def _blank(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def misfit(question: Question, value: object) -> str | None:
    """Why `value` does not fit `question` (never the value itself: it is the learner's), or None
    when it does. A blank value fits nothing."""
    choices = question.choices or ()
    match question.kind:
        case "text":
            if not isinstance(value, str) or not value.strip():
                return "must be a text"
            if len(value) > LONG_TEXT:
                return f"must be at most {LONG_TEXT} characters"
            try:
                storable(value)
            except ValueError as error:
                return str(error)
            return None
        case "choice":
            if not isinstance(value, str) or value not in choices:
                return "must be one of its choices"
            return None
        case "multiple":
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(item, str) and item in choices for item in value)
                or len(set(value)) != len(value)
            ):
                return "must be a list of distinct choices"
            return None
        case "boolean":
            return None if isinstance(value, bool) else "must be true or false"


def fits(question: Question, value: object) -> bool:
    return misfit(question, value) is None


def validated_answers(
    questions: Sequence[Question], answers: Mapping[str, object], *, by_manager: bool = False
) -> Answers:
    """The answers a registration stores: every non-blank answer, in question order.

    Raises `Invalid` when a required question is unanswered (unless a manager or tutor registers
    someone else, `by_manager`: they may not know the learner's answer), an answer does not fit
    its question, or an answer names no question of the session. Unknown ids are refused rather
    than dropped: a client sending one has a stale or wrong form, and its learner would
    otherwise believe an answer was taken that nobody will ever see. The refusal's field is
    `answers.<question id>` of the first problem in question order (unknown ids last); its detail
    names every problem.
    """
    problems: list[tuple[str, str]] = []
    kept: Answers = {}
    for question in questions:
        value = answers.get(question.id)
        if _blank(value):
            if question.required and not by_manager:
                problems.append((question.id, REQUIRED))
            continue
        problem = misfit(question, value)
        if problem is not None:
            problems.append((question.id, problem))
        else:
            kept[question.id] = cast(Answer, value)  # misfit checked its type
    asked = {question.id for question in questions}
    problems += [(ident, NO_SUCH_QUESTION) for ident in answers if ident not in asked]
    if problems:
        ident, msg = problems[0]
        said = "; ".join(f"{name} {why}" for name, why in problems)
        raise Invalid(f"answers.{ident}", msg, f"The answers do not fit the questions: {said}.")
    return kept


def carried_answers(answers: Mapping[str, Answer], target: Sequence[Question]) -> Answers:
    """What a moved registration keeps: the answers to the target's questions that still fit
    them. A required question of the target may be left unanswered: a move is a manager's, and
    managers are not held to the questions."""
    return {q.id: answers[q.id] for q in target if q.id in answers and fits(q, answers[q.id])}


def answer_cells(questions: Sequence[Question], answers: Mapping[str, Answer]) -> list[str]:
    """The export's cells, one per question in order: empty when unanswered, `multiple` joined
    with `;`, booleans `true`/`false`; each already safe for a spreadsheet (`safe_cell`)."""
    return [safe_cell(_cell(q, answers.get(q.id))) for q in questions]


def _cell(question: Question, value: Answer | None) -> str:
    if value is None or not fits(question, value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return value


@dataclass(frozen=True)
class QuestionCounts:
    """One question of `GET /api/sessions/{id}/answers`; `counts` is None for `text` (absent)."""

    id: str
    label: str
    kind: QuestionKind
    answered: int
    counts: dict[str, int] | None


def answer_counts(
    questions: Sequence[Question], answers_of_active: Iterable[Mapping[str, Answer]]
) -> list[QuestionCounts]:
    """Per question: how many active registrations answered it, and how many chose each choice
    (every choice listed, 0 included; a `multiple` answer counts once for each choice in it) or
    said `true`/`false`."""
    answered = {q.id: 0 for q in questions}
    counts = {q.id: _zero_counts(q) for q in questions}
    for answers in answers_of_active:
        for question in questions:
            value = answers.get(question.id)
            if value is None or not fits(question, value):
                continue
            answered[question.id] += 1
            tally = counts[question.id]
            if tally is not None:
                for key in _keys(value):
                    tally[key] += 1
    return [QuestionCounts(q.id, q.label, q.kind, answered[q.id], counts[q.id]) for q in questions]


def _zero_counts(question: Question) -> dict[str, int] | None:
    if question.kind == "text":
        return None
    if question.kind == "boolean":
        return {"true": 0, "false": 0}
    return dict.fromkeys(question.choices or (), 0)


def _keys(value: Answer) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return value if isinstance(value, list) else [value]
