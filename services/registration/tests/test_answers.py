"""Answers to a session's questions, without I/O."""

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from registration.answers import (
    Answers,
    QuestionCounts,
    answer_cells,
    answer_counts,
    carried_answers,
    validated_answers,
)

from shared.bounds import LONG_TEXT
from shared.events import Question, QuestionKind
from shared.refusals import Invalid

pytestmark = pytest.mark.unit


def Q(
    id: str, kind: QuestionKind, required: bool = False, choices: Sequence[str] | None = None
) -> Question:
    return Question(
        id=id,
        label=f"{id}?",
        kind=kind,
        required=required,
        choices=None if choices is None else list(choices),
    )


COMMENT = Q("comment", "text")
DIET = Q("diet", "choice", required=True, choices=("meat", "vegetarian", "vegan"))
TOPICS = Q("topics", "multiple", choices=("sql", "python", "rust"))
CONSENT = Q("consent", "boolean", required=True)
QUESTIONS = (COMMENT, DIET, TOPICS, CONSENT)
GOOD: dict[str, Any] = {
    "comment": "Late on day 1",
    "diet": "vegan",
    "topics": ["rust", "sql"],
    "consent": False,
}


def refusal(answers: dict[str, Any], questions: Sequence[Question] = QUESTIONS) -> Invalid:
    with pytest.raises(Invalid) as refused:
        validated_answers(questions, answers)
    return refused.value


# --- at registration ------------------------------------------------------------------------


def test_fitting_answers_are_kept_in_question_order() -> None:
    answers = dict(reversed(GOOD.items()))
    kept = validated_answers(QUESTIONS, answers)
    assert kept == GOOD
    assert list(kept) == ["comment", "diet", "topics", "consent"]


def test_no_questions_no_answers() -> None:
    assert validated_answers((), {}) == {}


def test_blank_optional_answers_are_not_stored() -> None:
    answers = {**GOOD, "comment": "  ", "topics": []}
    assert validated_answers(QUESTIONS, answers) == {"diet": "vegan", "consent": False}
    assert validated_answers(QUESTIONS, {**GOOD, "comment": None}) == {
        "diet": "vegan",
        "topics": ["rust", "sql"],
        "consent": False,
    }


@pytest.mark.parametrize("blank", [None, "", "   ", "missing"])
def test_a_required_question_left_blank_is_named(blank: str | None) -> None:
    answers = {k: v for k, v in GOOD.items() if k != "diet"}
    if blank != "missing":
        answers["diet"] = blank
    refused = refusal(answers)
    assert refused.field == "answers.diet"
    assert refused.msg == "requires an answer"


def test_false_answers_a_required_boolean() -> None:
    assert validated_answers((CONSENT,), {"consent": False}) == {"consent": False}


def test_a_required_multiple_needs_at_least_one_choice() -> None:
    required = Q("topics", "multiple", required=True, choices=("sql", "rust"))
    assert refusal({"topics": []}, (required,)).field == "answers.topics"


@pytest.mark.parametrize(
    ("question", "value", "msg"),
    [
        (COMMENT, 12, "must be a text"),
        (COMMENT, ["a"], "must be a text"),
        (COMMENT, True, "must be a text"),
        (COMMENT, "x" * (LONG_TEXT + 1), f"must be at most {LONG_TEXT} characters"),
        (COMMENT, "nul\x00byte", "must not contain U+0000"),
        (COMMENT, "half \ud800 pair", "must not contain an unpaired surrogate"),
        (DIET, "fish", "must be one of its choices"),
        (DIET, ["vegan"], "must be one of its choices"),
        (DIET, True, "must be one of its choices"),
        (TOPICS, "sql", "must be a list of distinct choices"),
        (TOPICS, ["sql", "sql"], "must be a list of distinct choices"),
        (TOPICS, ["sql", "go"], "must be a list of distinct choices"),
        (TOPICS, ["sql", 1], "must be a list of distinct choices"),
        (CONSENT, "true", "must be true or false"),
        (CONSENT, 1, "must be true or false"),
        (CONSENT, ["true"], "must be true or false"),
    ],
)
def test_an_answer_that_does_not_fit_its_kind_is_named(
    question: Question, value: Any, msg: str
) -> None:
    refused = refusal({**GOOD, question.id: value})
    assert refused.field == f"answers.{question.id}"
    assert refused.msg == msg
    assert f"{question.id} {msg}" in refused.detail


def test_a_text_at_the_bound_fits() -> None:
    assert validated_answers((COMMENT,), {"comment": "x" * LONG_TEXT})["comment"] == "x" * LONG_TEXT


def test_an_answer_to_no_question_is_refused() -> None:
    refused = refusal({**GOOD, "shoe_size": "42"})
    assert refused.field == "answers.shoe_size"
    assert refused.msg == "is not a question of this session"
    assert refusal({"x": True}, ()).field == "answers.x"


def test_every_problem_is_named_in_the_detail_the_first_in_question_order_in_the_field() -> None:
    refused = refusal({"stray": 1, "consent": "yes", "topics": ["go"]})
    assert refused.field == "answers.diet"
    assert refused.detail == (
        "The answers do not fit the questions: diet requires an answer; topics must be a list of"
        " distinct choices; consent must be true or false; stray is not a question of this"
        " session."
    )


