"""The learner's pure helpers: answers read from the register form, the API's 422 told per
question, a 409 at registration, what a registration awaits, the emailed links' values, and the
message dialog's body."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from console import learning
from console.api import ApiProblem, FieldError
from console.routes.account import preferences_from_form
from console.routes.messages import channel_choice, message_from_form
from starlette.datastructures import FormData

pytestmark = pytest.mark.unit

QUESTIONS = [
    {"id": "level", "label": "Votre niveau", "kind": "choice", "required": True,
     "choices": ["debutant", "confirme"]},
    {"id": "diets", "label": "Régimes", "kind": "multiple", "required": False,
     "choices": ["vegetarien", "halal"]},
    {"id": "car", "label": "Véhicule ?", "kind": "boolean", "required": False},
    {"id": "why", "label": "Pourquoi ?", "kind": "text", "required": True},
]  # fmt: skip


def form(*fields: tuple[str, str]) -> FormData:
    return FormData(list(fields))


def test_answers_take_the_shape_of_each_kind() -> None:
    answers = learning.answers_from_form(
        QUESTIONS,
        form(
            ("answer.level", "confirme"),
            ("answer.diets", "halal"),
            ("answer.diets", "vegetarien"),
            ("answer.diets", "halal"),
            ("answer.car", "false"),
            ("answer.why", "  pour apprendre \n"),
        ),
    )
    assert answers == {
        "level": "confirme",
        "diets": ["halal", "vegetarien"],
        "car": False,
        "why": "pour apprendre",
    }


def test_what_is_left_empty_is_no_answer_and_a_yes_is_true() -> None:
    answers = learning.answers_from_form(
        QUESTIONS, form(("answer.why", "   "), ("answer.car", "true"), ("other", "x"))
    )
    assert answers == {"car": True}


def test_a_value_not_offered_is_passed_on_for_the_api_to_refuse() -> None:
    answers = learning.answers_from_form(
        QUESTIONS, form(("answer.level", "expert"), ("answer.car", "maybe"))
    )
    assert answers == {"level": "expert", "car": "maybe"}


def test_a_422_names_the_question_by_its_label_in_the_viewers_words() -> None:
    problem = ApiProblem(
        422,
        "Invalid request",
        "The answers do not fit the questions: level requires an answer.",
        [FieldError(("body", "answers.level"), "requires an answer")],
    )
    errors = learning.answer_errors(problem, QUESTIONS)
    assert errors == [
        learning.AnswerError("level", "Votre niveau", "required", "requires an answer")
    ]
    shown = learning.labelled_problem(problem, errors, {"required": "une réponse est nécessaire"})
    assert shown.detail == ""  # the API's English with ids: every error is told instead
    assert [(e.field, e.msg) for e in shown.errors] == [
        ("Votre niveau", "une réponse est nécessaire")
    ]
    assert shown.status == 422


def test_a_422_about_something_else_keeps_the_apis_detail() -> None:
    problem = ApiProblem(422, "Invalid", "bad", [FieldError(("body", "session_id"), "not a uuid")])
    errors = learning.answer_errors(problem, QUESTIONS)
    assert errors == []
    assert learning.labelled_problem(problem, errors, {}).detail == "bad"


def test_an_unknown_reason_is_shown_as_the_api_wrote_it() -> None:
    problem = ApiProblem(422, "Invalid", "", [FieldError(("body", "answers.why"), "too long")])
    errors = learning.answer_errors(problem, QUESTIONS)
    shown = learning.labelled_problem(problem, errors, {})
    assert [(e.field, e.msg) for e in shown.errors] == [("Pourquoi ?", "too long")]


SESSION = "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10"


@pytest.mark.parametrize(
    ("problem", "refusal"),
    [
        (ApiProblem(409, "Conflict", "Already registered to this session.",
                    conflicting_id="0f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10"), "already_registered"),
        (ApiProblem(409, "Conflict", "The session is cancelled.", conflicting_id=SESSION),
         "session_cancelled"),
        (ApiProblem(409, "Conflict", "Registration to this session closed at 2027-01-01."),
         "window"),
        (ApiProblem(422, "Invalid"), "other"),
    ],
)  # fmt: skip
def test_a_409_at_registration_says_which_refusal(problem: ApiProblem, refusal: str) -> None:
    assert learning.registration_refusal(problem, SESSION) == refusal


def test_a_registration_awaits_its_known_steps_while_it_is_not_decided() -> None:
    pending = {"status": "pending", "pending_validations": ["user", "validator", "odd"]}
    assert learning.awaits(pending) == ["user", "validator"]
    assert learning.awaits({"status": "confirmed", "pending_validations": []}) == []
    assert learning.awaits({"status": "refused", "pending_validations": ["organization"]}) == []


NOW = datetime(2027, 1, 10, 12, tzinfo=UTC)


def test_the_learner_cancels_only_a_session_that_allows_it_before_its_window_closes() -> None:
    active = {"status": "confirmed"}
    public = {"public_unregistration": True, "unregistration_closes_at": None}
    assert learning.learner_may_cancel(active, public, NOW)
    assert not learning.learner_may_cancel(active, None, NOW)
    assert not learning.learner_may_cancel(active, {"public_unregistration": False}, NOW)
    assert not learning.learner_may_cancel({"status": "cancelled"}, public, NOW)
    closed = {**public, "unregistration_closes_at": (NOW - timedelta(hours=1)).isoformat()}
    assert not learning.learner_may_cancel(active, closed, NOW)
    still = {**public, "unregistration_closes_at": (NOW + timedelta(hours=1)).isoformat()}
    assert learning.learner_may_cancel(active, still, NOW)


@pytest.mark.parametrize(
    ("value", "read"),
    [
        (SESSION, SESSION),
        (SESSION.upper(), SESSION),
        ("not-a-uuid", None),
        ("", None),
        (None, None),
    ],
)
def test_an_id_from_a_link(value: str | None, read: str | None) -> None:
    assert learning.uuid_or_none(value) == read


@pytest.mark.parametrize(
    ("value", "read"),
    [("aZ09_-x", "aZ09_-x"), ("bad token", None), ("é", None), ("x" * 201, None), (None, None)],
)
def test_a_token_from_a_link(value: str | None, read: str | None) -> None:
    assert learning.token_or_none(value) == read


def test_a_time_in_the_consoles_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert learning.in_zone("2027-01-10T12:00:00+00:00", paris) == "2027-01-10T13:00:00+01:00"
    assert learning.in_zone(None, paris) is None


def test_the_sessions_of_a_page_once_each_in_order() -> None:
    rows = [{"session_id": "b"}, {"session_id": "a"}, {"session_id": "b"}]
    assert learning.session_ids(rows) == ["b", "a"]


def test_the_message_dialog_as_the_apis_body() -> None:
    body = message_from_form(
        form(("subject", " Salle "), ("body", "Salle 4"), ("channels", "email"),
             ("audience", "all")),
        SESSION,
    )  # fmt: skip
    assert body == {
        "session_id": SESSION,
        "subject": "Salle",
        "body": "Salle 4",
        "channels": ["email"],
        "audience": "all",
    }
    default = message_from_form(form(), SESSION)
    assert (default["channels"], default["audience"]) == (["internal", "email"], "confirmed")
    assert channel_choice(["internal"]) == "internal"
    assert channel_choice(["internal", "email"]) == "both"


def test_the_preferences_form_is_each_checkbox() -> None:
    assert preferences_from_form(form(("reminders", "1"), ("changes", "1"))) == {
        "email": {"reminders": True, "messages": False, "changes": True}
    }


def test_the_certificate_is_offered_where_the_api_may_have_issued_one() -> None:
    today = date(2027, 6, 10)
    begun = {"start_date": "2027-06-01"}
    coming = {"start_date": "2027-07-01"}
    decided = {"status": "confirmed", "completion": {"completed": False}}
    assert learning.may_have_certificate(decided, coming, today)
    assert learning.may_have_certificate({"status": "confirmed"}, begun, today)
    assert learning.may_have_certificate({"status": "cancelled"}, begun, today)
    assert not learning.may_have_certificate({"status": "confirmed"}, coming, today)
    assert not learning.may_have_certificate({"status": "pending"}, begun, today)
    assert not learning.may_have_certificate({"status": "waitlisted"}, begun, today)
    assert not learning.may_have_certificate({"status": "confirmed"}, None, today)
    assert not learning.may_have_certificate({"status": "confirmed"}, {"start_date": None}, today)
