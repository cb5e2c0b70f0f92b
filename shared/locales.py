"""Dates, hours and durations as French and English write them: the one place for it.

Only spelling, no business rule: callers decide which instant or duration to show.

- A day: "12 janvier 2027" (the first of a month "1er mars 2027", as French writes it),
  "12 January 2027" (day before month, no comma, as British English writes it).
- An hour, in documents (`format_time`): "14 h 05" in French (the Imprimerie nationale's rule: `h`
  between spaces, minutes on two digits, no-break spaces so it never wraps), "14:05" in English
  (the 24-hour clock, unambiguous and in step with the day-month-year days). Notification's
  messages keep "14:05" in both languages (`format_moment`, what their readers already get).
- A time is written in the offset its timestamp carries, never converted: an event's times read as
  they do where it takes place; the offset follows as "(UTC+01:00)".
- A duration: "3 h 30", "3 h", "45 min" in French; "3.5 hours", "1 hour", "0.75 hours" in English
  (hours as a decimal, to the hundredth at most).
"""

from datetime import date, datetime

from shared.events import Locale

NBSP = "\u00a0"
EN_DASH = "\u2013"  # between the two ends of a span

MONTHS: dict[Locale, tuple[str, ...]] = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def format_day(value: date | None, locale: Locale = "fr") -> str:
    if value is None:
        return ""
    day = "1er" if locale == "fr" and value.day == 1 else str(value.day)  # « le 1er mars »
    return f"{day} {MONTHS[locale][value.month - 1]} {value.year}"


def format_zone(value: datetime) -> str:
    """The timestamp's own offset, "UTC+01:00"; a naive one is taken as UTC."""
    offset = value.strftime("%z") or "+0000"
    return f"UTC{offset[:3]}:{offset[3:]}"


def format_moment(value: datetime | None, locale: Locale = "fr") -> str:
    """A deadline in a message: "12 janvier 2027 à 14:05 (UTC+00:00)"."""
    if value is None:
        return ""
    joiner = " à " if locale == "fr" else ", "
    hour = value.strftime("%H:%M")
    return f"{format_day(value.date(), locale)}{joiner}{hour} ({format_zone(value)})"


def format_time(value: datetime, locale: Locale) -> str:
    """The hour of a timestamp in its own offset: "14 h 05" (fr, no-break spaces), "14:05" (en)."""
    if locale == "fr":
        return f"{value.hour}{NBSP}h{NBSP}{value.minute:02d}"
    return f"{value.hour:02d}:{value.minute:02d}"


def format_span(start: datetime, end: datetime, locale: Locale) -> str:
    """When something takes place, each end in its own offset.

    "12 janvier 2027, 9 h 00 - 12 h 30 (UTC+01:00)", an en dash for the hyphen; the end's day
    is written when it is another one, and each end's offset when they differ (a change to
    summer time in between).
    """
    start_text = f"{format_day(start.date(), locale)}, {format_time(start, locale)}"
    end_text = format_time(end, locale)
    if end.date() != start.date():
        end_text = f"{format_day(end.date(), locale)}, {end_text}"
    if format_zone(start) != format_zone(end):
        return f"{start_text} ({format_zone(start)}) {EN_DASH} {end_text} ({format_zone(end)})"
    return f"{start_text} {EN_DASH} {end_text} ({format_zone(start)})"


def format_period(start: date, end: date, locale: Locale) -> str:
    """A run of days: "du 12 janvier 2027 au 14 janvier 2027", "12 January 2027 to 14 January 2027";
    one day alone as `format_day` writes it."""
    if start == end:
        return format_day(start, locale)
    if locale == "fr":
        return f"du {format_day(start, locale)} au {format_day(end, locale)}"
    return f"{format_day(start, locale)} to {format_day(end, locale)}"


def format_hours(hours: float, locale: Locale) -> str:
    """A duration given in hours, to the minute: "3 h 30" / "3.5 hours" (no-break spaces in fr)."""
    minutes = round(hours * 60)
    if locale == "fr":
        whole, rest = divmod(minutes, 60)
        if whole == 0:
            return f"{rest}{NBSP}min"
        return f"{whole}{NBSP}h{NBSP}{rest:02d}" if rest else f"{whole}{NBSP}h"
    decimal = f"{minutes / 60:.2f}".rstrip("0").rstrip(".")
    return f"{decimal} hour" if decimal == "1" else f"{decimal} hours"
