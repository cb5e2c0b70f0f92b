"""When learners may register and unregister themselves: a session's registration window, free of
I/O.

A session may set `registration_opens_at`, `registration_closes_at` and `unregistration_closes_at`
(each optional: a `shared.events.RegistrationWindow`, as `SessionData` is one). A window opens at
its opening time (inclusive) and is closed from its closing time on, as a deadline is due from
the moment it is reached. Managers are not bound by it: the caller says whether the request is a
manager's (`by_manager`), as it decides who is a learner.
"""

from datetime import datetime

from registration.records import SessionRow, SessionSeatsRow
from shared.events import RegistrationWindow
from shared.refusals import Conflict

ALWAYS_OPEN = RegistrationWindow()
"""A session that sets no window."""


def window_of(session: SessionRow | SessionSeatsRow) -> RegistrationWindow:
    """The window the session replica keeps, as catalog validated it (so not validated again)."""
    return RegistrationWindow.model_construct(
        registration_opens_at=session["registration_opens_at"],
        registration_closes_at=session["registration_closes_at"],
        unregistration_closes_at=session["unregistration_closes_at"],
    )


def registration_refusal(window: RegistrationWindow, now: datetime) -> Conflict | None:
    """Why a learner may not register themself now (opening time or closing time, ISO 8601 with
    the session's offset), or None while the window is open."""
    opens, closes = window.registration_opens_at, window.registration_closes_at
    if opens is not None and now < opens:
        return Conflict(f"Registration to this session opens at {opens.isoformat()}.")
    if closes is not None and now >= closes:
        return Conflict(f"Registration to this session closed at {closes.isoformat()}.")
    return None


def unregistration_refusal(window: RegistrationWindow, now: datetime) -> Conflict | None:
    """Why a learner may not unregister themself now, or None while they may."""
    closes = window.unregistration_closes_at
    if closes is not None and now >= closes:
        return Conflict(f"Unregistration from this session closed at {closes.isoformat()}.")
    return None


def ensure_may_register(window: RegistrationWindow, now: datetime, *, by_manager: bool) -> None:
    """Raise the window's `Conflict` when a learner registers themself outside it."""
    refusal = None if by_manager else registration_refusal(window, now)
    if refusal is not None:
        raise refusal


def ensure_may_unregister(window: RegistrationWindow, now: datetime, *, by_manager: bool) -> None:
    """Raise the window's `Conflict` when a learner unregisters themself after it closed."""
    refusal = None if by_manager else unregistration_refusal(window, now)
    if refusal is not None:
        raise refusal


def open_now(public_registration: bool, window: RegistrationWindow, now: datetime) -> bool:
    """`open` of `/api/seats`: learners may register themselves now (public, inside the window)."""
    return public_registration and registration_refusal(window, now) is None
