"""Attendance reports and documents over registration's HTTP API on the real database: the
session's summary (ended events only, rate over the hours the learner was registered to), its
CSV export, the attendance sheet and the certificate of attendance read back from their PDFs,
the certificate's id issued once, the verification endpoint, and every who-may rule refused.

Presences are set up through the attendance API: a check-in, marks and validations."""

import asyncio
import csv
import io
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import aio_pika
import httpx
import pytest
from pypdf import PdfReader
from registration.documents import signed_time
from registration.settings import RegistrationSettings
from registration.tables import certificates, trainings
from registration.use_cases.event_registrations import EventRegistrations
from registration.use_cases.registrations import Registrations
from registration.use_cases.trainings import Trainings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import mint_token
from shared.events import EventData, SessionData, TrainingData, new_event
from testsupport.infra import Servers, create_vhost, delete_vhost, unique_name
from testsupport.waiting import eventually

from .conftest import app_state, serving, session_data

pytestmark = pytest.mark.integration

SECRET = "attendance-reports-secret-0123456789abcdef"
PUBLIC_URL = "https://formation.example.org"
CERTIFICATE_URL = re.compile(
    r"https://formation\.example\.org/api/certificates/([0-9a-f]{8}-[0-9a-f-]{27})"
)


@pytest.fixture(scope="module")
async def amqp_url(servers: Servers) -> AsyncIterator[str]:
    vhost = unique_name("reports")
    try:
        yield create_vhost(servers, vhost)
    finally:
        delete_vhost(servers, vhost)


@pytest.fixture(scope="module")
async def http(registration_database: str, amqp_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = RegistrationSettings(
        database_url=registration_database,
        amqp_url=amqp_url,
        jwt_secret=SECRET,
        public_url_override=PUBLIC_URL + "/",
    )
    async with serving(settings) as http:
        yield http


def state(http: httpx.AsyncClient, name: str) -> Any:
    return app_state(http, name)


def as_(sub: str, **claims: Any) -> dict[str, str]:
    claims = {"email": f"{sub}@example.org", "name": sub, **claims}
    return {"Authorization": f"Bearer {mint_token(SECRET, sub=sub, **claims)}"}


MANAGER = as_("manager", roles=["training_manager"], organizations=["org-a"], locale="en")
OTHER_MANAGER = as_("other", roles=["training_manager"], organizations=["org-z"])
TUTOR = as_("tutor", locale="fr")
STRANGER = as_("stranger")
ZOE = as_("zoe", name="Zoé Lefèvre-Château", locale="fr-FR")
JOHN = as_("john", name="John Smith", locale="en")
MAL = as_("mal", name="=1+1 Malicious", email="mal@example.org")
DASH = "\u2013"
DAY = (datetime.now(UTC) - timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)


def text_of(pdf: bytes) -> str:
    """The PDF's text, whitespace (no-break spaces and line breaks included) as single spaces."""
    assert pdf.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


@dataclass(frozen=True)
class Scenario:
    session: SessionData
    training: TrainingData
    morning: EventData  # 3 h, ended: zoe present (signed), john absent_justified, mal unknown
    afternoon: EventData  # 4 h, ended: zoe present, john present, mal absent_unjustified
    extra: EventData  # 1 h, ended, manual: only zoe registered, and present
    coming: EventData  # not ended: never counted
    registrations: dict[str, dict[str, Any]]
    signed_at: datetime  # zoe's check-in at the morning event


async def catalog_event(http: httpx.AsyncClient, session: SessionData, **fields: Any) -> EventData:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "session_id": session.id,
        "training_id": session.training_id,
        "start": now + timedelta(days=1),
        "end": now + timedelta(days=1, hours=1),
        "organizations": session.organizations,
        "tutors": session.tutors,
        **fields,
    }
    event = EventData.model_validate(values)
    events: EventRegistrations = state(http, "event_registrations")
    await events.replicate_event(str(uuid.uuid4()), "catalog.event.created", event)
    return event


