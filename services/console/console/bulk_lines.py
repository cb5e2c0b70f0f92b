"""The bulk-add textarea of a session's page: one learner per line, `id,email,name[,locale]`,
read into the `users` of `POST /api/registrations/bulk`. A line that does not read is kept with
its error (in the texts' keys) and not sent; blank lines are skipped.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LOCALES = ("fr", "en")
MAX_LINES = 500
"""The API's bound: at most 500 users in one call."""
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")


@dataclass(frozen=True)
class BulkLine:
    number: int
    """1-based, as the textarea shows it."""
    text: str
    user: dict[str, Any] | None = None
    error: str | None = None
    """A text key (`registrations.bulk.error.*`) when the line does not read."""


def read_lines(raw: str, organizations: Sequence[str] = ()) -> list[BulkLine]:
    """Every non-blank line, read: its user, or the reason it cannot be sent."""
    lines: list[BulkLine] = []
    for number, text in enumerate(raw.splitlines(), start=1):
        text = text.strip()
        if text:
            lines.append(_read(number, text, organizations))
    return lines


def _read(number: int, text: str, organizations: Sequence[str]) -> BulkLine:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) not in (3, 4):
        return BulkLine(number, text, error="registrations.bulk.error.fields")
    user_id, email, name = parts[:3]
    locale = parts[3].lower() if len(parts) == 4 else "fr"
    if not user_id:
        return BulkLine(number, text, error="registrations.bulk.error.id")
    if not _EMAIL.match(email):
        return BulkLine(number, text, error="registrations.bulk.error.email")
    if not name:
        return BulkLine(number, text, error="registrations.bulk.error.name")
    if locale not in LOCALES:
        return BulkLine(number, text, error="registrations.bulk.error.locale")
    user: dict[str, Any] = {"id": user_id, "email": email, "name": name, "locale": locale}
    if organizations:
        user["organizations"] = list(organizations)
    return BulkLine(number, text, user=user)


@dataclass(frozen=True)
class LineResult:
    """What became of one line: the registration made, the API's refusal, or the console's."""

    line: BulkLine
    registration: Mapping[str, Any] | None = None
    problem: Mapping[str, Any] | None = None


def results(lines: Sequence[BulkLine], answer: Mapping[str, Any] | None) -> list[LineResult]:
    """Each line with its outcome: the API's `results` are one per user sent, in order."""
    outcomes = list((answer or {}).get("results") or [])
    merged: list[LineResult] = []
    for line in lines:
        if line.user is None:
            merged.append(LineResult(line))
            continue
        outcome = outcomes.pop(0) if outcomes else {}
        merged.append(
            LineResult(line, registration=outcome.get("registration"), problem=outcome.get("error"))
        )
    return merged


def line_of(loc: Sequence[str], lines: Sequence[BulkLine]) -> int | None:
    """The textarea's line a 422 of the whole call names (`body.users.<n>.email`), if any."""
    parts = list(loc)
    if "users" not in parts:
        return None
    index = parts.index("users") + 1
    if index >= len(parts) or not parts[index].isdigit():
        return None
    sent = [line for line in lines if line.user is not None]
    position = int(parts[index])
    return sent[position].number if position < len(sent) else None
