"""Issue 15 end to end through the gateway: a learner's reminders at their time (a moved event's
at its new time only, none for a deleted one), the calendar feed without a token (its ETag, its
rotation), and the email preferences with RFC 8058 one-click unsubscribe."""

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import icalendar
import pytest

from testsupport.mailbox import Mail, MailServer
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-calendars"
LEA, OTHER = "cal-lea", "cal-other"
EMAIL = f"{LEA}@example.org"
REMINDER = timedelta(hours=0.02)  # 72 s before the start
LATE = timedelta(seconds=60)  # the contract's most a reminder may be late


def manager(system: System) -> dict[str, str]:
    return system.auth("cal-manager", roles=["training_manager"], organizations=[ORG])


def learner(system: System, sub: str) -> dict[str, str]:
    return system.auth(sub, name=f"Learner {sub}", email=f"{sub}@example.org", locale="en")


async def call(
    system: System, method: str, path: str, headers: dict[str, str], status: int = 200, **kw: Any
) -> Any:
    response = await system.http.request(method, path, headers=headers, **kw)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    return response.json() if response.headers.get("content-type", "").endswith("json") else None


def kind(mail: Mail) -> str:
    return str(mail.message["X-Training-Kind"])


def invitation(mail: Mail) -> tuple[str, icalendar.cal.Component] | None:
    """The attached .ics's METHOD and its one event, read by a real iCalendar parser."""
    attached = mail.part("application/ics")
    if attached is None:
        return None
    assert attached.get_filename() == "invitation.ics"
    calendar = icalendar.Calendar.from_ical(mail.raw("application/ics"))
    [event] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


def about(kinds: set[str], uid: str, method: str = "REQUEST") -> Callable[[Mail], bool]:
    """Lea's emails of those kinds with an invitation of that UID and METHOD."""

    def match(mail: Mail) -> bool:
        if EMAIL not in mail.rcpt_tos or kind(mail) not in kinds:
            return False
        ics = invitation(mail)
        return ics is not None and ics[0] == method and str(ics[1]["UID"]) == uid

    return match


def start_of(event: icalendar.cal.Component) -> datetime:
    start = event.decoded("DTSTART")
    assert isinstance(start, datetime)
    return start


@dataclass(frozen=True)
class Course:
    sessions: dict[str, dict[str, Any]]  # "a" the reminders', "b" the other learner's, "c" later
    events: dict[str, dict[str, Any]]  # "e1" as made, "e2" moved, "e3" deleted, "b" in session b
    uids: dict[str, str]  # the learner's invitations' UID, by event
    dues: dict[str, datetime]  # each reminder's due time, e2's the new one


async def new_session(system: System, title: str, **rules: Any) -> dict[str, Any]:
    body = {"code": f"CAL-{uuid.uuid4().hex[:8]}", "title": "Conduite en sécurité",
            "organizations": [ORG], "public_registration": True}  # fmt: skip
    training = await call(system, "POST", "/api/trainings", manager(system), 201, json=body)
    today = date.today()
    body = {"title": title, "start_date": str(today - timedelta(days=1)),
            "end_date": str(today + timedelta(days=30)), **rules}  # fmt: skip
    path = f"/api/trainings/{training['id']}/sessions"
    session: dict[str, Any] = await call(system, "POST", path, manager(system), 201, json=body)
    return session


async def register(system: System, session: dict[str, Any], sub: str) -> dict[str, Any]:
    async def registered() -> dict[str, Any] | None:
        response = await system.http.post(
            "/api/registrations", json={"session_id": session["id"]}, headers=learner(system, sub)
        )
        if response.status_code == 404:  # not in registration's replica yet
            return None
        assert response.status_code == 201, response.text
        return dict(response.json())

    done: dict[str, Any] = await eventually(registered, within=20, what="the session's replica")
    assert done["status"] == "confirmed"
    return done


