"""Integration: the notification service in-process on the real PostgreSQL, RabbitMQ and an aiosmtpd
server. Events are published onto the bus as their producers would (contract-shaped)."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notification import store, tables
from notification.mailer import SmtpTransport, parse_smtp_url
from notification.sender import DeliverySender, RetryPolicy
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import make_engine, make_sessionmaker, transaction
from shared.events import new_event
from testsupport.mailbox import Mail, MailServer
from testsupport.system import free_port
from testsupport.waiting import eventually

from .conftest import MIGRATIONS, PUBLIC_URL, Running

pytestmark = pytest.mark.integration

ORG = "org-notif"
NOW = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)


def session_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "training_id": str(uuid.uuid4()),
        "title": "Gestes et postures",
        "start_date": "2027-03-01",
        "end_date": "2027-03-03",
        "location": "Lyon",
        "organizations": [ORG],
        "tutors": ["tutor-1"],
        "validators": [],
        "status": "scheduled",
        "version": 1,
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
    }
    data.update(changes)
    return data


def learner(name: str, locale: str = "fr") -> dict[str, Any]:
    user_id = f"{name}-{uuid.uuid4().hex[:6]}"
    return {
        "id": user_id,
        "email": f"{user_id}@example.org",
        "name": name.capitalize(),
        "locale": locale,
        "organizations": [ORG],
    }


def registration_data(
    session: dict[str, Any], user: dict[str, Any], status: str, **changes: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "session_id": session["id"],
        "training_id": session["training_id"],
        "user": user,
        "status": status,
        "pending_validations": [],
        "waitlist_position": None,
        "forced": False,
        "version": 1,
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
    }
    data.update(changes)
    return data


def envelope(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    source = "catalog" if type_.startswith("catalog.") else "registration"
    subject = str(data["id"] if "id" in data else data["registration"]["id"])
    return new_event(source, type_, data, subject=subject).to_message()


async def announce_session(running: Running, **changes: Any) -> dict[str, Any]:
    session = session_data(**changes)
    await running.publish(envelope("catalog.session.created", session))
    await handled(running, "notification.sessions", None, session_id=session["id"])
    return session


async def handled(
    running: Running, consumer: str, event_id: str | None, *, session_id: str | None = None
) -> None:
    """Until the consumer has taken the event (its inbox row), or the session is replicated."""
    engine = make_engine(running.database_url, pool_size=1, max_overflow=0)
    try:
        sessions = make_sessionmaker(engine)

        async def probe() -> bool:
            async with sessions() as db:
                if session_id is not None:
                    return await store.session_by_id(db, uuid.UUID(session_id)) is not None
                query = select(func.count()).where(
                    tables.inbox.c.consumer == consumer, tables.inbox.c.event_id == event_id
                )
                return bool((await db.execute(query)).scalar_one())

        await eventually(probe, within=20, what=f"{consumer} to take {event_id or session_id}")
    finally:
        await engine.dispose()


async def inbox_of(running: Running, user_id: str) -> list[dict[str, Any]]:
    response = await running.http.get("/api/inbox", headers=running.auth(user_id))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def mail_to(running: Running, user: dict[str, Any], subject_part: str) -> Mail:
    return await running.mail.wait_for(
        lambda m: user["email"] in m.rcpt_tos and subject_part in m.subject,
        what=f"the email '{subject_part}' to {user['email']}",
    )


async def count_rows(database: async_sessionmaker[AsyncSession], table: Any, **where: Any) -> int:
    async with database() as db:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return int((await db.execute(query)).scalar_one())


# --- facts, told once -----------------------------------------------------------------------


async def test_the_same_event_delivered_twice_is_told_once(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running)
    lea = learner("lea")
    confirmed = envelope("registration.confirmed", registration_data(session, lea, "confirmed"))
    await running.publish(confirmed)
    await running.publish(confirmed)  # the broker redelivers, the relay publishes twice
    marker = envelope(
        "registration.confirmed", registration_data(session, learner("marc"), "confirmed")
    )
    await running.publish(marker)
    await handled(running, "notification.registrations", marker["id"])

    mail = await mail_to(running, lea, "Inscription confirmée")
    assert mail.subject == "Inscription confirmée : « Gestes et postures »"
    assert "du 1er mars 2027 au 3 mars 2027, Lyon" in mail.text()
    assert "Gestes et postures" in mail.text("text/html")
    calendar = mail.part("text/calendar")
    assert calendar is not None
    assert calendar.get_param("method") == "REQUEST"
    ics = mail.raw("text/calendar")
    assert "DTSTART;VALUE=DATE:20270301\r\n" in ics
    assert "DTEND;VALUE=DATE:20270304\r\n" in ics
    assert any(part.get_filename() == "invitation.ics" for part in mail.message.walk())

    assert await count_rows(database, tables.messages, user_id=lea["id"]) == 1
    assert await count_rows(database, tables.deliveries, user_id=lea["id"]) == 1
    assert len(running.mail.to(lea["email"])) == 1
    inbox = await inbox_of(running, lea["id"])
    assert [m["kind"] for m in inbox] == ["registration.confirmed"]
    assert inbox[0]["ref"]["registration_id"] == confirmed["data"]["id"]


async def test_every_registration_fact_reaches_the_learner_in_their_language(
    running: Running,
) -> None:
    session = await announce_session(running)
    ann = learner("ann", locale="en")
    reg = registration_data(session, ann, "waitlisted", waitlist_position=2)
    facts = [
        ("registration.waitlisted", {}, "Waiting list", "position 2"),
        (
            "registration.promoted",
            {"status": "pending", "pending_validations": ["registration"], "version": 2},
            "A seat has freed up",
            "the registration manager's validation",
        ),
        (
            "registration.refused",
            {"status": "refused", "reason": "Prerequisites missing", "version": 3},
            "Registration refused",
            "Prerequisites missing",
        ),
    ]
    for type_, changes, subject, body in facts:
        await running.publish(envelope(type_, {**reg, **changes}))
        mail = await mail_to(running, ann, subject)
        assert body in mail.text(), mail.text()
    other = registration_data(session, ann, "expired", version=2)
    await running.publish(envelope("registration.expired", other))
    assert "was not confirmed in time" in (await mail_to(running, ann, "expired")).text()
    third = registration_data(session, ann, "cancelled", reason="session_deleted", version=2)
    await running.publish(envelope("registration.cancelled", third))
    assert "withdrawn" in (await mail_to(running, ann, "Registration cancelled")).text()
    kinds = {m["kind"] for m in await inbox_of(running, ann["id"])}
    assert kinds == {
        "registration.waitlisted",
        "registration.promoted",
        "registration.refused",
        "registration.expired",
        "registration.cancelled",
    }


async def test_a_stale_event_does_not_overwrite_the_roster_nor_tell_old_news(
    running: Running,
) -> None:
    session = await announce_session(running)
    bob = learner("bob")
    reg = registration_data(session, bob, "confirmed", version=3)
    newer = envelope("registration.confirmed", reg)
    await running.publish(newer)
    await handled(running, "notification.registrations", newer["id"])
    stale = envelope(
        "registration.waitlisted",
        {**reg, "status": "waitlisted", "waitlist_position": 1, "version": 2},
    )
    await running.publish(stale)
    await handled(running, "notification.registrations", stale["id"])
    assert [m["kind"] for m in await inbox_of(running, bob["id"])] == ["registration.confirmed"]
    manager = running.auth("m-1", roles=["training_manager"], organizations=[ORG])
    response = await running.http.post(
        "/api/messages",
        json={"session_id": session["id"], "subject": "Hi", "body": "b", "channels": ["internal"]},
        headers=manager,
    )
    assert response.status_code == 202, response.text
    assert response.json()["recipients"] == 1  # still confirmed


async def test_the_confirmation_link_comes_from_the_command_and_validators_follow(
    running: Running,
) -> None:
    session = await announce_session(running, validators=["val-a", "val-b"])
    chloe = learner("chloe")
    reg = registration_data(session, chloe, "pending", pending_validations=["user", "validator"])
    requested = envelope("registration.requested", reg)
    await running.publish(requested)
    token = "tok_" + uuid.uuid4().hex
    command = envelope(
        "notification.send_confirmation",
        {
            "registration": reg,
            "token": token,
            "expires_at": (NOW + timedelta(hours=72)).isoformat(),
        },
    )
    await running.publish(command, command=True)
    await running.publish(command, command=True)  # redelivered: still one email

    mail = await mail_to(running, chloe, "Confirmez votre inscription")
    link = f"{PUBLIC_URL}/confirm?registration={reg['id']}&token={token}"
    assert link in mail.text()
    assert link.replace("&", "&amp;") in mail.text("text/html")
    assert "13 janvier 2027" in mail.text()  # the deadline
    await handled(running, "notification.registrations", requested["id"])
    # the request awaited the learner: the command told it, the event did not tell it again
    assert [m["kind"] for m in await inbox_of(running, chloe["id"])] == [
        "registration.confirmation_requested"
    ]
    assert await inbox_of(running, "val-a") == []  # the learner has not confirmed yet

    validated = {**reg, "pending_validations": ["validator"], "version": 2, "step": "user"}
    await running.publish(envelope("registration.validated", validated))
    for validator in ("val-a", "val-b"):

        async def told(validator: str = validator) -> list[dict[str, Any]]:
            return [
                m
                for m in await inbox_of(running, validator)
                if m["ref"]["registration_id"] == reg["id"]
            ]

        messages = await eventually(told, what=f"{validator}'s inbox message")
        assert messages[0]["kind"] == "registration.awaits_validation"
        assert "Chloe" in messages[0]["body"]
    assert len(running.mail.to(chloe["email"])) == 1
    admin = running.auth("admin", roles=["platform_admin"])
    log = (await running.http.get(f"/api/deliveries?user_id={chloe['id']}", headers=admin)).json()
    (logged,) = [d for d in log["items"] if d["kind"] == "registration.confirmation_requested"]
    assert token not in logged["body"]  # the token is the learner's alone
    assert f"registration={reg['id']}&token=[redacted]" in logged["body"]


async def test_a_cancelled_session_tells_its_learners_once(running: Running) -> None:
    session = await announce_session(running)
    dan, eve, fay = learner("dan"), learner("eve"), learner("fay")
    dan_reg = registration_data(session, dan, "confirmed")
    await running.publish(envelope("registration.confirmed", dan_reg))
    await running.publish(
        envelope(
            "registration.waitlisted",
            registration_data(session, eve, "waitlisted", waitlist_position=1),
        )
    )
    fay_event = envelope(
        "registration.cancelled", registration_data(session, fay, "cancelled", reason="by learner")
    )
    await running.publish(fay_event)
    await handled(running, "notification.registrations", fay_event["id"])
    await mail_to(running, dan, "Inscription confirmée")

    cancelled = {
        **session,
        "status": "cancelled",
        "cancel_reason": "Formateur absent",
        "version": 2,
    }
    await running.publish(envelope("catalog.session.cancelled", cancelled))
    for user in (dan, eve):
        mail = await mail_to(running, user, "Session annulée")
        assert "Formateur absent" in mail.text()
    # registration then ends each registration with the session: the same fact, not told again
    ended = envelope(
        "registration.cancelled",
        {**dan_reg, "status": "cancelled", "reason": "session_cancelled", "version": 2},
    )
    await running.publish(ended)
    await handled(running, "notification.registrations", ended["id"])
    assert [m["kind"] for m in await inbox_of(running, dan["id"])] == [
        "session.cancelled",
        "registration.confirmed",
    ]
    assert (
        running.mail.matching(lambda m: fay["email"] in m.rcpt_tos and "Session" in m.subject) == []
    )


async def test_new_dates_reach_the_learners_with_an_updated_invitation(running: Running) -> None:
    session = await announce_session(running)
    gus = learner("gus", locale="en")
    await running.publish(
        envelope("registration.confirmed", registration_data(session, gus, "confirmed"))
    )
    await mail_to(running, gus, "Registration confirmed")
    renamed = {**session, "title": "Gestes et postures (v2)", "version": 2}
    await running.publish(envelope("catalog.session.updated", renamed))
    moved = {**renamed, "start_date": "2027-04-05", "end_date": "2027-04-06", "version": 3}
    await running.publish(envelope("catalog.session.updated", moved))
    mail = await mail_to(running, gus, "New dates")
    assert "from 5 April 2027 to 6 April 2027" in mail.text()
    assert "instead of from 1 March 2027 to 3 March 2027" in mail.text()
    ics = mail.raw("text/calendar")
    assert "DTSTART;VALUE=DATE:20270405\r\n" in ics
    assert "SEQUENCE:3\r\n" in ics
    assert (
        len(
            running.mail.matching(lambda m: gus["email"] in m.rcpt_tos and "New dates" in m.subject)
        )
        == 1
    )


async def test_event_registration_facts_carry_the_events_times(running: Running) -> None:
    session = await announce_session(running)
    hal = learner("hal")
    await running.publish(
        envelope("registration.confirmed", registration_data(session, hal, "confirmed"))
    )
    event = {
        "id": str(uuid.uuid4()),
        "session_id": session["id"],
        "training_id": session["training_id"],
        "title": "Atelier pratique",
        "start": "2027-03-01T09:00:00+01:00",
        "end": "2027-03-01T12:00:00+01:00",
        "location": "Salle 4",
        "version": 1,
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
    }
    await running.publish(envelope("catalog.event.created", event))
    base = {
        "id": str(uuid.uuid4()),
        "event_id": event["id"],
        "session_id": session["id"],
        "user_id": hal["id"],
        "status": "registered",
        "version": 1,
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
    }
    await running.publish(envelope("event_registration.registered", base))  # no user: the contact
    mail = await mail_to(running, hal, "Inscrit(e) à la séance")
    assert "1er mars 2027 à 09:00 (UTC+01:00)" in mail.text()
    ics = mail.raw("text/calendar")
    assert "DTSTART:20270301T080000Z\r\n" in ics
    assert "DTEND:20270301T110000Z\r\n" in ics
    cancelled = {**base, "status": "cancelled", "version": 2, "user": hal}
    await running.publish(envelope("event_registration.cancelled", cancelled))
    mail = await mail_to(running, hal, "Inscription à la séance annulée")
    assert mail.part("text/calendar").get_param("method") == "CANCEL"  # type: ignore[union-attr]


# --- the APIs and their refusals ------------------------------------------------------------


async def test_messages_to_a_session_and_their_rights(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running)
    ivy, jon, kim = learner("ivy"), learner("jon"), learner("kim")
    last = None
    for user, status in ((ivy, "confirmed"), (jon, "confirmed"), (kim, "pending")):
        extra = {"pending_validations": ["registration"]} if status == "pending" else {}
        last = envelope(
            f"registration.{'requested' if status == 'pending' else status}",
            registration_data(session, user, status, **extra),
        )
        await running.publish(last)
    assert last is not None
    await handled(running, "notification.registrations", last["id"])

    manager = running.auth("mgr", name="Marie", roles=["training_manager"], organizations=[ORG])
    other_manager = running.auth("mgr-2", roles=["training_manager"], organizations=[ORG])
    tutor = running.auth("tutor-1")
    stranger_manager = running.auth("mgr-x", roles=["training_manager"], organizations=["other"])
    admin = running.auth("admin", roles=["platform_admin"])
    body = {
        "session_id": session["id"],
        "subject": "Salle changée",
        "body": "Rendez-vous <salle 3>.",
        "channels": ["internal", "email"],
    }

    assert (await running.http.post("/api/messages", json=body)).status_code == 401
    for refused in (running.auth(ivy["id"]), stranger_manager, running.auth("tutor-2")):
        response = await running.http.post("/api/messages", json=body, headers=refused)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
    unknown = {**body, "session_id": str(uuid.uuid4())}
    assert (
        await running.http.post("/api/messages", json=unknown, headers=manager)
    ).status_code == 404
    for channels in (["sms"], [], ["email", "internal"], ["email", "email"], "email"):
        response = await running.http.post(
            "/api/messages", json={**body, "channels": channels}, headers=manager
        )
        assert response.status_code == 422, channels
        assert response.json()["errors"]
    for bad in ({"audience": "everyone"}, {"subject": " "}, {"body": ""}):
        response = await running.http.post("/api/messages", json={**body, **bad}, headers=manager)
        assert response.status_code == 422, bad

    sent = await running.http.post("/api/messages", json=body, headers=manager)
    assert sent.status_code == 202, sent.text
    assert sent.json()["recipients"] == 2
    message_id = sent.json()["id"]
    to_all = await running.http.post(
        "/api/messages", json={**body, "audience": "all", "channels": ["internal"]}, headers=tutor
    )
    assert to_all.status_code == 202
    assert to_all.json()["recipients"] == 3
    email_only = await running.http.post(
        "/api/messages", json={**body, "channels": ["email"]}, headers=admin
    )
    assert email_only.status_code == 202

    mail = await mail_to(running, ivy, "Salle changée")
    assert "Rendez-vous <salle 3>." in mail.text()
    assert "Rendez-vous &lt;salle 3&gt;." in mail.text("text/html")

    async def all_sent() -> dict[str, Any] | None:
        report = (await running.http.get(f"/api/messages/{message_id}", headers=manager)).json()
        return report if report["deliveries"]["sent"] == 2 else None

    report = await eventually(all_sent, what="both emails sent")
    assert report["recipients"] == 2
    assert report["internal"] == 2
    assert report["deliveries"] == {"pending": 0, "sent": 2, "captured": 0, "failed": 0}
    for reader in (other_manager, admin):
        assert (
            await running.http.get(f"/api/messages/{message_id}", headers=reader)
        ).status_code == 200
    for reader in (tutor, running.auth(ivy["id"]), stranger_manager):
        assert (
            await running.http.get(f"/api/messages/{message_id}", headers=reader)
        ).status_code == 403
    assert (
        await running.http.get(f"/api/messages/{to_all.json()['id']}", headers=tutor)
    ).status_code == 200
    assert (
        await running.http.get(f"/api/messages/{uuid.uuid4()}", headers=manager)
    ).status_code == 404
    assert (await running.http.get(f"/api/messages/{message_id}")).status_code == 401
    report = (
        await running.http.get(f"/api/messages/{email_only.json()['id']}", headers=admin)
    ).json()
    assert report["internal"] == 0
    assert (
        await count_rows(database, tables.messages, session_message_id=uuid.UUID(message_id)) == 2
    )


async def test_the_email_log_is_for_platform_admins(running: Running) -> None:
    session = await announce_session(running)
    liz = learner("liz")
    await running.publish(
        envelope("registration.confirmed", registration_data(session, liz, "confirmed"))
    )
    await mail_to(running, liz, "Inscription confirmée")
    admin = running.auth("admin", roles=["platform_admin"])

    async def logged() -> dict[str, Any] | None:
        page = (
            await running.http.get(
                f"/api/deliveries?user_id={liz['id']}&status=sent", headers=admin
            )
        ).json()
        return page if page["total"] == 1 else None

    page = await eventually(logged, what="the sent email in the log")
    item = page["items"][0]
    assert item["recipient"] == liz["email"]
    assert item["subject"].startswith("Inscription confirmée")
    assert item["status"] == "sent"
    assert item["attempts"] == 1
    assert item["last_error"] is None
    assert item["kind"] == "registration.confirmed"
    assert item["calendar"] is True
    by_kind = (
        await running.http.get(
            f"/api/deliveries?user_id={liz['id']}&kind=session.message", headers=admin
        )
    ).json()
    assert by_kind == {"items": [], "total": 0}
    assert (await running.http.get("/api/deliveries?status=lost", headers=admin)).status_code == 422
    assert (
        await running.http.get("/api/deliveries?sort=recipient", headers=admin)
    ).status_code == 422
    for refused in (
        running.auth(liz["id"]),
        running.auth("m", roles=["training_manager"], organizations=[ORG]),
    ):
        assert (await running.http.get("/api/deliveries", headers=refused)).status_code == 403
    assert (await running.http.get("/api/deliveries")).status_code == 401


async def test_the_inbox_is_ones_own(running: Running) -> None:
    session = await announce_session(running)
    max_, nia = learner("max"), learner("nia")
    for user in (max_, nia):
        await running.publish(
            envelope("registration.confirmed", registration_data(session, user, "confirmed"))
        )

    async def one(user: dict[str, Any]) -> list[dict[str, Any]]:
        return await inbox_of(running, user["id"])

    mine = (await eventually(lambda: one(max_), what="max's message"))[0]
    await eventually(lambda: one(nia), what="nia's message")
    page = (await running.http.get("/api/inbox", headers=running.auth(max_["id"]))).json()
    assert page["total"] == 1
    assert page["unread"] == 1
    assert (
        await running.http.post(f"/api/inbox/{mine['id']}/read", headers=running.auth(nia["id"]))
    ).status_code == 403
    assert (
        await running.http.post(f"/api/inbox/{uuid.uuid4()}/read", headers=running.auth(nia["id"]))
    ).status_code == 404
    assert (await running.http.post(f"/api/inbox/{mine['id']}/read")).status_code == 401
    read = await running.http.post(
        f"/api/inbox/{mine['id']}/read", headers=running.auth(max_["id"])
    )
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    page = (
        await running.http.get("/api/inbox?unread=true", headers=running.auth(max_["id"]))
    ).json()
    assert page == {"items": [], "total": 0, "unread": 0}


# --- the sender: retries, bounds, outages ---------------------------------------------------


@pytest.fixture
async def lone_database(servers: Any) -> Any:
    """A database no running service sends from: the test drives the sender itself."""

    from shared.migrations import upgrade_to_head
    from testsupport.infra import create_database, drop_databases, unique_name

    name = unique_name("notifsend")
    url = await create_database(servers, name)
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = make_engine(url, pool_size=2, max_overflow=2)
    yield make_sessionmaker(engine)
    await engine.dispose()
    await drop_databases(servers, name)


async def _pending_email(sessions: async_sessionmaker[AsyncSession], address: str) -> uuid.UUID:
    delivery_id = uuid.uuid4()
    async with transaction(sessions) as db:
        await store.add_delivery(
            db,
            {
                "id": delivery_id,
                "delivery_key": f"test:{delivery_id}:email",
                "user_id": "u",
                "recipient": address,
                "kind": "test",
                "subject": "Essai",
                "text_body": "texte",
                "html_body": "<p>texte</p>",
                "status": "pending",
            },
        )
    return delivery_id


async def _delivery(sessions: async_sessionmaker[AsyncSession], delivery_id: uuid.UUID) -> Any:
    async with sessions() as db:
        query = select(tables.deliveries).where(tables.deliveries.c.id == delivery_id)
        return (await db.execute(query)).mappings().one()


async def test_a_failing_email_ends_failed_after_the_bounded_attempts(lone_database: Any) -> None:
    nowhere = f"smtp://127.0.0.1:{free_port()}"
    sender = DeliverySender(
        lone_database,
        SmtpTransport(parse_smtp_url(nowhere), timeout=5),
        RetryPolicy(max_attempts=3, base=0.05, cap=0.1),
        sender_address="no-reply@training.local",
    )
    delivery_id = await _pending_email(lone_database, "a@example.org")

    async def ended() -> Any:
        await sender.send_due()
        row = await _delivery(lone_database, delivery_id)
        return row if row["status"] == "failed" else None

    row = await eventually(ended, what="the email to end failed")
    assert row["attempts"] == 3
    assert "ConnectionRefused" in row["last_error"] or "connect" in row["last_error"].lower()
    await sender.send_due()
    assert (await _delivery(lone_database, delivery_id))["attempts"] == 3  # no more tries


async def test_an_email_waits_out_an_smtp_outage(lone_database: Any) -> None:
    server = MailServer()  # not started yet: the outage
    sender = DeliverySender(
        lone_database,
        SmtpTransport(parse_smtp_url(server.url), timeout=5),
        RetryPolicy(max_attempts=50, base=0.05, cap=0.2),
        sender_address="Formation <no-reply@training.local>",
        poll_interval=0.1,
    )
    async with sender.running():
        delivery_id = await _pending_email(lone_database, "b@example.org")

        async def tried() -> Any:
            row = await _delivery(lone_database, delivery_id)
            return row if row["attempts"] >= 1 else None

        row = await eventually(tried, what="a failed attempt")
        assert row["status"] == "pending"
        assert row["last_error"]
        await server.astart()
        try:
            mail = await server.wait_for(lambda m: "b@example.org" in m.rcpt_tos)
            assert mail.subject == "Essai"
            assert mail.message["Message-ID"] == f"<{delivery_id}@notification.training>"

            async def sent() -> Any:
                row = await _delivery(lone_database, delivery_id)
                return row if row["status"] == "sent" else None

            row = await eventually(sent, what="the delivery marked sent")
            assert row["sent_at"] is not None
        finally:
            await server.astop()


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://mail.local:2525")
    assert (plain.hostname, plain.port, plain.use_tls, plain.username) == (
        "mail.local",
        2525,
        False,
        None,
    )
    secure = parse_smtp_url("smtps://bot%40x.org:p%3Ass@smtp.x.org")
    assert (secure.port, secure.use_tls, secure.username, secure.password) == (
        465,
        True,
        "bot@x.org",
        "p:ss",
    )
    with pytest.raises(ValueError, match="smtp"):
        parse_smtp_url("http://x")


async def test_the_migrations_build_the_tables_the_code_uses(notification_database: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(notification_database, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), tables.metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []
