"""The session page's pure helpers: the bulk-add lines, the rules and what a registration awaits
in words, the event and attendance forms read into the API's bodies, the page's own URLs."""

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from console import bulk_lines, session_facts
from console.pages import formatters
from console.routes.events import event_inputs, read_event, read_presences, typed
from console.routes.session_page import page_url
from console.texts import translate
from starlette.datastructures import FormData
from starlette.requests import Request

pytestmark = pytest.mark.unit

PARIS = ZoneInfo("Europe/Paris")


def t(key: str, **values: object) -> str:
    return translate(key, "en", **values)


FMT = formatters("en")


def test_bulk_lines_read_each_learner_and_say_why_a_line_is_not_sent() -> None:
    raw = "\n".join(
        [
            "lea, lea@example.org, Léa Martin, EN",
            "",
            "sam,sam@example.org,Sam",
            "two,fields",
            ",nobody@example.org,No id",
            "bad,not-an-address,Bad",
            "noname,noname@example.org,",
            "de,de@example.org,Dieter,de",
            "a,b@c,d,fr,extra",
        ]
    )
    lines = bulk_lines.read_lines(raw, ["org-1"])
    assert [(line.number, line.error) for line in lines] == [
        (1, None),
        (3, None),
        (4, "registrations.bulk.error.fields"),
        (5, "registrations.bulk.error.id"),
        (6, "registrations.bulk.error.email"),
        (7, "registrations.bulk.error.name"),
        (8, "registrations.bulk.error.locale"),
        (9, "registrations.bulk.error.fields"),
    ]
    assert lines[0].user == {
        "id": "lea",
        "email": "lea@example.org",
        "name": "Léa Martin",
        "locale": "en",
        "organizations": ["org-1"],
    }
    assert lines[1].user is not None
    assert lines[1].user["locale"] == "fr"  # the default
    assert bulk_lines.read_lines("a,a@x.org,A")[0].user == {
        "id": "a",
        "email": "a@x.org",
        "name": "A",
        "locale": "fr",
    }


def test_bulk_results_pair_the_lines_sent_with_the_apis_answers_in_order() -> None:
    lines = bulk_lines.read_lines("a,a@x.org,A\nbroken\nb,b@x.org,B")
    answer = {
        "results": [
            {"user_id": "a", "registration": {"status": "confirmed"}},
            {"user_id": "b", "error": {"status": 409, "title": "Conflict"}},
        ]
    }
    merged = bulk_lines.results(lines, answer)
    assert [(r.line.number, r.registration, r.problem) for r in merged] == [
        (1, {"status": "confirmed"}, None),
        (2, None, None),
        (3, None, {"status": 409, "title": "Conflict"}),
    ]
    assert [r.line.error for r in bulk_lines.results(lines, None)][1] == (
        "registrations.bulk.error.fields"
    )


def test_a_422_about_the_nth_user_sent_names_its_line() -> None:
    lines = bulk_lines.read_lines("broken\na,a@x.org,A\n\nb,b@x.org,B")
    assert bulk_lines.line_of(("body", "users", "1", "email"), lines) == 4
    assert bulk_lines.line_of(("body", "users", "0"), lines) == 2
    assert bulk_lines.line_of(("body", "users", "7", "email"), lines) is None
    assert bulk_lines.line_of(("body", "session_id"), lines) is None
    assert bulk_lines.line_of(("body", "users"), lines) is None


SESSION: dict[str, Any] = {
    "public_registration": True,
    "public_unregistration": False,
    "user_validation": True,
    "organization_validation": True,
    "registration_validation": True,
    "validators": ["val-1", "val-2"],
    "confirmation_hours": 48,
    "max_users": 12,
    "waitlist_offer_hours": 2.5,
    "event_registration_mode": "manual",
    "registration_opens_at": "2027-01-10T09:00:00+01:00",
    "registration_closes_at": "2027-01-20T18:00:00+01:00",
    "unregistration_closes_at": None,
    "completion_rate": 80,
}


def test_the_rules_in_words() -> None:
    assert session_facts.asked_steps(SESSION) == ["user", "organization", "validator"]
    said = session_facts.rules_in_words(SESSION, t, FMT)
    assert said == [
        "Learners may register themselves.",
        "Learners may not cancel their registration themselves.",
        "A registration request awaits: the learner's confirmation, the organization's "
        "validation, a named validator's validation.",
        "The learner has 48 hours to confirm their request.",
        "Validators: val-1, val-2.",
        "12 seats; beyond them, requests join the waitlist.",
        "A freed seat is offered to the first in line, who has 2.5 hours to accept it.",
        "The manager or tutor registers learners to the events.",
        f"Learners register themselves from {FMT['moment'](SESSION['registration_opens_at'])} "
        f"to {FMT['moment'](SESSION['registration_closes_at'])}.",
        "The session is completed with 80% of its event hours attended.",
    ]
    plain = session_facts.rules_in_words(
        {"max_users": None, "registration_validation": True}, t, FMT
    )
    assert "A registration request awaits: a manager's validation." in plain
    assert "Seats are unlimited." in plain
    assert "Confirmed learners are registered to the events automatically." in plain
    assert not any("confirm their request" in sentence for sentence in plain)
    none = session_facts.rules_in_words({"max_users": 3, "waitlist_offer_hours": None}, t, FMT)
    assert "A registration request awaits no validation." in none
    assert "A freed seat goes at once to the first in line." in none


