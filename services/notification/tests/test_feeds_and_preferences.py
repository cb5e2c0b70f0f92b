"""Integration: a person's calendar feed, email preferences and one-click unsubscribe, on the real
PostgreSQL, RabbitMQ and aiosmtpd; the facts published onto the bus as their producers would."""

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest
from notification import tables

from testsupport.mailbox import Mail
from testsupport.waiting import eventually

from .conftest import PUBLIC_URL, Running
from .ics_checks import parse_strictly
from .test_service import (
    ORG,
    announce_session,
    envelope,
    handled,
    inbox_of,
    learner,
    mail_to,
    registration_data,
)

pytestmark = pytest.mark.integration

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)


async def announce_event(
    running: Running, session: dict[str, Any], title: str, start: datetime, **changes: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "session_id": session["id"],
        "training_id": session["training_id"],
        "title": title,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=3)).isoformat(),
        "location": "Salle 4",
        "version": 1,
        "created_at": SOON.isoformat(),
        "updated_at": SOON.isoformat(),
        **changes,
    }
    await publish_event(running, event)
    return event


async def publish_event(running: Running, event: dict[str, Any]) -> None:
    kind = "catalog.event.updated" if event["version"] > 1 else "catalog.event.created"
    published = envelope(kind, event)
    await running.publish(published)
    await handled(running, "notification.events", published["id"])


async def place(running: Running, event: dict[str, Any], user: dict[str, Any], status: str) -> None:
    data = {
        "id": str(uuid.uuid4()),
        "event_id": event["id"],
        "session_id": event["session_id"],
        "user_id": user["id"],
        "status": status,
        "version": 1,
        "created_at": SOON.isoformat(),
        "updated_at": SOON.isoformat(),
        "user": user,
    }
    published = envelope(f"event_registration.{status}", data)
    await running.publish(published)
    await handled(running, "notification.event-registrations", published["id"])


async def feed_url(running: Running, user_id: str) -> str:
    response = await running.http.get("/api/calendar", headers=running.auth(user_id))
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    return url


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC_URL)
    return url.removeprefix(PUBLIC_URL)


