"""Integration: change notices through the real consumers (PostgreSQL, RabbitMQ, aiosmtpd): an
event moved or given another place tells its registered learners, old and new, with an updated
invitation (the UID of the one they got, a higher SEQUENCE); a deleted event, a cancelled session,
an ended registration take the learner's events out of their calendar (METHOD:CANCEL)."""

import uuid
from typing import Any

import pytest
from notification import tables
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from testsupport.mailbox import Mail

from .conftest import Running
from .ics_checks import Component, parse_strictly
from .test_service import (
    NOW,
    announce_session,
    count_rows,
    envelope,
    handled,
    inbox_of,
    learner,
    mail_to,
    registration_data,
)

pytestmark = pytest.mark.integration


def event_data(session: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
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
    data.update(changes)
    return data


def _vevent(mail: Mail) -> tuple[str, Component]:
    calendar = parse_strictly(mail.raw("text/calendar"))
    return calendar.value("METHOD"), calendar.only("VEVENT")


async def _registered(
    running: Running, session: dict[str, Any], event: dict[str, Any], user: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], Component]:
    """The learner confirmed to the session and registered to the event: their registration,
    their place at the event and the invitation they got."""
    registration = registration_data(session, user, "confirmed")
    await running.publish(envelope("registration.confirmed", registration))
    place = {
        "id": str(uuid.uuid4()),
        "event_id": event["id"],
        "session_id": session["id"],
        "user_id": user["id"],
        "status": "registered",
        "version": 2,  # waitlisted, then promoted: past the event's version
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
        "user": user,
    }
    await running.publish(envelope("event_registration.registered", place))
    subject = "Registered for the event" if user["locale"] == "en" else "Inscrit(e) à la séance"
    method, invitation = _vevent(await mail_to(running, user, subject))
    assert method == "REQUEST"
    return registration, place, invitation


async def _event(running: Running, session: dict[str, Any], **changes: Any) -> dict[str, Any]:
    event = event_data(session, **changes)
    created = envelope("catalog.event.created", event)
    await running.publish(created)
    await handled(running, "notification.events", created["id"])
    return event


def _replaces(vevent: Component, sent: Component) -> None:
    assert vevent.value("UID") == sent.value("UID")
    assert int(vevent.value("SEQUENCE")) > int(sent.value("SEQUENCE"))


async def test_a_moved_event_tells_its_learners_old_and_new_with_an_updated_invitation(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running)
    event = await _event(running, session)
    ada, ben = learner("ada", locale="en"), learner("ben")
    *_, ada_sent = await _registered(running, session, event, ada)
    *_, ben_sent = await _registered(running, session, event, ben)

    moved = {
        **event,
        "start": "2027-03-02T14:00:00+01:00",
        "end": "2027-03-02T17:30:00+01:00",
        "version": 2,
    }
    updated = envelope("catalog.event.updated", moved)
    await running.publish(updated)
    await running.publish(updated)  # redelivered: told once

    mail = await mail_to(running, ada, "Event moved: Atelier pratique")
    text = mail.text()
    assert "It now takes place on 2 March 2027, 14:00 \u2013 17:30 (UTC+01:00)" in text
    assert "(instead of 1 March 2027, 09:00 \u2013 12:00 (UTC+01:00))" in text
    method, vevent = _vevent(mail)
    assert method == "REQUEST"
    _replaces(vevent, ada_sent)
    assert vevent.value("DTSTART") == "20270302T130000Z"
    assert vevent.value("DTEND") == "20270302T163000Z"
    french = (await mail_to(running, ben, "Séance déplacée : Atelier pratique")).text()
    assert "2 mars 2027, 14\u00a0h\u00a000 \u2013 17\u00a0h\u00a030 (UTC+01:00)" in french
    _replaces(_vevent(await mail_to(running, ben, "Séance déplacée"))[1], ben_sent)
    kinds = [message["kind"] for message in await inbox_of(running, ada["id"])]
    assert kinds.count("event.changed") == 1

    # the same version again under another id, then an older one: nothing more
    again = envelope("catalog.event.updated", {**moved, "location": "Ailleurs"})
    stale = envelope("catalog.event.updated", {**event, "location": "Autre", "version": 1})
    for replayed in (again, stale):
        await running.publish(replayed)
        await handled(running, "notification.events", replayed["id"])
    assert (
        await count_rows(database, tables.deliveries, user_id=ada["id"], kind="event.changed") == 1
    )
    assert (
        len(running.mail.matching(lambda m: ada["email"] in m.rcpt_tos and "moved" in m.subject))
        == 1
    )


