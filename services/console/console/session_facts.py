"""A session and its registrations in words, as its page shows them: the rules the session applies
and what each registration awaits. Pure: `t` is the viewer's translator, `fmt` the page's
formatters (console.pages.formatters).
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

Translate = Callable[..., str]
Formatters = Mapping[str, Callable[..., str]]
Resource = Mapping[str, Any]

STEPS = ("user", "organization", "registration", "validator")
ACTIVE = ("pending", "confirmed", "waitlisted", "offered")
"""The statuses a registration may still leave (the others are final)."""


def asked_steps(session: Resource) -> list[str]:
    """The validations a learner's own request awaits, in the API's order."""
    steps = []
    if session.get("user_validation"):
        steps.append("user")
    if session.get("organization_validation"):
        steps.append("organization")
    if session.get("validators"):
        steps.append("validator")
    elif session.get("registration_validation"):
        steps.append("registration")
    return steps


def rules_in_words(session: Resource, t: Translate, fmt: Formatters) -> list[str]:
    """One sentence per rule: who registers, who unregisters, the validations and their
    deadline, the seats and the line, the events' registration, the window."""
    hours = fmt["hours"]
    moment = fmt["moment"]
    said = [
        t(
            "session_page.rule.public"
            if session.get("public_registration")
            else "session_page.rule.not_public"
        ),
        t(
            "session_page.rule.self_cancel"
            if session.get("public_unregistration")
            else "session_page.rule.no_self_cancel"
        ),
    ]
    steps = asked_steps(session)
    if steps:
        names = ", ".join(t(f"registrations.step.{step}") for step in steps)
        said.append(t("session_page.rule.validations", steps=names))
    else:
        said.append(t("session_page.rule.no_validation"))
    if "user" in steps and session.get("confirmation_hours") is not None:
        said.append(t("session_page.rule.confirmation", hours=hours(session["confirmation_hours"])))
    if session.get("validators"):
        said.append(t("session_page.rule.validators", validators=", ".join(session["validators"])))
    max_users = session.get("max_users")
    if max_users is None:
        said.append(t("session_page.rule.unlimited"))
    else:
        said.append(t("session_page.rule.max_users", count=max_users))
        offer = session.get("waitlist_offer_hours")
        if offer is None:
            said.append(t("session_page.rule.line_at_once"))
        else:
            said.append(t("session_page.rule.line_offer", hours=hours(offer)))
    mode = session.get("event_registration_mode") or "auto"
    said.append(t(f"session_page.rule.events.{mode}"))
    opens, closes = session.get("registration_opens_at"), session.get("registration_closes_at")
    if opens and closes:
        said.append(t("session_page.rule.window", opens=moment(opens), closes=moment(closes)))
    elif opens:
        said.append(t("session_page.rule.opens", opens=moment(opens)))
    elif closes:
        said.append(t("session_page.rule.closes", closes=moment(closes)))
    if session.get("unregistration_closes_at"):
        said.append(
            t(
                "session_page.rule.unregistration_closes",
                closes=moment(session["unregistration_closes_at"]),
            )
        )
    if session.get("completion_rate") is not None:
        said.append(t("session_page.rule.completion", rate=session["completion_rate"]))
    return said


def awaits(registration: Resource, t: Translate, fmt: Formatters) -> str:
    """What the registration waits for now, in words ("" when nothing: confirmed or final)."""
    status = registration.get("status")
    if status not in ACTIVE:
        return ""
    pending = [
        t(f"registrations.awaits.{step}") if step in STEPS else str(step)
        for step in registration.get("pending_validations") or []
    ]
    if status == "waitlisted":
        seat = t("registrations.awaits.seat", position=registration.get("waitlist_position") or "?")
        return "; ".join([seat, *pending])
    if status == "offered":
        until = fmt["moment"](registration.get("offer_expires_at"))
        return "; ".join([t("registrations.awaits.offer", until=until), *pending])
    if status == "pending":
        return "; ".join(pending)
    return ""


def may_move(manages: bool, registration: Resource) -> bool:
    """A manager moves an active registration (to another session of the training)."""
    return manages and registration.get("status") in ACTIVE


def in_zone(
    resource: Mapping[str, Any], zone: ZoneInfo, names: Sequence[str] = ("start", "end")
) -> dict[str, Any]:
    """A resource with its times in the console's time zone, where the trainings take place (the
    API may answer them in UTC): a reader reads the hour of the room."""
    shown = dict(resource)
    for name in names:
        if shown.get(name):
            shown[name] = datetime.fromisoformat(shown[name]).astimezone(zone).isoformat()
    return shown