def test_what_a_registration_awaits() -> None:
    pending = {"status": "pending", "pending_validations": ["organization", "registration"]}
    assert session_facts.awaits(pending, t, FMT) == (
        "the organization's validation; a manager's validation"
    )
    waitlisted = {"status": "waitlisted", "waitlist_position": 3, "pending_validations": ["user"]}
    assert session_facts.awaits(waitlisted, t, FMT) == (
        "a seat (position 3); the learner's confirmation"
    )
    offered = {
        "status": "offered",
        "offer_expires_at": "2027-01-12T14:05:00+01:00",
        "pending_validations": [],
    }
    assert session_facts.awaits(offered, t, FMT) == (
        "the learner's answer to the seat offered, until "
        + FMT["moment"]("2027-01-12T14:05:00+01:00")
    )
    assert session_facts.awaits({"status": "confirmed", "pending_validations": []}, t, FMT) == ""
    assert session_facts.awaits({"status": "refused", "pending_validations": ["x"]}, t, FMT) == ""


def test_only_a_manager_moves_and_only_an_active_registration() -> None:
    assert session_facts.may_move(True, {"status": "waitlisted"})
    assert not session_facts.may_move(True, {"status": "cancelled"})
    assert not session_facts.may_move(False, {"status": "confirmed"})


def test_times_are_shown_in_the_consoles_zone() -> None:
    event = {"start": "2027-05-03T07:00:00Z", "end": None, "title": "Morning"}
    shown = session_facts.in_zone(event, PARIS)
    assert shown == {"start": "2027-05-03T09:00:00+02:00", "end": None, "title": "Morning"}
    assert event["start"] == "2027-05-03T07:00:00Z"  # a copy


def test_the_event_form_as_the_apis_body_and_back() -> None:
    form = FormData(
        [
            ("title", " Morning "),
            ("start", "2027-05-03T09:00"),
            ("end", "2027-05-03T12:30"),
            ("location", ""),
            ("max_users", "8"),
            ("registration_mode", ""),
            ("description", "Bring a pen"),
        ]
    )
    assert read_event(form, PARIS) == {
        "title": "Morning",
        "start": "2027-05-03T09:00:00+02:00",
        "end": "2027-05-03T12:30:00+02:00",
        "description": "Bring a pen",
        "location": None,
        "max_users": 8,
    }
    assert read_event(FormData([("registration_mode", "public")]), PARIS)["registration_mode"] == (
        "public"
    )
    assert typed(form)["start"] == "2027-05-03T09:00"
    assert typed(form)["title"] == " Morning "
    api_event = {
        "title": "Morning",
        "start": "2027-05-03T07:00:00+00:00",
        "end": "2027-05-03T10:30:00+00:00",
        "description": None,
        "location": "Room 2",
        "max_users": None,
        "registration_mode": "auto",
    }
    assert event_inputs(api_event, PARIS) == {
        "title": "Morning",
        "start": "2027-05-03T09:00",
        "end": "2027-05-03T12:30",
        "description": "",
        "location": "Room 2",
        "max_users": "",
        "registration_mode": "auto",
    }


def test_the_attendance_form_as_the_puts_items() -> None:
    form = FormData(
        [
            ("rows", "3"),
            ("user-0", "lea"),
            ("status-0", "present"),
            ("note-0", ""),
            ("user-1", "sam"),
            ("status-1", ""),  # left unmarked: not sent
            ("note-1", "late"),
            ("user-2", "kim"),
            ("status-2", "absent_justified"),
            ("note-2", " Ill "),
        ]
    )
    assert read_presences(form) == [
        {"user_id": "lea", "status": "present", "note": ""},
        {"user_id": "kim", "status": "absent_justified", "note": "Ill"},
    ]
    assert read_presences(FormData([("rows", "x")])) == []


def request_to(path: str, query: str = "") -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query.encode(),
            "headers": [],
            "scheme": "http",
            "server": ("console.test", 80),
        }
    )


def test_the_pages_urls_keep_its_query_and_not_an_actions_path() -> None:
    on_page = request_to("/sessions/s1", "status=pending&done=learner_added&open=e1&offset=25")
    assert page_url(on_page, "s1", sort="status", offset=None) == (
        "/sessions/s1?status=pending&sort=status#registrations"
    )
    after_action = request_to("/sessions/s1/registrations/r1/validate")
    assert page_url(after_action, "s1", offset=25) == "/sessions/s1?offset=25#registrations"


def test_every_word_a_value_of_the_api_picks_is_written() -> None:
    from console.routes.events import PRESENCES
    from console.routes.session_page import REGISTRATION_MODES, STATUSES
    from console.texts import TEXTS

    keys = [
        *(f"registrations.status.{status}" for status in STATUSES),
        *(f"registrations.awaits.{step}" for step in session_facts.STEPS),
        *(f"registrations.step.{step}" for step in session_facts.STEPS),
        *(f"registrations.validate.{step}" for step in ("organization", "registration")),
        "registrations.validate.validator",
        "registrations.validate.all",
        *(f"attendance.status.{status}" for status in ("unknown", *PRESENCES)),
        *(f"events.mode.{mode}" for mode in REGISTRATION_MODES),
        *(f"session_page.rule.events.{mode}" for mode in REGISTRATION_MODES),
        *(f"session_page.status.{status}" for status in ("scheduled", "cancelled")),
        *(f"registrations.locale.{locale}" for locale in bulk_lines.LOCALES),
    ]
    assert [key for key in keys if key not in TEXTS] == []
