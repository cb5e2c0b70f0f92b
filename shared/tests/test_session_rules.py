"""The rules of `SessionRules.questions` and of a session's registration window, which catalog's
bodies and every reader of `catalog.session.*` share."""

from typing import Any

import pytest
from pydantic import ValidationError

from shared.events import RegistrationWindow, SessionRules

pytestmark = pytest.mark.unit


def _question(id_: str = "diet", kind: str = "text", **more: Any) -> dict[str, Any]:
    return {"id": id_, "label": "Diet", "kind": kind, **more}


def _error(**rules: Any) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as raised:
        SessionRules.model_validate(rules)
    (error,) = raised.value.errors()
    return error["loc"], error["msg"]


def test_rules_without_the_new_fields_keep_their_defaults() -> None:
    rules = SessionRules.model_validate({"max_users": 3})
    assert rules.waitlist_offer_hours is None
    assert rules.questions == []


def test_every_kind_of_question_is_accepted() -> None:
    rules = SessionRules(
        waitlist_offer_hours=0.5,
        questions=[
            _question("a"),
            _question("b", "boolean", required=True),
            _question("c", "choice", choices=["x", "y"]),
            _question("d", "multiple", choices=[f"c{i}" for i in range(50)]),
        ],
    )
    assert [q.kind for q in rules.questions] == ["text", "boolean", "choice", "multiple"]
    assert rules.questions[1].required
    assert not rules.questions[0].required


@pytest.mark.parametrize("hours", [0, -1, 8_760.5])
def test_offer_hours_are_bounded_as_confirmation_hours(hours: float) -> None:
    assert _error(waitlist_offer_hours=hours)[0] == ("waitlist_offer_hours",)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (_question(kind="text", choices=["x", "y"]), "a text question has no choices"),
        (_question(kind="boolean", choices=["x", "y"]), "a boolean question has no choices"),
        (_question(kind="choice"), "a choice question needs choices"),
        (_question(kind="multiple", choices=["x", "x"]), "choices must be unique"),
    ],
)
def test_choices_belong_to_choice_questions(question: dict[str, Any], message: str) -> None:
    loc, msg = _error(questions=[question])
    assert loc == ("questions", 0, "choices")
    assert message in msg


@pytest.mark.parametrize(
    "choices", [["only"], [f"c{i}" for i in range(51)], ["x", ""], ["x", "y" * 201]]
)
def test_choices_are_two_to_fifty_titles(choices: list[str]) -> None:
    assert _error(questions=[_question(kind="choice", choices=choices)])[0][:3] == (
        "questions",
        0,
        "choices",
    )


@pytest.mark.parametrize("id_", ["", "Diet", "a b", "a--b", "-a", "é", "a" * 65])
def test_a_question_id_is_a_slug(id_: str) -> None:
    assert _error(questions=[_question(id_)])[0] == ("questions", 0, "id")


def test_question_ids_are_unique() -> None:
    loc, msg = _error(questions=[_question("a"), _question("b"), _question("a")])
    assert loc == ("questions",)
    assert "a repeated" in msg


def test_at_most_twenty_questions() -> None:
    SessionRules(questions=[_question(f"q{i}") for i in range(20)])
    assert _error(questions=[_question(f"q{i}") for i in range(21)])[0] == ("questions",)


def test_a_window_opens_before_it_closes() -> None:
    opens = "2027-01-10T09:00:00+01:00"
    RegistrationWindow.model_validate({"registration_closes_at": opens})  # either end may be open
    with pytest.raises(ValidationError) as raised:
        RegistrationWindow.model_validate(
            {
                "registration_opens_at": opens,
                "registration_closes_at": "2027-01-10T08:00:00Z",  # the same instant
                "unregistration_closes_at": "2027-01-10T07:59:59Z",
            }
        )
    assert [e["loc"] for e in raised.value.errors()] == [
        ("registration_closes_at",),
        ("unregistration_closes_at",),
    ]


def test_a_window_time_has_an_offset() -> None:
    with pytest.raises(ValidationError):
        RegistrationWindow.model_validate({"registration_opens_at": "2027-01-10T09:00:00"})


def test_rules_without_completion_or_reminders_keep_their_defaults() -> None:
    """Replicas hold rules stored before these fields existed."""
    rules = SessionRules.model_validate_json('{"confirmation_hours": 48}')
    assert rules.completion_rate is None
    assert rules.reminder_hours == [24]


@pytest.mark.parametrize("rate", [1, 80, 100, 80.0])
def test_a_completion_rate_is_a_whole_percentage(rate: float) -> None:
    assert SessionRules(completion_rate=rate).completion_rate == int(rate)


@pytest.mark.parametrize("rate", [0, -5, 101, 80.5])
def test_a_completion_rate_outside_1_to_100_is_refused(rate: object) -> None:
    assert _error(completion_rate=rate)[0] == ("completion_rate",)


def test_reminders_are_up_to_five_hours_before_or_none() -> None:
    assert SessionRules(reminder_hours=[]).reminder_hours == []
    hours = [0.5, 2, 24, 72, 8_760]
    assert SessionRules.model_validate({"reminder_hours": hours}).reminder_hours == hours


@pytest.mark.parametrize("hours", [0, -1, 8_760.5])
def test_each_reminder_is_bounded_as_every_hours(hours: float) -> None:
    assert _error(reminder_hours=[24, hours])[0] == ("reminder_hours", 1)


def test_at_most_five_reminders() -> None:
    assert _error(reminder_hours=[1, 2, 3, 4, 5, 6])[0] == ("reminder_hours",)


def test_a_reminder_hour_given_twice_is_refused() -> None:
    loc, msg = _error(reminder_hours=[24, 2, 24.0])
    assert loc == ("reminder_hours",)
    assert "24.0 repeated" in msg
