"""Issue 14 end to end through the gateway: a tutor gives out an event's check-in code, a learner
checks in with it, another is marked excused, a manager validates the attendance (the tutor may
no longer change it), the sheet, the session's summary and its export read back, the session's
completion decided and published, the certificate read back from its PDF and checked by a third
party, and the learner's email that it is available — watched on the bus."""

import csv
import html
import io
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from shared.locales import format_time
from testsupport.cloudevents import checked_event
from testsupport.mailbox import MailServer
from testsupport.subscriber import Subscriber, subscribed
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-attendance"
TITLE, EVENT_TITLE = "Sauveteur secouriste", "Gestes de premiers secours"
ZOE, JOHN = "att-zoe", "att-john"
NAMES = {ZOE: "Zoé Lefèvre", JOHN: "John Smith"}
LOCALES = {ZOE: "fr", JOHN: "en"}
HOURS = 2


def manager(system: System) -> dict[str, str]:
    return system.auth("att-manager", roles=["training_manager"], organizations=[ORG], locale="en")


def tutor(system: System) -> dict[str, str]:
    return system.auth("att-tutor", name="Théo Tuteur", locale="fr")


def learner(system: System, sub: str) -> dict[str, str]:
    return system.auth(sub, name=NAMES[sub], email=f"{sub}@example.org", locale=LOCALES[sub])


async def call(
    system: System, method: str, path: str, headers: dict[str, str], status: int = 200, **kw: Any
) -> Any:
    """The answer's JSON (None if it has none), after checking its status."""
    response = await system.http.request(method, path, headers=headers, **kw)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    return response.json() if response.headers["content-type"].endswith("json") else None


