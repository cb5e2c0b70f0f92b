"""The registration rules of a training (its sessions' defaults) or of a session (its own copy),
as one form serves both (templates/sessions/rules.html): read here into the API's JSON fields.

Values are converted only as their control says (checkbox, number, list); the API judges them and
its 422 names the field. The questions come from a small editor of `MAX_QUESTIONS` rows
(`question-<n>-id`, `-label`, `-kind`, `-required`, `-choices` one per line); a row left without
id and label is no question.
"""

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from starlette.datastructures import FormData

from console import forms

MAX_QUESTIONS = 20
"""The contract's bound: at most 20 questions."""
SPARE_QUESTION_ROWS = 2
"""Empty rows the editor offers after the questions already there."""
EVENT_REGISTRATION_MODES = ("auto", "manual", "public")
QUESTION_KINDS = ("text", "choice", "multiple", "boolean")
FLAGS = (
    "public_registration",
    "public_unregistration",
    "user_validation",
    "organization_validation",
    "registration_validation",
)
RULE_FIELDS = (
    *FLAGS,
    "event_registration_mode",
    "max_users",
    "validators",
    "confirmation_hours",
    "waitlist_offer_hours",
    "completion_rate",
    "reminder_hours",
    "questions",
)

Number = int | float | str
"""What a number input gives: a number, or the text typed when it reads as none."""


class QuestionInput(TypedDict):
    id: str
    label: str
    kind: str
    required: bool
    choices: list[str] | None


class RulesInput(TypedDict, total=False):
    """The rules as the API takes them (`confirmation_hours` absent when left empty: a PATCH may
    not set it to null, a creation then gets its default)."""

    public_registration: bool
    public_unregistration: bool
    event_registration_mode: str
    max_users: Number | None
    user_validation: bool
    organization_validation: bool
    registration_validation: bool
    validators: list[str]
    confirmation_hours: Number
    waitlist_offer_hours: Number | None
    completion_rate: Number | None
    reminder_hours: list[Number]
    questions: list[QuestionInput]


def read_rules(form: FormData) -> RulesInput:
    rules: RulesInput = {
        "public_registration": forms.flag(form, "public_registration"),
        "public_unregistration": forms.flag(form, "public_unregistration"),
        "event_registration_mode": forms.text(form, "event_registration_mode") or "auto",
        "max_users": forms.number(form, "max_users"),
        "user_validation": forms.flag(form, "user_validation"),
        "organization_validation": forms.flag(form, "organization_validation"),
        "registration_validation": forms.flag(form, "registration_validation"),
        "validators": forms.words(form, "validators"),
        "waitlist_offer_hours": forms.number(form, "waitlist_offer_hours"),
        "completion_rate": forms.number(form, "completion_rate"),
        "reminder_hours": forms.numbers(form, "reminder_hours"),
        "questions": read_questions(form),
    }
    confirmation_hours = forms.number(form, "confirmation_hours")
    if confirmation_hours is not None:
        rules["confirmation_hours"] = confirmation_hours
    return rules


def read_questions(form: FormData) -> list[QuestionInput]:
    questions: list[QuestionInput] = []
    for row in range(MAX_QUESTIONS):
        prefix = f"question-{row}-"
        id_ = forms.text(form, prefix + "id")
        label = forms.text(form, prefix + "label")
        if id_ is None and label is None:
            continue
        choices = _lines(form, prefix + "choices")
        questions.append(
            {
                "id": id_ or "",
                "label": label or "",
                "kind": forms.text(form, prefix + "kind") or "text",
                "required": forms.flag(form, prefix + "required"),
                "choices": choices or None,
            }
        )
    return questions


def _lines(form: FormData, name: str) -> list[str]:
    raw = forms.text(form, name) or ""
    return [line.strip() for line in raw.splitlines() if line.strip()]


def rules_of(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A training's or a session's rules, as the API answered them: what a new session of that
    training starts from."""
    return {name: resource[name] for name in RULE_FIELDS if name in resource}


def question_rows(questions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The editor's rows: each question, then empty ones, `MAX_QUESTIONS` at most."""
    spare = min(SPARE_QUESTION_ROWS, max(MAX_QUESTIONS - len(questions), 0))
    empty: Mapping[str, Any] = {
        "id": "",
        "label": "",
        "kind": "text",
        "required": False,
        "choices": None,
    }
    return [*questions[:MAX_QUESTIONS], *([empty] * spare)]


def number_input(value: object) -> str:
    """A number as its input shows it again: 72.0 as "72", None as ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def numbers_input(values: object) -> str:
    """A list of numbers (reminder hours) as its text input shows it: "24, 2"."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        return number_input(values)
    return ", ".join(number_input(value) for value in values)


def lines_input(values: object) -> str:
    """Ids or choices, one per line, as a textarea shows them."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        return ""
    return "\n".join(str(value) for value in values)
