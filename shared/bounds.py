"""The input bounds (docs/api-conventions.md) as types. Every request model and query parameter
is built from these, so a value outside is a 422 naming its field and each bound is stated in the
OpenAPI schema (`minLength`/`maxLength`, `minimum`/`maximum`).

Every string refuses U+0000 and unpaired surrogates: PostgreSQL stores neither, and a value it
cannot store must be refused at the edge, not fail in the database.
"""

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

MAX_USERS = 100_000
MAX_HOURS = 8_760
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000
SHORT_TEXT = 200
"""Codes, titles, names, reasons, ids."""
LONG_TEXT = 20_000
NOTE_TEXT = 2_000
"""A presence's justification."""
MAX_QUESTIONS = 20
MIN_CHOICES = 2
MAX_CHOICES = 50
SLUG_LENGTH = 64
MAX_REMINDERS = 5
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
_RANGE = f"between {EARLIEST} and {LATEST}"


def storable(value: Any) -> Any:
    """The string as given; ValueError when it holds U+0000 or an unpaired surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain U+0000")
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise ValueError("must not contain an unpaired surrogate") from None
    return value


# After the constraints: with a validator before them, pydantic 2.14 checks `min_length` on the
# string as given and strips it afterwards, so "\v" would pass as "".
_STORABLE = AfterValidator(storable)


_SAYS_SOMETHING = r"\S"
"""A required text is more than whitespace; said in the schema too, so clients know."""


def _short(*, min_length: int = 1, strip: bool = True) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=strip,
        min_length=min_length,
        max_length=SHORT_TEXT,
        pattern=_SAYS_SOMETHING if min_length else None,
    )


Code = Annotated[str, _short(), _STORABLE]
Title = Annotated[str, _short(), _STORABLE]
Reason = Annotated[str, _short(), _STORABLE]
Ident = Annotated[str, _short(), _STORABLE]
"""A user's or an organization's id, as the identity provider gives it."""
Slug = Annotated[
    str,
    StringConstraints(max_length=SLUG_LENGTH, pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"),
]
"""An id chosen by a person and read by programs: lowercase letters and digits, joined by single
`-` or `_` (a question's id, a CSV column header)."""
Name = Annotated[str, _short(min_length=0, strip=False), _STORABLE]
"""A person's name as the identity provider gives it (it may give none)."""
Search = Annotated[str, _short(min_length=0, strip=False), _STORABLE]
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=r"^(?:[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+)?$"),
]
"""An address (one `@`, no spaces or control characters), or none: a token may carry none."""
Place = Annotated[str, StringConstraints(max_length=300), _STORABLE]
Url = Annotated[str, StringConstraints(max_length=2_000), _STORABLE]
LongText = Annotated[str, StringConstraints(max_length=LONG_TEXT), _STORABLE]
"""Descriptions, bodies, answers."""
Note = Annotated[str, StringConstraints(max_length=NOTE_TEXT), _STORABLE]
Body = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=LONG_TEXT, pattern=_SAYS_SOMETHING
    ),
    _STORABLE,
]
"""Long text that must say something: a comment, a message."""

MaxUsers = Annotated[int, Field(ge=1, le=MAX_USERS)]
Hours = Annotated[float, Field(gt=0, le=MAX_HOURS)]
CompletionRate = Annotated[int, Field(ge=1, le=100)]
"""The share of a session's event hours a learner must attend to complete it: a whole percentage,
1..100."""
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
Day = Annotated[date, Field(ge=EARLIEST, le=LATEST, description=f"a date {_RANGE}")]
Moment = Annotated[
    AwareDatetime,
    Field(
        ge=datetime.combine(EARLIEST, time(), UTC),
        le=datetime.combine(LATEST, time.max, UTC),
        description=f"a time with offset, {_RANGE}",
    ),
]