def text_of(response: httpx.Response) -> str:
    """A PDF's text, every run of whitespace (no-break spaces too) as one space."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


@dataclass(frozen=True)
class Course:
    code: str
    session: dict[str, Any]
    event: dict[str, Any]
    registrations: dict[str, dict[str, Any]]  # by learner
    start: datetime  # the event's times, moved into the past once checked in
    end: datetime
    signed_at: datetime
    bus: Subscriber


async def prepared(system: System, bus: Subscriber) -> Course:
    """A session with its confirmed learners, and an auto event going on now (they are
    registered to it), moved to have ended once Zoé checked in and John was marked excused."""
    code = f"ATT-{uuid.uuid4().hex[:8]}"
    body = {"code": code, "title": TITLE, "organizations": [ORG], "public_registration": True}
    training = await call(system, "POST", "/api/trainings", manager(system), 201, json=body)
    body = {"title": "Session d'hiver", "start_date": "2026-01-01", "end_date": "2027-12-31",
            "location": "Lyon", "tutors": ["att-tutor"], "completion_rate": 50}  # fmt: skip
    path = f"/api/trainings/{training['id']}/sessions"
    session = await call(system, "POST", path, manager(system), 201, json=body)

    async def registered(sub: str) -> dict[str, Any] | None:
        response = await system.http.post(
            "/api/registrations", json={"session_id": session["id"]}, headers=learner(system, sub)
        )
        if response.status_code == 404:  # not in registration's replica yet
            return None
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    registrations = {sub: await eventually(partial(registered, sub), within=20) for sub in NAMES}
    assert {r["status"] for r in registrations.values()} == {"confirmed"}

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    body = {"title": EVENT_TITLE, "start": (now - timedelta(minutes=10)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(), "location": "Salle B"}  # fmt: skip
    path = f"/api/sessions/{session['id']}/events"
    event = await call(system, "POST", path, manager(system), 201, json=body)
    attendance = f"/api/events/{event['id']}/attendance"

    async def presences() -> bool:
        response = await system.http.get(attendance, headers=tutor(system))
        return response.status_code == 200 and len(response.json()["items"]) == len(NAMES)

    await eventually(presences, within=20, what="the learners auto-registered to the event")

    given = await call(system, "GET", f"/api/events/{event['id']}/check-in-code", tutor(system))
    assert re.fullmatch(r"[A-Z2-9]{8}", given["code"])
    assert datetime.fromisoformat(given["valid_from"]) == now - timedelta(minutes=40)
    assert datetime.fromisoformat(given["valid_until"]) == now + timedelta(hours=1)
    check_in = f"/api/events/{event['id']}/check-in"
    wrong = "22222222" if given["code"] != "22222222" else "33333333"
    zoe, john = learner(system, ZOE), learner(system, JOHN)
    await call(system, "POST", check_in, zoe, 422, json={"code": wrong})
    await call(system, "POST", check_in, john, json={"code": given["code"]})  # marked below
    right = {"code": f" {given['code'].lower()} "}  # case and spaces around it do not matter
    signed = await call(system, "POST", check_in, zoe, json=right)
    assert (signed["user_id"], signed["status"]) == (ZOE, "present")
    signed_at = datetime.fromisoformat(signed["signed_at"])
    assert abs(datetime.now(UTC) - signed_at) < timedelta(minutes=1)
    assert await call(system, "POST", check_in, zoe, json=right) == signed  # once

    marks = {"items": [{"user_id": JOHN, "status": "absent_justified", "note": "Arrêt maladie"}]}
    marked = await call(system, "PUT", attendance, tutor(system), json=marks)
    statuses = {p["user_id"]: (p["status"], p["signed_at"] is not None) for p in marked["items"]}
    assert statuses == {ZOE: ("present", True), JOHN: ("absent_justified", False)}
    assert marked["validated"] is False

    end = now - timedelta(minutes=1)
    start = end - timedelta(hours=HOURS)
    moved = {"start": start.isoformat(), "end": end.isoformat()}
    await call(system, "PATCH", f"/api/events/{event['id']}", manager(system), json=moved)

    async def ended() -> bool:  # the session's summary counts only the events that have ended
        path = f"/api/sessions/{session['id']}/attendance"
        items = (await call(system, "GET", path, tutor(system)))["items"]
        return bool(items) and all(item["events"] == 1 for item in items)

    await eventually(ended, within=20, what="registration to know the event has ended")
    validated = await call(system, "POST", f"{attendance}/validate", manager(system))
    assert validated["validated"] is True
    final = {p["user_id"]: p["status"] for p in validated["items"]}
    assert final == {ZOE: "present", JOHN: "absent_justified"}
    late = {"items": [{"user_id": JOHN, "status": "present"}]}
    await call(system, "PUT", attendance, tutor(system), 403, json=late)
    return Course(code, session, event, registrations, start, end, signed_at, bus)


@pytest.fixture(scope="module")
async def course(system: System) -> AsyncIterator[Course]:
    await eventually(system.healthy, within=60, what="every service healthy")
    async with subscribed(system.amqp_url, ["registration.#", "attendance.#"]) as bus:
        yield await prepared(system, bus)
        for received in bus.received:  # registration publishes both registration.* and attendance.*
            checked_event(received, received.envelope["type"], source="registration")


async def test_the_sheet_the_summary_and_the_export(system: System, course: Course) -> None:
    sheet = f"/api/events/{course.event['id']}/attendance-sheet"
    blank = text_of(await system.http.get(sheet, params={"filled": "false"}, headers=tutor(system)))
    for seen in ("Feuille d'émargement", TITLE, EVENT_TITLE, "Salle B", *NAMES.values()):
        assert seen in blank
    assert "Présence" not in blank
    filled = text_of(
        await system.http.get(sheet, params={"filled": "true"}, headers=manager(system))
    )
    assert "Attendance sheet" in filled  # in the caller's locale
    signed = re.escape(format_time(course.signed_at, "en"))  # after a day if not the event's
    assert re.search(rf"Zoé Lefèvre Present ([^,]+, )?{signed}", filled), filled
    assert "John Smith Absent (justified)" in filled

    path = f"/api/sessions/{course.session['id']}/attendance"
    assert (await call(system, "GET", path, tutor(system)))["items"] == [
        {"user_id": JOHN, "name": "John Smith", "events": 1, "present": 0,
         "hours_attended": 0, "hours_total": HOURS, "rate": 0},
        {"user_id": ZOE, "name": "Zoé Lefèvre", "events": 1, "present": 1,
         "hours_attended": HOURS, "hours_total": HOURS, "rate": 100},
    ]  # fmt: skip
    exported = await system.http.get(f"{path}/export", headers=manager(system))
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8"))))
    assert (
        ",".join(header)
        == "user_id,email,name,event_id,event_title,start,end,status,signed_at,note"
    )
    by_user = {row[0]: row for row in rows}
    assert len(rows) == len(by_user) == len(NAMES)
    zoe, john = by_user[ZOE], by_user[JOHN]
    assert zoe[1:5] == ["att-zoe@example.org", "Zoé Lefèvre", course.event["id"], EVENT_TITLE]
    assert [datetime.fromisoformat(t) for t in zoe[5:7]] == [course.start, course.end]
    assert (zoe[7], datetime.fromisoformat(zoe[8]), zoe[9]) == ("present", course.signed_at, "")
    assert john[7:] == ["absent_justified", "", "Arrêt maladie"]
    await call(system, "GET", f"{path}/export", tutor(system), 403)


async def test_the_attendance_is_published(course: Course) -> None:
    def of(type_: str) -> list[dict[str, Any]]:
        return [r.envelope["data"] for r in course.bus.matching(lambda e: e["type"] == type_)]

    recorded = of("attendance.recorded")
    zoe = next(p for p in recorded if p["user_id"] == ZOE and p["previous_status"] == "unknown")
    assert (zoe["status"], zoe["actor"], zoe["event_id"]) == ("present", ZOE, course.event["id"])
    john = next(p for p in recorded if p["status"] == "absent_justified")
    assert (john["user_id"], john["previous_status"], john["actor"]) == (
        JOHN,
        "present",
        "att-tutor",
    )
    [validated] = of("attendance.validated")
    assert validated["event_id"] == course.event["id"]
    counts = {"unknown": 0, "present": 1, "absent_justified": 1, "absent_unjustified": 0}
    assert validated["counts"] == counts


async def completed(system: System, course: Course, sub: str) -> dict[str, Any] | None:
    path = f"/api/registrations/{course.registrations[sub]['id']}"
    registration: dict[str, Any] = await call(system, "GET", path, learner(system, sub))
    return registration if registration["completion"] is not None else None


def certificate_id_of(system: System, text: str) -> str:
    """The id in the certificate's verification URL, the same wherever it appears."""
    url = re.escape(f"{system.stack.config.public_url}/api/certificates/")
    found: list[str] = re.findall(url + r"([0-9a-f]{8}-[0-9a-f-]{27})", text)
    [certificate_id] = set(found)
    return certificate_id