def test_the_refusal_never_repeats_the_learners_value() -> None:
    secret = "my-very-private-answer"
    refused = refusal({**GOOD, "diet": secret, "consent": secret})
    assert secret not in refused.detail
    assert secret not in refused.msg


# --- a move -----------------------------------------------------------------------------------


def test_a_move_keeps_only_answers_the_target_asks_for_and_that_fit_there() -> None:
    target = (
        Q("diet", "choice", choices=("meat", "vegetarian")),  # vegan no longer offered
        Q("topics", "multiple", choices=("sql", "rust", "go")),
        Q("consent", "text"),  # another kind now
        Q("badge", "text", required=True),
    )
    assert carried_answers(GOOD, target) == {"topics": ["rust", "sql"]}


def test_a_move_to_the_same_questions_keeps_everything() -> None:
    assert carried_answers(GOOD, QUESTIONS) == GOOD


# --- the export -------------------------------------------------------------------------------


def test_one_cell_per_question() -> None:
    assert answer_cells(QUESTIONS, GOOD) == ["Late on day 1", "vegan", "rust;sql", "false"]
    assert answer_cells(QUESTIONS, {"consent": True}) == ["", "", "", "true"]
    assert answer_cells((), GOOD) == []


def test_cells_are_safe_for_a_spreadsheet() -> None:
    assert answer_cells((COMMENT,), {"comment": "=HYPERLINK(1)"}) == ["'=HYPERLINK(1)"]
    formula = Q("pick", "choice", choices=("-1", "+1"))
    assert answer_cells((formula,), {"pick": "-1"}) == ["'-1"]


def test_an_answer_the_question_no_longer_fits_shows_empty() -> None:
    assert answer_cells((DIET,), {"diet": "fish"}) == [""]
    assert answer_cells((CONSENT,), {"consent": "yes"}) == [""]


# --- the statistics ---------------------------------------------------------------------------


def test_counts_per_choice_and_per_boolean_none_for_text() -> None:
    registrations: list[Answers] = [
        GOOD,
        {"diet": "meat", "topics": ["sql"], "consent": True},
        {"diet": "vegan", "consent": True, "comment": "hi"},
        {},
    ]
    assert answer_counts(QUESTIONS, registrations) == [
        QuestionCounts("comment", "comment?", "text", 2, None),
        QuestionCounts("diet", "diet?", "choice", 3, {"meat": 1, "vegetarian": 0, "vegan": 2}),
        QuestionCounts("topics", "topics?", "multiple", 2, {"sql": 2, "python": 0, "rust": 1}),
        QuestionCounts("consent", "consent?", "boolean", 3, {"true": 2, "false": 1}),
    ]


def test_stale_answers_are_not_counted() -> None:
    counts = answer_counts((DIET,), [{"diet": "fish"}, {"diet": "meat"}])
    assert counts == [
        QuestionCounts("diet", "diet?", "choice", 1, {"meat": 1, "vegetarian": 0, "vegan": 0})
    ]


def test_counts_read_the_answers_once() -> None:
    counts = answer_counts(QUESTIONS, iter([GOOD, GOOD]))
    assert [c.answered for c in counts] == [2, 2, 2, 2]


answer_sets = st.fixed_dictionaries(
    {},
    optional={
        "comment": st.text(max_size=20),
        "diet": st.sampled_from(["meat", "vegetarian", "vegan", "fish"]),
        "topics": st.lists(st.sampled_from(["sql", "python", "rust"]), unique=True),
        "consent": st.booleans(),
    },
)


@settings(deadline=None)  # timing is no part of it; CI machines are shared
@given(st.lists(answer_sets, max_size=20))
def test_counts_never_exceed_the_registrations_and_choices_add_up(
    registrations: list[Answers],
) -> None:
    for counted in answer_counts(QUESTIONS, registrations):
        assert 0 <= counted.answered <= len(registrations)
        if counted.kind in ("choice", "boolean"):
            assert counted.counts is not None
            assert sum(counted.counts.values()) == counted.answered
        if counted.kind == "multiple":
            assert counted.counts is not None
            assert sum(counted.counts.values()) >= counted.answered


@settings(deadline=None)  # timing is no part of it; CI machines are shared
@given(answer_sets)
def test_whatever_validates_is_carried_whole_and_exported_whole(answers: Answers) -> None:
    try:
        kept = validated_answers(QUESTIONS, answers)
    except Invalid:
        return
    assert carried_answers(kept, QUESTIONS) == kept
    cells = answer_cells(QUESTIONS, kept)
    assert all(cell != "" for q, cell in zip(QUESTIONS, cells, strict=True) if q.id in kept)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=5)
    | st.sampled_from(["vegan", "sql"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=6,
)


@settings(deadline=None)  # timing is no part of it; CI machines are shared
@given(st.dictionaries(st.sampled_from([*(q.id for q in QUESTIONS), "stray"]), json_values))
def test_any_json_is_either_refused_as_invalid_or_kept_fitting(answers: dict[str, Any]) -> None:
    try:
        kept = validated_answers(QUESTIONS, answers)
    except Invalid as refused:
        field: str | None = refused.field
    else:
        field = None
        assert set(kept) <= set(answers)
        assert carried_answers(kept, QUESTIONS) == kept
        assert {"diet", "consent"} <= set(kept)
    assert field is None or field.startswith("answers.")
