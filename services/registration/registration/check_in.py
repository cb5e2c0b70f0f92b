"""A learner signing in themself with the event's code, free of I/O (but for the code's randomness).

The code is 8 characters from `[A-Z2-9]`, valid from 30 minutes before the event's start
(inclusive) until its end (exclusive: from the end on it is closed, as every deadline here).
A learner gets at most `MAX_WRONG_TRIES` wrong codes per event in any `TRIES_WINDOW` (a sliding
window: a wrong try stops counting `TRIES_WINDOW` after it was made); the use case asks
`may_try` before `check_in` and records each `WrongCode` it gets, with its time.
"""

import hmac
import math
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from registration.attendance import PresenceChange, PresenceState
from shared.refusals import Conflict, Forbidden, Invalid

CODE_ALPHABET: Final = string.ascii_uppercase + "23456789"
CODE_LENGTH: Final = 8
OPENS_BEFORE_START: Final = timedelta(minutes=30)
MAX_WRONG_TRIES: Final = 10
TRIES_WINDOW: Final = timedelta(minutes=10)


class WrongCode(Invalid):
    """The code given is not the event's current one: a wrong try to record (422)."""

    def __init__(self) -> None:
        super().__init__("code", "is not this event's check-in code", "Wrong check-in code.")


def new_code() -> str:
    """A fresh code; the event's previous one stops working when the use case stores it."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class CheckInWindow:
    valid_from: datetime
    valid_until: datetime

    def __contains__(self, now: datetime) -> bool:
        return self.valid_from <= now < self.valid_until


def window_of(start: datetime, end: datetime) -> CheckInWindow:
    """When the event's code works (`valid_from`, `valid_until` of its check-in code)."""
    return CheckInWindow(start - OPENS_BEFORE_START, end)


def code_matches(given: str, code: str | None) -> bool:
    """In constant time; a learner may type the code in lower case or with spaces around it."""
    if code is None:
        return False
    typed = given.strip().upper().encode()
    return hmac.compare_digest(typed, code.encode())


@dataclass(frozen=True)
class CheckedIn:
    """The learner's presence after the check-in; `change` None when they were present already."""

    presence: PresenceState
    change: PresenceChange | None


def check_in(
    presence: PresenceState | None,
    code_given: str,
    code: str | None,
    now: datetime,
    window: CheckInWindow,
    *,
    validated: bool,
) -> CheckedIn:
    """The learner's own check-in; `presence` is theirs at this event, None when they are not
    registered to it (403). A validated attendance or a time outside the window is a `Conflict`
    before the code is looked at, so no code is tried there; a wrong code is a `WrongCode`."""
    if presence is None:
        raise Forbidden("Only a learner registered to this event checks in to it.")
    if validated:
        raise Conflict("The attendance of this event is validated: check-in is closed.")
    if now not in window:
        raise Conflict(
            f"Check-in is open from {window.valid_from.isoformat()}"
            f" until {window.valid_until.isoformat()}."
        )
    if not code_matches(code_given, code):
        raise WrongCode()
    if presence.status == "present":
        return CheckedIn(presence, None)
    after = replace(presence, status="present", signed_at=now, marked_by=presence.user_id)
    return CheckedIn(after, PresenceChange(presence, after, presence.user_id))


@dataclass(frozen=True)
class TryDecision:
    """Whether the learner may try a code now; else how long until they may (`Retry-After`)."""

    allowed: bool
    retry_after_seconds: int = 0


def may_try(wrong_tries: Sequence[datetime], now: datetime) -> TryDecision:
    """From the times of the learner's wrong tries at this event: allowed while fewer than
    `MAX_WRONG_TRIES` were made in the last `TRIES_WINDOW`, else refused until enough of them
    are older than that (whole seconds, rounded up, at least 1)."""
    recent = sorted(t for t in wrong_tries if t > now - TRIES_WINDOW)
    if len(recent) < MAX_WRONG_TRIES:
        return TryDecision(True)
    frees_at = recent[len(recent) - MAX_WRONG_TRIES] + TRIES_WINDOW
    return TryDecision(False, max(1, math.ceil((frees_at - now).total_seconds())))