def events_in(response: httpx.Response) -> dict[str, icalendar.cal.Component]:
    """The feed's events by summary, read by a real iCalendar parser once the text has passed
    the strict reading of RFC 5545's lines and nesting."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    strict = parse_strictly(response.text)
    assert "METHOD" not in strict.properties  # a subscription, not an invitation
    assert {child.name for child in strict.children} <= {"VEVENT"}
    events = icalendar.Calendar.from_ical(response.text).walk("VEVENT")
    for event in events:
        assert {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} <= set(event)
    return {str(event["SUMMARY"]): event for event in events}


def assert_404(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "/" not in response.json()["detail"]  # it names nothing, the secret least


async def test_a_feed_holds_its_owners_events_current_at_every_fetch(running: Running) -> None:
    tutor = f"tutor-{uuid.uuid4().hex[:6]}"
    session = await announce_session(running, tutors=[tutor], title="Sécurité, incendie")
    other_session = await announce_session(running)
    ada, bob = learner("ada"), learner("bob")
    theirs = await announce_event(running, session, "Théorie; partie 1", SOON)
    waitlisted = await announce_event(running, session, "Pratique", SOON + timedelta(days=1))
    long_ago = await announce_event(running, session, "Ouverture", SOON - timedelta(days=110))
    recent = await announce_event(running, session, "Accueil", SOON - timedelta(days=40))
    elsewhere = await announce_event(running, other_session, "Ailleurs", SOON)
    await place(running, theirs, ada, "registered")
    await place(running, waitlisted, ada, "waitlisted")
    await place(running, long_ago, ada, "registered")
    await place(running, recent, ada, "registered")
    await place(running, elsewhere, bob, "registered")

    url = await feed_url(running, ada["id"])
    assert url.startswith(f"{PUBLIC_URL}/calendar/")
    assert url.endswith(".ics")
    assert await feed_url(running, ada["id"]) == url  # the same until rotated
    first = await running.http.get(path_of(url))  # no token: the secret is the credential
    found = events_in(first)
    assert set(found) == {"Théorie; partie 1", "Accueil"}
    event = found["Théorie; partie 1"]
    assert str(event["UID"]) == f"feed-event-{theirs['id']}@training"
    assert event.decoded("DTSTART") == SOON
    assert event.decoded("DTEND") == SOON + timedelta(hours=3)
    assert str(event["DESCRIPTION"]) == "Sécurité, incendie"
    assert str(event["LOCATION"]) == "Salle 4"
    assert first.headers["cache-control"] == "private, no-cache"
    assert first.headers["referrer-policy"] == "no-referrer"

    etag = first.headers["etag"]
    head = await running.http.head(path_of(url))  # some clients ask before they fetch
    assert (head.status_code, head.headers["etag"], head.content) == (200, etag, b"")
    assert head.headers["content-type"].startswith("text/calendar")
    again = await running.http.get(path_of(url), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    await publish_event(running, {**theirs, "location": "Salle 9", "version": 2})
    changed = await running.http.get(path_of(url), headers={"If-None-Match": etag})
    assert changed.headers["etag"] != etag
    assert str(events_in(changed)["Théorie; partie 1"]["LOCATION"]) == "Salle 9"

    tutors = events_in(await running.http.get(path_of(await feed_url(running, tutor))))
    assert set(tutors) == {"Théorie; partie 1", "Pratique", "Accueil"}
    assert set(events_in(await running.http.get(path_of(await feed_url(running, bob["id"]))))) == {
        "Ailleurs"
    }


async def test_a_rotated_feed_url_is_dead_and_a_wrong_one_is_404(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="access")
    user = f"cal-{uuid.uuid4().hex[:6]}"
    old = await feed_url(running, user)
    rotated = await running.http.post("/api/calendar/rotate", headers=running.auth(user))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["url"]
    assert new != old
    assert await feed_url(running, user) == new
    assert_404(await running.http.get(path_of(old)))
    assert events_in(await running.http.get(path_of(new))) == {}
    made_up = "A" * 43
    for wrong in (made_up, "short", made_up + "B", "a.b"):
        assert_404(await running.http.get(f"/calendar/{wrong}.ics"))
    assert (await running.http.get("/api/calendar")).status_code == 401
    assert (await running.http.post("/api/calendar/rotate")).status_code == 401
    # the service's access log names the paths without their secret
    logged = [r.getMessage() for r in caplog.records if r.name == "access"]
    assert "POST /api/calendar/rotate 200" in " ".join(logged)
    assert len([line for line in logged if line.startswith("GET /calendar/*** ")]) == 6
    assert not [line for line in logged if path_of(old) in line or path_of(new) in line]


async def test_preferences_default_to_everything_and_take_only_booleans(running: Running) -> None:
    me = running.auth(f"pref-{uuid.uuid4().hex[:6]}")
    everything = {"email": {"reminders": True, "messages": True, "changes": True}}
    assert (await running.http.get("/api/preferences", headers=me)).json() == everything
    chosen = {"email": {"reminders": False, "messages": True, "changes": False}}
    response = await running.http.put("/api/preferences", json=chosen, headers=me)
    assert response.status_code == 200, response.text
    assert response.json() == chosen
    assert (await running.http.get("/api/preferences", headers=me)).json() == chosen
    for bad in (
        {},
        {"email": {"reminders": False, "messages": True}},
        {"email": {**chosen["email"], "sms": True}},
        {"email": {**chosen["email"], "messages": "false"}},
        {"email": {**chosen["email"], "messages": 0}},
        {"email": {**chosen["email"], "messages": None}},
        {**chosen, "push": {}},
        {"email": True},
    ):
        response = await running.http.put("/api/preferences", json=bad, headers=me)
        assert response.status_code == 422, bad
        assert response.json()["errors"]
    assert (await running.http.get("/api/preferences", headers=me)).json() == chosen
    assert (await running.http.get("/api/preferences")).status_code == 401


async def confirmed_learners(running: Running, *users: dict[str, Any]) -> dict[str, Any]:
    """A session the users are confirmed to, once each has had the confirmation's email."""
    session = await announce_session(running)
    for user in users:
        fact = envelope("registration.confirmed", registration_data(session, user, "confirmed"))
        await running.publish(fact)
        confirmed = {"fr": "Inscription confirmée", "en": "Registration confirmed"}
        mail = await mail_to(running, user, confirmed[user["locale"]])
        assert mail.message["List-Unsubscribe"] is None  # a registration fact: no way out
        assert mail.message["List-Unsubscribe-Post"] is None
    return session


async def post_message(running: Running, session: dict[str, Any], subject: str) -> str:
    manager = running.auth("mgr", name="Marie", roles=["training_manager"], organizations=[ORG])
    body = {
        "session_id": session["id"],
        "subject": subject,
        "body": "La séance a lieu en salle 3.",
        "channels": ["internal", "email"],
    }
    response = await running.http.post("/api/messages", json=body, headers=manager)
    assert response.status_code == 202, response.text
    message_id: str = response.json()["id"]
    return message_id


