"""Integration: a seat offered from the waitlist, fed through the real consumer (PostgreSQL,
RabbitMQ, aiosmtpd), and how the offer ends."""

import pytest
from notification import tables
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .conftest import PUBLIC_URL, Running
from .test_service import (
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

DEADLINE = "2027-01-12T14:05:00+00:00"


async def test_an_offered_seat_reaches_the_learner_with_its_deadline_and_both_links(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running)
    ann = learner("ann", locale="en")
    reg = registration_data(session, ann, "offered", offer_expires_at=DEADLINE, version=2)
    offered = envelope("registration.offered", reg)
    await running.publish(offered)
    await running.publish(offered)  # redelivered: still told once

    mail = await mail_to(running, ann, "A seat is offered to you")
    accept = f"{PUBLIC_URL}/offer?registration={reg['id']}&answer=accept"
    decline = f"{PUBLIC_URL}/offer?registration={reg['id']}&answer=decline"
    text = mail.text()
    assert "until 12 January 2027, 14:05 (UTC+00:00)" in text
    assert accept in text
    assert decline in text
    html = mail.text("text/html")
    assert accept.replace("&", "&amp;") in html
    assert decline.replace("&", "&amp;") in html
    (message,) = await inbox_of(running, ann["id"])
    assert message["kind"] == "registration.offered"
    assert message["ref"]["registration_id"] == reg["id"]
    assert accept in message["body"]
    assert decline in message["body"]

    accepted = {**reg, "status": "confirmed", "previous_status": "offered", "version": 3}
    accepted["offer_expires_at"] = None
    await running.publish(envelope("registration.promoted", accepted))
    assert "You accepted the seat offered" in (await mail_to(running, ann, "freed up")).text()
    await handled(running, "notification.registrations", offered["id"])
    assert await count_rows(database, tables.messages, user_id=ann["id"], kind=message["kind"]) == 1
    assert len([m for m in running.mail.to(ann["email"]) if "offered to you" in m.subject]) == 1


async def test_a_declined_or_expired_offer_is_told_as_such(running: Running) -> None:
    session = await announce_session(running)
    for name, fact, reason, kind, subject, says in [
        (
            "bea",
            "registration.cancelled",
            "offer_declined",
            "registration.offer_declined",
            "Place proposée refusée",
            "qui vous était proposée dans la session « Gestes et postures »",
        ),
        (
            "cid",
            "registration.expired",
            "offer_expired",
            "registration.offer_expired",
            "Place proposée expirée",
            "n'a pas été acceptée à temps",
        ),
    ]:
        user = learner(name)
        reg = registration_data(session, user, "offered", offer_expires_at=DEADLINE, version=2)
        await running.publish(envelope("registration.offered", reg))
        assert (
            "jusqu'au 12 janvier 2027 à 14:05"
            in (await mail_to(running, user, "Une place vous est proposée")).text()
        )
        status = fact.removeprefix("registration.")
        ended = {**reg, "status": status, "reason": reason, "version": 3, "offer_expires_at": None}
        await running.publish(envelope(fact, {**ended, "previous_status": "offered"}))
        assert says in (await mail_to(running, user, subject)).text()
        kinds = {m["kind"] for m in await inbox_of(running, user["id"])}
        assert kinds == {"registration.offered", kind}