async def move_to(http: httpx.AsyncClient, event: EventData, start: datetime, hours: int) -> None:
    """Catalog moves the event into the past: its registrations stay (the replica's update)."""
    moved = event.model_copy(
        update={"version": event.version + 1, "start": start, "end": start + timedelta(hours=hours)}
    )
    events: EventRegistrations = state(http, "event_registrations")
    await events.replicate_event(str(uuid.uuid4()), "catalog.event.updated", moved)


async def mark(http: httpx.AsyncClient, event: EventData, *items: dict[str, str]) -> None:
    answer = await http.put(
        f"/api/events/{event.id}/attendance", json={"items": list(items)}, headers=MANAGER
    )
    assert answer.status_code == 200, answer.text


async def validate(http: httpx.AsyncClient, event: EventData) -> None:
    answer = await http.post(f"/api/events/{event.id}/attendance/validate", headers=MANAGER)
    assert answer.status_code == 200, answer.text


async def check_in(http: httpx.AsyncClient, event: EventData, learner: dict[str, str]) -> datetime:
    """The learner signs in with the event's code; when they did."""
    code = await http.get(f"/api/events/{event.id}/check-in-code", headers=TUTOR)
    assert code.status_code == 200, code.text
    answer = await http.post(
        f"/api/events/{event.id}/check-in", json={"code": code.json()["code"]}, headers=learner
    )
    assert answer.status_code == 200, answer.text
    return datetime.fromisoformat(answer.json()["signed_at"])


