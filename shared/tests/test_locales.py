"""Dates, hours and durations in French and English."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shared.locales import (
    format_day,
    format_hours,
    format_moment,
    format_period,
    format_span,
    format_time,
)

pytestmark = pytest.mark.unit

PARIS_WINTER = timezone(timedelta(hours=1))
PARIS_SUMMER = timezone(timedelta(hours=2))


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_days() -> None:
    assert format_day(date(2027, 1, 12), "fr") == "12 janvier 2027"
    assert format_day(date(2027, 3, 1), "fr") == "1er mars 2027"
    assert format_day(date(2027, 8, 1), "en") == "1 August 2027"
    assert format_day(None, "en") == ""


def test_hours_in_the_timestamps_own_offset() -> None:
    moment = datetime(2027, 1, 12, 14, 5, tzinfo=PARIS_WINTER)
    assert plain(format_time(moment, "fr")) == "14 h 05"
    assert format_time(moment, "en") == "14:05"
    assert plain(format_time(moment.replace(hour=9), "fr")) == "9 h 05"
    assert format_time(moment.replace(hour=9), "en") == "09:05"
    assert format_moment(moment, "fr") == "12 janvier 2027 à 14:05 (UTC+01:00)"
    assert format_moment(moment.astimezone(UTC), "en") == "12 January 2027, 13:05 (UTC+00:00)"


def test_spans() -> None:
    start = datetime(2027, 1, 12, 9, 0, tzinfo=PARIS_WINTER)
    assert (
        plain(format_span(start, start.replace(hour=12, minute=30), "fr"))
        == "12 janvier 2027, 9 h 00 \u2013 12 h 30 (UTC+01:00)"
    )
    assert (
        format_span(start, start + timedelta(days=1), "en")
        == "12 January 2027, 09:00 \u2013 13 January 2027, 09:00 (UTC+01:00)"
    )
    spring = datetime(2027, 3, 28, 1, 0, tzinfo=PARIS_WINTER)
    assert (
        format_span(spring, datetime(2027, 3, 28, 4, 0, tzinfo=PARIS_SUMMER), "en")
        == "28 March 2027, 01:00 (UTC+01:00) \u2013 04:00 (UTC+02:00)"
    )


def test_periods() -> None:
    assert format_period(date(2027, 1, 12), date(2027, 1, 12), "fr") == "12 janvier 2027"
    assert (
        format_period(date(2027, 1, 12), date(2027, 2, 1), "fr")
        == "du 12 janvier 2027 au 1er février 2027"
    )
    assert (
        format_period(date(2027, 1, 12), date(2027, 1, 14), "en")
        == "12 January 2027 to 14 January 2027"
    )


@pytest.mark.parametrize(
    ("hours", "fr", "en"),
    [
        (3.5, "3 h 30", "3.5 hours"),
        (3, "3 h", "3 hours"),
        (1, "1 h", "1 hour"),
        (0.75, "45 min", "0.75 hours"),
        (0, "0 min", "0 hours"),
        (7 + 20 / 60, "7 h 20", "7.33 hours"),
        (12.25, "12 h 15", "12.25 hours"),
    ],
)
def test_durations(hours: float, fr: str, en: str) -> None:
    assert plain(format_hours(hours, "fr")) == fr
    assert format_hours(hours, "en") == en
