"""The attendance sheet and the certificate of attendance as PDFs, in French or English.

Jinja2 templates (`templates/`, autoescape on: names are user input) laid out by WeasyPrint
with `templates/print.css`; no database, no HTTP, nothing fetched (see `pdf.py`). The words are
`wording.py`'s, days, hours and durations shared.locales'. docs/attendance.md says why.
"""

import uuid
from datetime import date, datetime
from importlib.resources import files
from typing import Final

from jinja2 import Environment, PackageLoader, StrictUndefined

from registration.documents.content import (
    AttendanceSheet,
    AttendedEvent,
    CertificateOfAttendance,
    PresenceStatus,
    SheetEvent,
    SheetRow,
)
from registration.documents.pdf import html_to_pdf
from registration.documents.wording import WORDS
from shared.events import Locale
from shared.locales import format_day, format_hours, format_period, format_span, format_time

__all__ = [
    "AttendanceSheet",
    "AttendedEvent",
    "CertificateOfAttendance",
    "PresenceStatus",
    "SheetEvent",
    "SheetRow",
    "attendance_sheet_pdf",
    "certificate_pdf",
    "verification_url",
]

_STYLESHEET: Final = files(__package__).joinpath("templates", "print.css").read_text("utf-8")


def verification_url(public_url: str, certificate_id: uuid.UUID) -> str:
    """Where a third party checks a certificate: `<PUBLIC_URL>/api/certificates/<id>`."""
    return f"{public_url.rstrip('/')}/api/certificates/{certificate_id}"


def signed_time(signed_at: datetime | None, event_start: datetime, locale: Locale) -> str:
    """When a learner signed, in the offset of the event's start; the day only if another one."""
    if signed_at is None:
        return ""
    local = signed_at.astimezone(event_start.tzinfo)
    if local.date() == event_start.date():
        return format_time(local, locale)
    return f"{format_day(local.date(), locale)}, {format_time(local, locale)}"


def _environment(locale: Locale) -> Environment:
    env = Environment(
        loader=PackageLoader("registration.documents", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(locale=locale, w=WORDS[locale])

    def length_of(event: AttendedEvent) -> str:
        return format_hours((event.end - event.start).total_seconds() / 3600, locale)

    def day(value: date) -> str:
        return format_day(value, locale)

    def span(start: datetime, end: datetime) -> str:
        return format_span(start, end, locale)

    def period(start: date, end: date) -> str:
        return format_period(start, end, locale)

    def hours(value: float) -> str:
        return format_hours(value, locale)

    def signed(signed_at: datetime | None, event_start: datetime) -> str:
        return signed_time(signed_at, event_start, locale)

    env.filters.update(
        day=day, span=span, period=period, hours=hours, signed=signed, length_of=length_of
    )
    return env


_ENVIRONMENTS: Final[dict[Locale, Environment]] = {locale: _environment(locale) for locale in WORDS}


def attendance_sheet_pdf(sheet: AttendanceSheet, *, filled: bool, locale: Locale) -> bytes:
    """The event's sheet: blank (a signature cell per learner) or filled (status, signed at)."""
    template = _ENVIRONMENTS[locale].get_template("sheet.html")
    return html_to_pdf(template.render(sheet=sheet, filled=filled), _STYLESHEET)


def certificate_pdf(
    certificate: CertificateOfAttendance, *, locale: Locale, public_url: str
) -> bytes:
    """The learner's certificate, with its id and the URL that verifies it."""
    template = _ENVIRONMENTS[locale].get_template("certificate.html")
    url = verification_url(public_url, certificate.certificate_id)
    return html_to_pdf(template.render(c=certificate, verification_url=url), _STYLESHEET)