async def new_event(system: System, session: dict[str, Any], start: datetime) -> dict[str, Any]:
    body = {"title": f"Atelier {start:%H:%M:%S}", "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(), "location": "Salle 3"}  # fmt: skip
    path = f"/api/sessions/{session['id']}/events"
    event: dict[str, Any] = await call(system, "POST", path, manager(system), 201, json=body)
    return event


async def places(system: System, sub: str, count: int) -> dict[str, str] | None:
    """The learner's event registrations, event id to id, once there are `count`."""
    page = await call(system, "GET", "/api/event-registrations", learner(system, sub),
                      params={"user_id": sub, "status": "registered"})  # fmt: skip
    found: dict[str, str] = {p["event_id"]: p["id"] for p in page["items"]}
    return found if len(found) == count else None


@pytest.fixture(scope="module")
async def course(system: System, mail_server: MailServer) -> Course:
    """Lea confirmed in session a (reminders 72 s before) with three auto events 100-110 s
    away: the second moved 40 s later, the third deleted, before their reminders are due."""
    await eventually(system.healthy, within=60, what="every service healthy")
    await mail_server.astart()
    a = await new_session(system, "Rappels", reminder_hours=[REMINDER / timedelta(hours=1)])
    b, c = await new_session(system, "Autre"), await new_session(system, "Plus tard")
    await register(system, a, LEA)
    await register(system, b, OTHER)
    base = datetime.now(UTC).replace(microsecond=0)
    starts = {"e3": base + timedelta(seconds=100), "e1": base + timedelta(seconds=105),
              "e2": base + timedelta(seconds=110)}  # fmt: skip
    events = {name: await new_event(system, a, start) for name, start in starts.items()}
    events["b"] = await new_event(system, b, base + timedelta(days=10))
    ids = await eventually(lambda: places(system, LEA, 3), within=20, what="lea on the events")
    uids = {n: f"event-registration-{ids[e['id']]}@training" for n, e in events.items() if n != "b"}
    for name, uid in uids.items():  # notification knows her places: her reminders are planned
        registered = about({"event_registration.registered"}, uid)
        await mail_server.wait_for(registered, what=f"{name}'s invitation")
    assert datetime.now(UTC) < starts["e3"] - REMINDER, "too slow: the reminders are due already"

    moved = starts["e2"] + timedelta(seconds=40)
    body = {"start": moved.isoformat(), "end": (moved + timedelta(hours=2)).isoformat()}
    path = f"/api/events/{events['e2']['id']}"
    events["e2"] = await call(system, "PATCH", path, manager(system), json=body)
    await call(system, "DELETE", f"/api/events/{events['e3']['id']}", manager(system), 204)
    dues = {"e1": starts["e1"] - REMINDER, "e2": moved - REMINDER, "e3": starts["e3"] - REMINDER}
    assert datetime.now(UTC) < dues["e3"], "too slow: the deleted event's reminder is due already"
    return Course({"a": a, "b": b, "c": c}, events, uids, dues)


async def arrival(mail_server: MailServer, match: Callable[[Mail], bool], due: datetime) -> Mail:
    """The first matching email, checked to have arrived in [due, due + 60 s]: it was not there
    at `missed` and was at `seen`."""
    missed = datetime.now(UTC)

    def probe() -> Mail | None:
        nonlocal missed
        looked = datetime.now(UTC)
        found = mail_server.matching(match)
        if not found:
            missed = looked
        return found[0] if found else None

    within = (due + LATE - datetime.now(UTC)).total_seconds() + 10
    mail = await eventually(probe, within=within, interval=0.1, what=f"the reminder due {due}")
    seen = datetime.now(UTC)
    assert seen >= due, f"the reminder arrived by {seen}, before its due time {due}"
    assert missed <= due + LATE, f"the reminder arrived after {missed}, over 60 s after {due}"
    return mail


async def test_reminders_at_their_time_a_moved_event_at_its_new_one(
    course: Course, running_mail_server: MailServer
) -> None:
    mails = running_mail_server
    reminders = {n: about({"event.reminder"}, uid) for n, uid in course.uids.items()}
    kinds = {"event.cancelled", "event_registration.cancelled"}
    deleted = about(kinds, course.uids["e3"], "CANCEL")
    await mails.wait_for(deleted, what="the deleted event's METHOD:CANCEL")
    for name in ("e1", "e2"):
        mail = await arrival(mails, reminders[name], course.dues[name])
        assert mail.subject.startswith("Reminder: ")
        ics = invitation(mail)
        assert ics is not None
        assert start_of(ics[1]) == datetime.fromisoformat(course.events[name]["start"])
        assert mail.message["List-Unsubscribe"]  # an optional email
    # by now the first is 45 s past its due time, the deleted event's 50 s
    counts = {name: len(mails.matching(match)) for name, match in reminders.items()}
    assert counts == {"e1": 1, "e2": 1, "e3": 0}


def path_of(system: System, url: str) -> str:
    assert url.startswith(f"{system.stack.config.public_url}/"), url
    return urlsplit(url).path


def feed_uids(response: httpx.Response) -> dict[str, datetime]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(response.text).walk("VEVENT")
    return {str(event["UID"]): start_of(event) for event in events}


async def test_the_calendar_feed_without_a_token(system: System, course: Course) -> None:
    url = (await call(system, "GET", "/api/calendar", learner(system, LEA)))["url"]
    assert (await call(system, "GET", "/api/calendar", learner(system, LEA)))["url"] == url
    fetched = await system.http.get(path_of(system, url))  # no bearer token
    expected = {f"feed-event-{course.events[n]['id']}@training": n for n in ("e1", "e2")}
    starts = feed_uids(fetched)
    assert set(starts) == set(expected)  # neither the deleted event nor the other learner's
    for uid, name in expected.items():
        assert starts[uid] == datetime.fromisoformat(course.events[name]["start"])
    etag = fetched.headers["etag"]
    again = await system.http.get(path_of(system, url), headers={"If-None-Match": etag})
    assert again.status_code == 304, again.text
    other = (await call(system, "GET", "/api/calendar", learner(system, OTHER)))["url"]
    theirs = feed_uids(await system.http.get(path_of(system, other)))
    assert set(theirs) == {f"feed-event-{course.events['b']['id']}@training"}

    rotated = (await call(system, "POST", "/api/calendar/rotate", learner(system, LEA)))["url"]
    assert rotated != url
    await call(system, "GET", path_of(system, url), {}, 404)
    assert set(feed_uids(await system.http.get(path_of(system, rotated)))) == set(expected)
    await call(system, "GET", f"/calendar/{secrets.token_urlsafe(32)}.ics", {}, 404)


async def message(system: System, course: Course, subject: str) -> None:
    body = {"session_id": course.sessions["a"]["id"], "subject": subject,
            "body": "Chaussures de sécurité.", "channels": ["internal", "email"]}  # fmt: skip
    sent = await call(system, "POST", "/api/messages", manager(system), 202, json=body)
    assert sent["recipients"] == 1


async def suppressed(system: System, course: Course, subject: str) -> None:
    """The message is in Lea's inbox, its email logged `suppressed` and never sent."""
    admin = system.auth("cal-admin", roles=["platform_admin"])

    async def logged() -> dict[str, Any] | None:
        params = {"user_id": LEA, "status": "suppressed"}
        page = await call(system, "GET", "/api/deliveries", admin, params=params)
        return next((d for d in page["items"] if d["subject"] == subject), None)

    delivery = await eventually(logged, within=20, what=f"{subject!r} logged suppressed")
    assert (delivery["category"], delivery["kind"]) == ("messages", "session.message")
    inbox = await call(system, "GET", "/api/inbox", learner(system, LEA))
    assert subject in [item["subject"] for item in inbox["items"]]
    page = await call(system, "GET", "/api/deliveries", admin, params={"user_id": LEA})
    assert [d["status"] for d in page["items"] if d["subject"] == subject] == ["suppressed"]


async def test_preferences_and_one_click_unsubscribe(
    system: System, course: Course, running_mail_server: MailServer
) -> None:
    mails = running_mail_server

    def to_lea(subject: str) -> Callable[[Mail], bool]:
        return lambda m: EMAIL in m.rcpt_tos and m.subject == subject

    async def choose(**choices: bool) -> None:
        body = {"email": {"reminders": True, "messages": True, "changes": True, **choices}}
        preferences = await call(system, "PUT", "/api/preferences", learner(system, LEA), json=body)
        assert preferences == body

    await choose(messages=False)
    await message(system, course, "Consignes 1")
    await suppressed(system, course, "Consignes 1")
    await choose(messages=True)
    await message(system, course, "Consignes 2")
    mail = await mails.wait_for(to_lea("Consignes 2"), what="the message's email")
    link = str(mail.message["List-Unsubscribe"])
    assert link.startswith(f"<{system.stack.config.public_url}/unsubscribe/")
    assert link.endswith(">")
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = path_of(system, link[1:-1])

    page = await system.http.get(path)  # no bearer token
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post">' in page.text
    assert "<button" in page.text
    one_click = await system.http.post(path, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200, one_click.text
    expected = {"email": {"reminders": True, "messages": False, "changes": True}}
    assert await call(system, "GET", "/api/preferences", learner(system, LEA)) == expected
    await message(system, course, "Consignes 3")
    await suppressed(system, course, "Consignes 3")
    assert mails.matching(to_lea("Consignes 1")) == mails.matching(to_lea("Consignes 3")) == []

    await register(system, course.sessions["c"], LEA)  # a registration fact is always emailed
    confirmed = await mails.wait_for(
        lambda m: EMAIL in m.rcpt_tos and kind(m) == "registration.confirmed"
        and "Plus tard" in m.subject,
        what="the registration's email",
    )  # fmt: skip
    assert confirmed.message["List-Unsubscribe"] is None
    await call(system, "GET", "/unsubscribe/" + secrets.token_urlsafe(32), {}, 404)