async def test_completion_and_the_certificate(system: System, course: Course) -> None:
    zoe = await eventually(lambda: completed(system, course, ZOE), within=20, what="completion")
    completion = zoe["completion"]
    assert (completion["completed"], completion["rate"]) == (True, 100)
    assert (completion["hours_attended"], completion["hours_total"]) == (HOURS, HOURS)
    john = await eventually(lambda: completed(system, course, JOHN), within=20, what="completion")
    assert (john["completion"]["completed"], john["completion"]["rate"]) == (False, 0)
    fact = await course.bus.wait_for(
        lambda e: e["type"] == "registration.completed" and e["subject"] == zoe["id"],
        what="registration.completed",
    )
    data = checked_event(fact, "registration.completed", source="registration")
    assert (data["completion"], data["version"]) == (completion, zoe["version"])
    others = course.bus.matching(lambda e: e["type"] == "registration.completed")
    assert [e.envelope["subject"] for e in others] == [zoe["id"]]

    certificate = f"/api/registrations/{zoe['id']}/certificate"
    text = text_of(await system.http.get(certificate, headers=manager(system)))
    for seen in ("Attestation de présence", "Zoé Lefèvre", f"{TITLE} ({course.code})", EVENT_TITLE,
                 "Session d'hiver", "Lyon", "Durée totale de présence 2 h"):  # fmt: skip
        assert seen in text  # in the learner's locale, not the caller's
    certificate_id = certificate_id_of(system, text)
    assert certificate_id in text.replace(f"certificates/{certificate_id}", "")
    again = text_of(await system.http.get(certificate, headers=learner(system, ZOE)))
    assert certificate_id_of(system, again) == certificate_id
    path = f"/api/registrations/{john['id']}/certificate"
    await call(system, "GET", path, learner(system, JOHN), 409)  # he attended nothing

    stranger = system.auth("att-stranger")
    checked = await call(system, "GET", f"/api/certificates/{certificate_id}", stranger)
    issued_at = datetime.fromisoformat(checked.pop("issued_at"))
    assert abs(datetime.now(UTC) - issued_at) < timedelta(minutes=1)
    session = course.session
    assert checked == {
        "certificate_id": certificate_id,
        "learner_name": "Zoé Lefèvre",
        "training": {"id": session["training_id"], "code": course.code, "title": TITLE},
        "session": {key: session[key] for key in ("id", "title", "start_date", "end_date")},
        "hours_attended": HOURS,
    }
    await call(system, "GET", f"/api/certificates/{uuid.uuid4()}", stranger, 404)


async def test_the_learner_is_emailed_that_the_certificate_is_available(
    system: System, course: Course, running_mail_server: MailServer
) -> None:
    mail = await running_mail_server.wait_for(
        lambda m: f"{ZOE}@example.org" in m.rcpt_tos and m.subject.startswith("Votre attestation"),
        within=30,
        what="the certificate's email",
    )
    text = mail.text()
    registration = course.registrations[ZOE]["id"]
    download = f"{system.stack.config.public_url}/api/registrations/{registration}/certificate"
    assert download in text
    assert download in html.unescape(mail.text("text/html"))
    pdf = text_of(await system.http.get(download, headers=learner(system, ZOE)))
    certificate_id = certificate_id_of(system, pdf)
    assert f"{system.stack.config.public_url}/api/certificates/{certificate_id}" in text
