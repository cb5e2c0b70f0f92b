"""Reading an HTML form into the API's JSON: what the viewer typed, converted only where the
form's own control says what it is (a checkbox, a number, a date and time). The API checks the
values: a wrong one comes back as its 422, shown beside the form.
"""

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

JsonValue = str | int | float | bool | None | list[str]


def text(form: FormData, name: str) -> str | None:
    """A text input: stripped, None when left empty."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def flag(form: FormData, name: str) -> bool:
    """A checkbox: sent only when ticked."""
    return form.get(name) is not None


def number(form: FormData, name: str) -> int | float | str | None:
    """A number input: int or float when it reads as one, else what was typed (the API's 422
    then names the field)."""
    raw = text(form, name)
    if raw is None:
        return None
    return _number(raw, raw.replace(",", "."))


def numbers(form: FormData, name: str) -> list[int | float | str]:
    """A comma-separated list of numbers, such as reminder hours ("24, 2")."""
    raw = text(form, name) or ""
    values: list[int | float | str] = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        values.append(_number(part, part))
    return values


def _number(raw: str, decimal: str) -> int | float | str:
    """`raw` as an int, else `decimal` as a finite float, else `raw` as typed (JSON has no
    infinity nor NaN: "1e999" or "nan" go to the API as text, which its 422 names)."""
    try:
        return int(raw)
    except ValueError:  # also an int of more digits than Python converts
        pass
    try:
        value = float(decimal)
    except ValueError:
        return raw
    return value if math.isfinite(value) else raw


def words(form: FormData, name: str) -> list[str]:
    """Ids or values one per line or separated by commas (organizations, tutors, ...)."""
    raw = text(form, name) or ""
    return [word.strip() for line in raw.splitlines() for word in line.split(",") if word.strip()]


def all_of(form: FormData, name: str) -> list[str]:
    """Every value of a repeated control (checkboxes of one name, a multiple select)."""
    return [
        value.strip() for value in form.getlist(name) if isinstance(value, str) and value.strip()
    ]


def moment(form: FormData, name: str, zone: ZoneInfo) -> str | None:
    """A `datetime-local` input ("2027-01-12T14:00", no offset) as an instant with the offset
    `zone` has at that date — the console's time zone, where the trainings take place; a value
    that already carries an offset, or does not read as a time, is passed on as typed."""
    raw = text(form, name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.isoformat()


def local_input(value: str | None, zone: ZoneInfo) -> str:
    """An API time as a `datetime-local` input shows it, in the console's time zone."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