@pytest.fixture
async def scenario(http: httpx.AsyncClient, engine: AsyncEngine) -> Scenario:
    now = datetime.now(UTC)
    training = TrainingData.model_validate(
        {
            "id": uuid.uuid4(),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "code": "SEC-101",
            "title": "Sécurité au travail",
            "organizations": ["org-a"],
        }
    )
    replica: Trainings = state(http, "trainings")
    await replica.replicate_training(str(uuid.uuid4()), "catalog.training.created", training)
    session = session_data(
        training_id=training.id,
        title="Session de janvier",
        start_date=DAY.date(),
        end_date=DAY.date() + timedelta(days=4),
        location="Lyon",
        tutors=["tutor"],
    )
    registrations: Registrations = state(http, "registrations")
    await registrations.replicate_session(str(uuid.uuid4()), "catalog.session.created", session)
    signed_up = {}
    for name, token in (("zoe", ZOE), ("john", JOHN), ("mal", MAL)):
        answer = await http.post(
            "/api/registrations", json={"session_id": str(session.id)}, headers=token
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "confirmed"
        signed_up[name] = answer.json()
    morning = await catalog_event(
        http,
        session,
        title="Gestes & postures",
        location="Salle B",
        start=now + timedelta(minutes=10),
        end=now + timedelta(hours=3, minutes=10),
    )
    signed_at = await check_in(http, morning, ZOE)  # its window is open: it starts soon
    afternoon = await catalog_event(http, session, title="Incendie")
    extra = await catalog_event(http, session, title="Rattrapage", registration_mode="manual")
    answer = await http.post(
        "/api/event-registrations",
        json={"event_id": str(extra.id), "user_id": "zoe"},
        headers=MANAGER,
    )
    assert answer.status_code == 201, answer.text
    coming = await catalog_event(http, session, title="Bilan")
    await move_to(http, morning, DAY, 3)
    await move_to(http, afternoon, DAY + timedelta(hours=5), 4)
    await move_to(http, extra, DAY + timedelta(days=1), 1)
    note = "=cmd|' /C calc'!A0"
    await mark(http, morning, {"user_id": "john", "status": "absent_justified", "note": note})
    await mark(
        http,
        afternoon,
        {"user_id": "zoe", "status": "present"},
        {"user_id": "john", "status": "present"},
        {"user_id": "mal", "status": "absent_unjustified"},
    )
    await mark(http, extra, {"user_id": "zoe", "status": "present"})
    await mark(http, coming, {"user_id": "zoe", "status": "present"})
    return Scenario(session, training, morning, afternoon, extra, coming, signed_up, signed_at)


# --- the session's summary and export ------------------------------------------------------------


async def test_the_summary_counts_the_ended_events_each_learner_was_registered_to(
    http: httpx.AsyncClient, scenario: Scenario
) -> None:
    url = f"/api/sessions/{scenario.session.id}/attendance"
    answer = await http.get(url, headers=TUTOR)
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == [
        {
            "user_id": "mal",
            "name": "=1+1 Malicious",
            "events": 2,
            "present": 0,
            "hours_attended": 0.0,
            "hours_total": 7.0,
            "rate": 0.0,
        },
        {
            "user_id": "john",
            "name": "John Smith",
            "events": 2,
            "present": 1,
            "hours_attended": 4.0,
            "hours_total": 7.0,
            "rate": float(Fraction(400, 7)),
        },
        {
            "user_id": "zoe",
            "name": "Zoé Lefèvre-Château",
            "events": 3,
            "present": 3,
            "hours_attended": 8.0,
            "hours_total": 8.0,
            "rate": 100.0,
        },
    ]
    assert (await http.get(url, headers=MANAGER)).json() == answer.json()


async def test_who_reads_the_summary_and_the_export(
    http: httpx.AsyncClient, scenario: Scenario
) -> None:
    summary = f"/api/sessions/{scenario.session.id}/attendance"
    export = f"{summary}/export"
    for who in (ZOE, OTHER_MANAGER, STRANGER):
        assert (await http.get(summary, headers=who)).status_code == 403
    for who in (ZOE, TUTOR, OTHER_MANAGER):
        assert (await http.get(export, headers=who)).status_code == 403
    unknown = f"/api/sessions/{uuid.uuid4()}/attendance"
    assert (await http.get(unknown, headers=MANAGER)).status_code == 404
    assert (await http.get(f"{unknown}/export", headers=MANAGER)).status_code == 404
    assert (await http.get(summary)).status_code == 401


async def test_the_export_has_a_row_per_learner_and_ended_event(
    http: httpx.AsyncClient, scenario: Scenario
) -> None:
    answer = await http.get(
        f"/api/sessions/{scenario.session.id}/attendance/export", headers=MANAGER
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8"))))
    assert rows[0] == [
        "user_id",
        "email",
        "name",
        "event_id",
        "event_title",
        "start",
        "end",
        "status",
        "signed_at",
        "note",
    ]
    seen = [(r[0], r[4], r[7]) for r in rows[1:]]
    assert seen == [
        ("mal", "Gestes & postures", "unknown"),
        ("mal", "Incendie", "absent_unjustified"),
        ("john", "Gestes & postures", "absent_justified"),
        ("john", "Incendie", "present"),
        ("zoe", "Gestes & postures", "present"),
        ("zoe", "Incendie", "present"),
        ("zoe", "Rattrapage", "present"),
    ]
    mal, _, john, *_ = rows[1:]
    assert mal[1:3] == ["mal@example.org", "'=1+1 Malicious"]
    assert john[9] == "'=cmd|' /C calc'!A0"
    zoe_morning = rows[5]
    assert zoe_morning[3] == str(scenario.morning.id)
    assert datetime.fromisoformat(zoe_morning[5]) == DAY
    assert datetime.fromisoformat(zoe_morning[6]) == DAY + timedelta(hours=3)
    assert datetime.fromisoformat(zoe_morning[8]) == scenario.signed_at
    assert (zoe_morning[9], john[8]) == ("", "")


# --- the attendance sheet ------------------------------------------------------------------------


async def test_the_blank_sheet_lists_the_registered_learners_in_the_callers_locale(
    http: httpx.AsyncClient, scenario: Scenario
) -> None:
    answer = await http.get(
        f"/api/events/{scenario.morning.id}/attendance-sheet?filled=false", headers=TUTOR
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    text = text_of(answer.content)
    for seen in (
        "Feuille d'émargement",
        "Sécurité au travail",
        "Session de janvier",
        "Gestes & postures",
        "Salle B",
        f"9 h 00 {DASH} 12 h 00",
        "John Smith",
        "Zoé Lefèvre-Château",
        "=1+1 Malicious",
        "Signature",
    ):
        assert seen in text
    for status in ("Présence", "Absence justifiée", "Non renseigné"):
        assert status not in text


async def test_the_filled_sheet_shows_statuses_and_signatures(
    http: httpx.AsyncClient, scenario: Scenario
) -> None:
    answer = await http.get(
        f"/api/events/{scenario.morning.id}/attendance-sheet?filled=true", headers=MANAGER
    )
    assert answer.status_code == 200, answer.text
    text = text_of(answer.content)
    assert "Attendance sheet" in text
    assert f"{DAY.day} {DAY:%B %Y}, 09:00 {DASH} 12:00" in text
    signed = signed_time(scenario.signed_at, DAY, "en")  # another day than the event's, moved
    assert f"Zoé Lefèvre-Château Present {signed}" in text
    assert "John Smith Absent (justified)" in text
    assert "=1+1 Malicious Not recorded" in text


async def test_who_prints_the_sheet(http: httpx.AsyncClient, scenario: Scenario) -> None:
    sheet = f"/api/events/{scenario.morning.id}/attendance-sheet"
    for who in (ZOE, OTHER_MANAGER, STRANGER):
        assert (await http.get(sheet, headers=who)).status_code == 403
    unknown = f"/api/events/{uuid.uuid4()}/attendance-sheet"
    assert (await http.get(unknown, headers=MANAGER)).status_code == 404


# --- the certificate and its verification --------------------------------------------------------


async def test_the_certificate_waits_for_a_validated_attended_event_then_keeps_its_id(
    http: httpx.AsyncClient, engine: AsyncEngine, scenario: Scenario
) -> None:
    zoe = scenario.registrations["zoe"]["id"]
    url = f"/api/registrations/{zoe}/certificate"
    refused = await http.get(url, headers=ZOE)
    assert refused.status_code == 409, refused.text
    await validate(http, scenario.morning)
    first = await http.get(url, headers=ZOE)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    text = text_of(first.content)
    for seen in (
        "Attestation de présence",
        "Zoé Lefèvre-Château",
        "Sécurité au travail (SEC-101)",
        "Session de janvier",
        "Lyon",
        "Gestes & postures",
        f"9 h 00 {DASH} 12 h 00",
        "Durée totale de présence 3 h",
    ):
        assert seen in text
    assert "Incendie" not in text  # not validated yet: not on the certificate
    [certificate_id] = set(CERTIFICATE_URL.findall(text))
    assert certificate_id in text.replace(f"certificates/{certificate_id}", "")
    await validate(http, scenario.afternoon)
    again = text_of((await http.get(url, headers=MANAGER)).content)
    assert CERTIFICATE_URL.findall(again) == [certificate_id]
    assert "Incendie" in again
    assert "Durée totale de présence 7 h" in again  # in the learner's locale, not the caller's


async def test_a_certificate_in_english_and_its_verification(
    http: httpx.AsyncClient, engine: AsyncEngine, scenario: Scenario
) -> None:
    await validate(http, scenario.morning)
    await validate(http, scenario.afternoon)
    john = scenario.registrations["john"]["id"]
    answer = await http.get(f"/api/registrations/{john}/certificate", headers=JOHN)
    assert answer.status_code == 200, answer.text
    text = text_of(answer.content)
    assert "Certificate of attendance" in text
    assert "This is to certify that John Smith attended the training" in text
    assert "Incendie" in text
    assert "Gestes & postures" not in text  # absent there, excused or not
    assert "4 hours" in text
    [certificate_id] = CERTIFICATE_URL.findall(text)
    checked = await http.get(f"/api/certificates/{certificate_id}", headers=STRANGER)
    assert checked.status_code == 200, checked.text
    body = checked.json()
    issued_at = datetime.fromisoformat(body.pop("issued_at"))
    assert abs(datetime.now(UTC) - issued_at) < timedelta(minutes=1)
    assert body == {
        "certificate_id": certificate_id,
        "learner_name": "John Smith",
        "training": {
            "id": str(scenario.training.id),
            "code": "SEC-101",
            "title": "Sécurité au travail",
        },
        "session": {
            "id": str(scenario.session.id),
            "title": "Session de janvier",
            "start_date": scenario.session.start_date.isoformat(),
            "end_date": scenario.session.end_date.isoformat(),
        },
        "hours_attended": 4.0,
    }


async def test_who_gets_a_certificate_and_who_checks_one(
    http: httpx.AsyncClient, engine: AsyncEngine, scenario: Scenario
) -> None:
    await validate(http, scenario.morning)
    john = scenario.registrations["john"]["id"]
    url = f"/api/registrations/{john}/certificate"
    for who in (ZOE, TUTOR, OTHER_MANAGER, STRANGER):
        assert (await http.get(url, headers=who)).status_code == 403
    unknown = f"/api/registrations/{uuid.uuid4()}/certificate"
    assert (await http.get(unknown, headers=MANAGER)).status_code == 404
    # mal attended nothing: no certificate, whoever asks
    mal = scenario.registrations["mal"]["id"]
    assert (await http.get(f"/api/registrations/{mal}/certificate", headers=MAL)).status_code == 409
    assert (
        await http.get(f"/api/certificates/{uuid.uuid4()}", headers=STRANGER)
    ).status_code == 404
    assert (await http.get(f"/api/certificates/{uuid.uuid4()}")).status_code == 401


async def test_the_openapi_document_declares_the_pdf_and_csv_answers(
    http: httpx.AsyncClient,
) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    ok = "200"
    sheet = paths["/api/events/{ident}/attendance-sheet"]["get"]["responses"][ok]
    certificate = paths["/api/registrations/{registration_id}/certificate"]["get"]["responses"]
    export = paths["/api/sessions/{session_id}/attendance/export"]["get"]["responses"][ok]
    assert set(sheet["content"]) == {"application/pdf"}
    assert set(certificate[ok]["content"]) == {"application/pdf"}
    assert "409" in certificate
    assert set(export["content"]) == {"text/csv"}


async def test_first_downloads_at_once_issue_one_certificate(
    http: httpx.AsyncClient, engine: AsyncEngine, scenario: Scenario
) -> None:
    await validate(http, scenario.afternoon)
    john = scenario.registrations["john"]["id"]
    url = f"/api/registrations/{john}/certificate"
    answers = await asyncio.gather(*(http.get(url, headers=JOHN) for _ in range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    ids = {tuple(CERTIFICATE_URL.findall(text_of(a.content))) for a in answers}
    assert len(ids) == 1
    async with engine.connect() as conn:
        issued = await conn.execute(
            select(certificates.c.certificate_id).where(certificates.c.registration_id == john)
        )
        assert [(str(row.certificate_id),) for row in issued] == list(ids)


async def test_catalog_trainings_reach_the_replica_through_the_broker(
    http: httpx.AsyncClient, amqp_url: str, engine: AsyncEngine
) -> None:
    now = datetime.now(UTC)
    training = TrainingData.model_validate(
        {
            "id": uuid.uuid4(),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "code": "BRK-1",
            "title": "Par le courtier",
            "organizations": ["org-a"],
        }
    )
    event = new_event("catalog", "catalog.training.created", training, subject=str(training.id))
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("training.events")
        await exchange.publish(
            aio_pika.Message(
                json.dumps(event.to_message()).encode(),
                content_type="application/cloudevents+json",
                message_id=event.id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=event.type,
        )

    async def replicated() -> str | None:
        async with engine.connect() as conn:
            query = select(trainings.c.title).where(trainings.c.id == training.id)
            title: str | None = (await conn.execute(query)).scalar()
            return title

    assert await eventually(replicated, what="the training in the replica") == "Par le courtier"
