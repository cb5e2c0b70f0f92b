"""The input bounds as types: what each accepts and refuses."""

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.bounds import Body, Code, Day, Email, Hours, Ident, MaxUsers, Moment, Name, Offset

pytestmark = pytest.mark.unit


def _valid(kind: Any, value: object) -> object:
    return TypeAdapter(kind).validate_python(value)


def _refused(kind: Any, value: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(kind).validate_python(value)


@pytest.mark.parametrize("kind", [Code, Ident, Name, Body])
@pytest.mark.parametrize("value", ["a\x00b", "\x00", "a\ud800", "\udfffa"])
def test_text_refuses_what_postgresql_cannot_store(kind: Any, value: str) -> None:
    _refused(kind, value)


@pytest.mark.parametrize("blank", [" ", "\t", "\v", "\f", "\r\n", "\u00a0", "\u3000"])
def test_a_required_text_is_not_blank_once_stripped(blank: str) -> None:
    _refused(Code, blank)
    _refused(Ident, blank)
    _refused(Body, blank)


def test_text_lengths_are_counted_after_stripping() -> None:
    assert _valid(Code, "  " + "x" * 200 + "  ") == "x" * 200
    _refused(Code, "x" * 201)
    assert _valid(Body, "é" * 20_000) == "é" * 20_000
    _refused(Body, "é" * 20_001)
    assert _valid(Name, "") == ""
    assert _valid(Code, "Sécurité 😀") == "Sécurité 😀"


@pytest.mark.parametrize("value", ["lea@example.org", "é@exemple.fr", ""])
def test_an_email_is_an_address_or_none(value: str) -> None:
    assert _valid(Email, value) == value


@pytest.mark.parametrize("value", ["lea", "a b@c.d", "a@b\r\nBcc: x@y.z", "a@@b", "a\x00@b"])
def test_an_email_without_one_at_or_with_spaces_is_refused(value: str) -> None:
    _refused(Email, value)


@pytest.mark.parametrize(
    ("kind", "inside", "outside"),
    [
        (MaxUsers, [1, 100_000, 5.0], [0, 100_001, 10485121417.0, 2**63]),
        (Hours, [0.5, 72, 8_760], [0, -1, 8_760.001, 3.7e16, float("inf"), float("nan")]),
        (Offset, [0, 1_000_000], [-1, 1_000_001, 9223372036854775808]),
    ],
)
def test_numbers_have_their_range(kind: Any, inside: list[object], outside: list[object]) -> None:
    for value in inside:
        _valid(kind, value)
    for value in outside:
        _refused(kind, value)


def test_dates_and_times_are_between_1900_and_2999() -> None:
    _valid(Day, "1900-01-01")
    _valid(Day, "2999-12-31")
    _refused(Day, "1899-12-31")
    _refused(Day, "3000-01-01")
    _valid(Moment, "2999-12-31T23:00:00+00:00")
    _refused(Moment, "9999-12-31T23:59:59-23:59")
    _refused(Moment, "1899-12-31T00:00:00+00:00")
    _refused(Moment, "2030-01-01T10:00:00")  # no offset