async def test_a_new_place_is_told_and_a_new_title_is_not(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running)
    event = await _event(running, session)
    cal = learner("cal")
    *_, sent = await _registered(running, session, event, cal)

    renamed = envelope("catalog.event.updated", {**event, "title": "Atelier (v2)", "version": 2})
    await running.publish(renamed)
    await handled(running, "notification.events", renamed["id"])
    assert (
        await count_rows(database, tables.deliveries, user_id=cal["id"], kind="event.changed") == 0
    )
    assert await count_rows(database, tables.messages, user_id=cal["id"], kind="event.changed") == 0

    elsewhere = {**event, "title": "Atelier (v2)", "location": "Bâtiment B", "version": 3}
    await running.publish(envelope("catalog.event.updated", elsewhere))
    mail = await mail_to(running, cal, "Séance changée de lieu")
    assert "Lieu : Bâtiment B (au lieu de : Salle 4)." in mail.text()
    method, vevent = _vevent(mail)
    assert method == "REQUEST"
    _replaces(vevent, sent)
    assert vevent.value("LOCATION") == "Bâtiment B"
    (message,) = [m for m in await inbox_of(running, cal["id"]) if m["kind"] == "event.changed"]
    assert "Bâtiment B" in message["body"]


async def test_a_deleted_event_is_cancelled_in_its_learners_calendars_once(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running)
    event = await _event(running, session)
    dan = learner("dan", locale="en")
    _, place, sent = await _registered(running, session, event, dan)

    await running.publish(envelope("catalog.event.deleted", {**event, "version": 2}))
    mail = await mail_to(running, dan, "Event cancelled: Atelier pratique")
    method, vevent = _vevent(mail)
    assert method == "CANCEL"
    assert vevent.value("STATUS") == "CANCELLED"
    _replaces(vevent, sent)

    # registration then ends the place (event_deleted): the same fact, not told again
    ended = {**place, "status": "cancelled", "reason": "event_deleted", "version": 3}
    cancelled = envelope("event_registration.cancelled", ended)
    await running.publish(cancelled)
    await handled(running, "notification.event-registrations", cancelled["id"])
    assert (
        await count_rows(database, tables.deliveries, user_id=dan["id"], kind="event.cancelled")
        == 1
    )
    assert (
        await count_rows(
            database, tables.deliveries, user_id=dan["id"], kind="event_registration.cancelled"
        )
        == 0
    )


async def test_a_cancelled_session_cancels_each_event_its_learners_had(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running)
    morning = await _event(running, session)
    afternoon = await _event(
        running,
        session,
        title="Mise en situation",
        start="2027-03-01T14:00:00+01:00",
        end="2027-03-01T17:00:00+01:00",
    )
    eve = learner("eve")
    *_, sent_morning = await _registered(running, session, morning, eve)
    place = {
        "id": str(uuid.uuid4()),
        "event_id": afternoon["id"],
        "session_id": session["id"],
        "user_id": eve["id"],
        "status": "registered",
        "version": 1,
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
    }
    await running.publish(envelope("event_registration.registered", place))
    await mail_to(running, eve, "Inscrit(e) à la séance : Mise en situation")

    cancelled = {
        **session,
        "status": "cancelled",
        "cancel_reason": "Formateur absent",
        "version": 2,
    }
    await running.publish(envelope("catalog.session.cancelled", cancelled))
    await mail_to(running, eve, "Session annulée")
    morning_mail = await mail_to(running, eve, "Séance retirée de votre agenda : Atelier pratique")
    method, vevent = _vevent(morning_mail)
    assert method == "CANCEL"
    _replaces(vevent, sent_morning)
    assert "La session « Gestes et postures » est annulée" in morning_mail.text()
    other = await mail_to(running, eve, "Séance retirée de votre agenda : Mise en situation")
    assert _vevent(other)[0] == "CANCEL"
    assert (
        await count_rows(database, tables.deliveries, user_id=eve["id"], kind="event.cancelled")
        == 2
    )


async def test_an_ended_registration_takes_its_events_out_of_the_calendar(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running)
    event = await _event(running, session)
    fay = learner("fay", locale="en")
    registration, place, sent = await _registered(running, session, event, fay)
    ended = {**registration, "status": "cancelled", "reason": "by learner", "version": 2}
    await running.publish(envelope("registration.cancelled", ended))
    mail = await mail_to(running, fay, "Event removed from your calendar: Atelier pratique")
    assert "Your registration to the session" in mail.text()
    method, vevent = _vevent(mail)
    assert method == "CANCEL"
    _replaces(vevent, sent)

    # the event moves meanwhile: a learner whose registration ended is not told
    moved = {**event, "start": "2027-03-05T09:00:00+01:00", "end": "2027-03-05T12:00:00+01:00"}
    updated = envelope("catalog.event.updated", {**moved, "version": 2})
    await running.publish(updated)
    await handled(running, "notification.events", updated["id"])
    assert (
        await count_rows(database, tables.deliveries, user_id=fay["id"], kind="event.changed") == 0
    )

    # registration's own end of the place follows: the same fact, told once
    cancelled = envelope(
        "event_registration.cancelled",
        {**place, "status": "cancelled", "reason": "registration_cancelled", "version": 3},
    )
    await running.publish(cancelled)
    await handled(running, "notification.event-registrations", cancelled["id"])
    assert (
        await count_rows(database, tables.deliveries, user_id=fay["id"], kind="event.cancelled")
        == 1
    )
    assert (
        await count_rows(
            database, tables.deliveries, user_id=fay["id"], kind="event_registration.cancelled"
        )
        == 0
    )