async def logged(running: Running, user: dict[str, Any], status: str) -> list[dict[str, Any]]:
    admin = running.auth("admin", roles=["platform_admin"])
    query = f"/api/deliveries?user_id={user['id']}&status={status}&kind=session.message"

    async def found() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = (await running.http.get(query, headers=admin)).json()["items"]
        return items or None

    return await eventually(found, what=f"a {status} message email of {user['id']}")


def unsubscribe_path(mail: Mail) -> str:
    header = str(mail.message["List-Unsubscribe"])
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header.startswith(f"<{PUBLIC_URL}/unsubscribe/")
    assert header.endswith(">")
    return path_of(header[1:-1])


async def test_a_message_turned_off_is_logged_suppressed_and_not_sent(running: Running) -> None:
    ivy, jon = learner("ivy"), learner("jon")
    session = await confirmed_learners(running, ivy, jon)
    off = {"email": {"reminders": True, "messages": False, "changes": True}}
    response = await running.http.put("/api/preferences", json=off, headers=running.auth(ivy["id"]))
    assert response.status_code == 200
    subject = f"Salle changée {uuid.uuid4().hex[:6]}"
    await post_message(running, session, subject)

    mail = await mail_to(running, jon, subject)
    unsubscribe_path(mail)  # an optional email: its one-click way out
    (suppressed,) = await logged(running, ivy, "suppressed")
    assert suppressed["category"] == "messages"
    assert suppressed["attempts"] == 0
    assert suppressed["sent_at"] is None
    assert [m for m in running.mail.to(ivy["email"]) if subject in m.subject] == []
    assert [m["subject"] for m in await inbox_of(running, ivy["id"])].count(subject) == 1


async def test_one_click_unsubscribe_turns_off_the_next_message_not_a_fact(
    running: Running,
) -> None:
    kim = learner("kim", locale="en")
    session = await confirmed_learners(running, kim)
    first = f"Room changed {uuid.uuid4().hex[:6]}"
    await post_message(running, session, first)
    path = unsubscribe_path(await mail_to(running, kim, first))

    page = await running.http.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<form method="post">' in page.text
    assert "<button" in page.text
    assert "Unsubscribe" in page.text
    assert "messages from the managers of your sessions" in page.text
    me = running.auth(kim["id"])
    assert (await running.http.get("/api/preferences", headers=me)).json()["email"]["messages"]

    done = await running.http.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200, done.text
    assert "You are unsubscribed" in done.text
    chosen = (await running.http.get("/api/preferences", headers=me)).json()["email"]
    assert chosen == {"reminders": True, "messages": False, "changes": True}
    assert (await running.http.post(path)).status_code == 200  # again: still off

    second = f"Room changed again {uuid.uuid4().hex[:6]}"
    await post_message(running, session, second)
    (suppressed,) = await logged(running, kim, "suppressed")
    assert suppressed["subject"].startswith(second)
    other = await announce_session(running, title="Premiers secours")
    await running.publish(
        envelope("registration.confirmed", registration_data(other, kim, "confirmed"))
    )
    fact = await mail_to(running, kim, "Premiers secours")
    assert fact.message["List-Unsubscribe"] is None
    assert [m for m in running.mail.to(kim["email"]) if second in m.subject] == []

    made_up = "A" * 43
    for wrong in (made_up, "x", path.rsplit("/", 1)[1] + "x"):
        assert_404(await running.http.get(f"/unsubscribe/{wrong}"))
        assert_404(await running.http.post(f"/unsubscribe/{wrong}"))


async def test_the_unsubscribe_page_speaks_french_to_a_french_learner(running: Running) -> None:
    eva = learner("eva")
    session = await confirmed_learners(running, eva)
    subject = f"Horaires {uuid.uuid4().hex[:6]}"
    await post_message(running, session, subject)
    page = await running.http.get(unsubscribe_path(await mail_to(running, eva, subject)))
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Me désabonner" in page.text


async def test_only_hashes_of_the_secrets_are_stored(running: Running, database: Any) -> None:
    user = f"hash-{uuid.uuid4().hex[:6]}"
    secret = path_of(await feed_url(running, user)).removeprefix("/calendar/").removesuffix(".ics")
    async with database() as db:
        stored = (
            await db.execute(
                tables.calendar_feeds.select().where(tables.calendar_feeds.c.user_id == user)
            )
        ).one()
    assert secret not in str(tuple(stored))
    assert len(secret) == 43  # 256 bits, URL-safe base64
