"""The rules form read into the API's fields, and shown again as its inputs show them."""

from console import rules_form
from starlette.datastructures import FormData


def form(*fields: tuple[str, str]) -> FormData:
    return FormData(list(fields))


def test_an_empty_form_is_every_rule_off_and_no_confirmation_hours() -> None:
    rules = rules_form.read_rules(form())
    assert rules == {
        "public_registration": False,
        "public_unregistration": False,
        "event_registration_mode": "auto",
        "max_users": None,
        "user_validation": False,
        "organization_validation": False,
        "registration_validation": False,
        "validators": [],
        "waitlist_offer_hours": None,
        "completion_rate": None,
        "reminder_hours": [],
        "questions": [],
    }
    assert "confirmation_hours" not in rules  # a PATCH may not null it: left out


def test_a_filled_form_reads_as_the_api_takes_it() -> None:
    rules = rules_form.read_rules(
        form(
            ("public_registration", "1"),
            ("registration_validation", "1"),
            ("event_registration_mode", "public"),
            ("max_users", " 12 "),
            ("validators", "ana\nbob, chloé\n\n"),
            ("confirmation_hours", "1,5"),
            ("waitlist_offer_hours", "6"),
            ("completion_rate", "80"),
            ("reminder_hours", "24; 2, 0.5"),
        )
    )
    assert rules["public_registration"] is True
    assert rules["public_unregistration"] is False
    assert rules["registration_validation"] is True
    assert rules["event_registration_mode"] == "public"
    assert rules["max_users"] == 12
    assert rules["validators"] == ["ana", "bob", "chloé"]
    assert rules["confirmation_hours"] == 1.5
    assert rules["waitlist_offer_hours"] == 6
    assert rules["completion_rate"] == 80
    assert rules["reminder_hours"] == [24, 2, 0.5]


def test_what_does_not_read_as_a_number_goes_to_the_api_as_typed() -> None:
    rules = rules_form.read_rules(form(("max_users", "douze"), ("reminder_hours", "24, demain")))
    assert rules["max_users"] == "douze"  # the API's 422 names the field
    assert rules["reminder_hours"] == [24, "demain"]


def test_questions_are_the_rows_with_an_id_or_a_label() -> None:
    questions = rules_form.read_questions(
        form(
            ("question-0-id", "diet"),
            ("question-0-label", "Régime"),
            ("question-0-kind", "multiple"),
            ("question-0-required", "1"),
            ("question-0-choices", "aucun\r\n végétarien \n\n"),
            ("question-1-id", ""),
            ("question-1-label", ""),
            ("question-1-kind", "choice"),
            ("question-2-label", "Une remarque ?"),
            ("question-19-id", "last"),
            ("question-19-kind", "boolean"),
            ("question-20-id", "beyond"),
        )
    )
    assert questions == [
        {
            "id": "diet",
            "label": "Régime",
            "kind": "multiple",
            "required": True,
            "choices": ["aucun", "végétarien"],
        },
        {"id": "", "label": "Une remarque ?", "kind": "text", "required": False, "choices": None},
        {"id": "last", "label": "", "kind": "boolean", "required": False, "choices": None},
    ]


def test_the_editor_offers_spare_rows_up_to_the_bound() -> None:
    one = [{"id": "a", "label": "A", "kind": "text", "required": False, "choices": None}]
    rows = rules_form.question_rows(one)
    assert rows[0] == one[0]
    assert len(rows) == 1 + rules_form.SPARE_QUESTION_ROWS
    assert all(row["id"] == "" for row in rows[1:])
    full = one * rules_form.MAX_QUESTIONS
    assert len(rules_form.question_rows(full)) == rules_form.MAX_QUESTIONS
    almost = one * (rules_form.MAX_QUESTIONS - 1)
    assert len(rules_form.question_rows(almost)) == rules_form.MAX_QUESTIONS


def test_values_shown_again_in_their_inputs() -> None:
    assert rules_form.number_input(None) == ""
    assert rules_form.number_input(72.0) == "72"
    assert rules_form.number_input(1.5) == "1.5"
    assert rules_form.number_input("douze") == "douze"
    assert rules_form.numbers_input([24.0, 2.5]) == "24, 2.5"
    assert rules_form.numbers_input([]) == ""
    assert rules_form.lines_input(["ana", "bob"]) == "ana\nbob"
    assert rules_form.lines_input(None) == ""


def test_a_form_read_back_is_what_the_page_showed() -> None:
    """A training's rules, shown in the inputs and sent again unchanged, are the same rules."""
    training = {
        "public_registration": True,
        "public_unregistration": False,
        "event_registration_mode": "manual",
        "max_users": 12,
        "user_validation": True,
        "organization_validation": False,
        "registration_validation": False,
        "validators": ["val-1"],
        "confirmation_hours": 48.0,
        "waitlist_offer_hours": None,
        "completion_rate": 80,
        "reminder_hours": [24.0, 2.0],
        "questions": [
            {"id": "d", "label": "D", "kind": "choice", "required": True, "choices": ["x", "y"]}
        ],
        "code": "not a rule",
    }
    rules = rules_form.rules_of(training)
    assert "code" not in rules
    fields: list[tuple[str, str]] = []
    for name in rules_form.FLAGS:
        if rules[name]:
            fields.append((name, "1"))
    fields += [
        ("event_registration_mode", rules["event_registration_mode"]),
        ("max_users", rules_form.number_input(rules["max_users"])),
        ("validators", rules_form.lines_input(rules["validators"])),
        ("confirmation_hours", rules_form.number_input(rules["confirmation_hours"])),
        ("waitlist_offer_hours", rules_form.number_input(rules["waitlist_offer_hours"])),
        ("completion_rate", rules_form.number_input(rules["completion_rate"])),
        ("reminder_hours", rules_form.numbers_input(rules["reminder_hours"])),
    ]
    for row, question in enumerate(rules_form.question_rows(rules["questions"])):
        fields += [
            (f"question-{row}-id", question["id"]),
            (f"question-{row}-label", question["label"]),
            (f"question-{row}-kind", question["kind"]),
            (f"question-{row}-choices", rules_form.lines_input(question["choices"])),
        ]
        if question["required"]:
            fields.append((f"question-{row}-required", "1"))
    assert rules_form.read_rules(form(*fields)) == rules
