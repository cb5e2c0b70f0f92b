"""Reading an HTML form into the API's JSON: converted only where the control says what it is,
anything else passed on as typed for the API's 422 to name."""

import json
import math
from zoneinfo import ZoneInfo

import pytest
from console import forms
from starlette.datastructures import FormData, UploadFile

pytestmark = pytest.mark.unit

PARIS = ZoneInfo("Europe/Paris")


def form(*fields: tuple[str, str]) -> FormData:
    return FormData(list(fields))


def test_text_is_stripped_and_empty_is_none() -> None:
    sent = form(("title", "  Sécurité au travail \n"), ("blank", "   "), ("empty", ""))
    assert forms.text(sent, "title") == "Sécurité au travail"
    assert forms.text(sent, "blank") is None
    assert forms.text(sent, "empty") is None
    assert forms.text(sent, "absent") is None


def test_a_file_is_no_text() -> None:
    upload = UploadFile(file=None, filename="x.csv")  # type: ignore[arg-type]
    assert forms.text(FormData([("title", upload)]), "title") is None


def test_a_checkbox_is_sent_only_when_ticked() -> None:
    assert forms.flag(form(("public", "on")), "public") is True
    assert forms.flag(form(("public", "")), "public") is True  # sent, whatever its value
    assert forms.flag(form(), "public") is False


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("-3", -3),
        ("1.5", 1.5),
        ("1,5", 1.5),  # a French decimal comma
        ("0.25", 0.25),
        ("", None),
        ("douze", "douze"),
        ("1e999", "1e999"),  # no infinity in JSON: the API names the field instead
        ("nan", "nan"),
        ("inf", "inf"),
        ("9" * 5000, "9" * 5000),  # more digits than an int converts
    ],
)
def test_a_number(typed: str, read: object) -> None:
    value = forms.number(form(("max_users", typed)), "max_users")
    assert value == read
    assert type(value) is type(read)
    json.dumps({"max_users": value}, allow_nan=False)  # always valid JSON


def test_a_list_of_numbers() -> None:
    assert forms.numbers(form(("reminder_hours", "24, 2")), "reminder_hours") == [24, 2]
    assert forms.numbers(form(("reminder_hours", "24;0.5;; ")), "reminder_hours") == [24, 0.5]
    assert forms.numbers(form(("reminder_hours", "")), "reminder_hours") == []
    assert forms.numbers(form(), "reminder_hours") == []
    read = forms.numbers(form(("reminder_hours", "1, soon, 1e999, NaN")), "reminder_hours")
    assert read == [1, "soon", "1e999", "NaN"]
    assert not any(isinstance(value, float) and not math.isfinite(value) for value in read)


def test_words_one_per_line_or_comma_separated() -> None:
    typed = form(("tutors", " tom, vic\r\n\n  lea ,, \n"))
    assert forms.words(typed, "tutors") == ["tom", "vic", "lea"]
    assert forms.words(form(), "tutors") == []


def test_all_of_a_repeated_control() -> None:
    typed = form(("org", "org-1"), ("other", "x"), ("org", "  "), ("org", " org-2 "))
    assert forms.all_of(typed, "org") == ["org-1", "org-2"]
    assert forms.all_of(form(), "org") == []


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("2027-01-12T14:00", "2027-01-12T14:00:00+01:00"),  # winter in Paris
        ("2027-07-12T14:00", "2027-07-12T14:00:00+02:00"),  # summer
        ("2027-07-12T14:00:00+00:00", "2027-07-12T14:00:00+00:00"),  # an offset is kept
        ("12/07/2027 14h", "12/07/2027 14h"),  # not a time: the API's 422 says so
        ("", None),
    ],
)
def test_a_moment_gets_the_consoles_time_zone(typed: str, sent: str | None) -> None:
    assert forms.moment(form(("start", typed)), "start", PARIS) == sent


def test_a_moment_is_shown_back_in_the_consoles_time_zone() -> None:
    assert forms.local_input("2027-01-12T13:00:00+00:00", PARIS) == "2027-01-12T14:00"
    assert forms.local_input("2027-07-12T12:00:00Z", PARIS) == "2027-07-12T14:00"
    assert forms.local_input(None, PARIS) == ""
    assert forms.local_input("", PARIS) == ""
    typed = forms.local_input("2027-03-28T01:30:00+00:00", PARIS)  # the night clocks go forward
    assert forms.moment(form(("start", typed)), "start", PARIS) == "2027-03-28T03:30:00+02:00"
