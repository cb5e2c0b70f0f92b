"""Integration: notification.certificate_available fed through the real consumer (PostgreSQL,
RabbitMQ, aiosmtpd): the learner is told once per registration, with the link."""

import uuid

import pytest
from notification import tables
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .conftest import PUBLIC_URL, Running
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

KIND = "registration.certificate_available"


async def test_a_certificate_is_announced_once_per_registration_with_its_link(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await announce_session(running)
    eve = learner("eve", locale="en")
    completion = {
        "completed": True,
        "hours_attended": 14,
        "hours_total": 14,
        "rate": 100,
        "decided_at": NOW.isoformat(),
    }
    reg = registration_data(session, eve, "confirmed", completion=completion, version=4)
    certificate_id = str(uuid.uuid4())
    download = f"{PUBLIC_URL}/api/registrations/{reg['id']}/certificate"
    data = {"registration": reg, "certificate_id": certificate_id, "certificate_url": download}
    command = envelope("notification.certificate_available", data)
    again = envelope("notification.certificate_available", data)  # sent again: a new id
    await running.publish(command, command=True)
    await running.publish(command, command=True)  # redelivered
    await running.publish(again, command=True)

    mail = await mail_to(running, eve, "Your certificate is available")
    verify = f"{PUBLIC_URL}/api/certificates/{certificate_id}"
    assert download in mail.text()
    assert verify in mail.text()
    assert f'href="{download}"' in mail.text("text/html")
    assert "14 h attended out of 14 h" in mail.text()
    for taken in (command, again):
        await handled(running, "notification.confirmations", taken["id"])
    (message,) = await inbox_of(running, eve["id"])
    assert message["kind"] == KIND
    assert message["ref"]["registration_id"] == reg["id"]
    assert message["ref"]["certificate_id"] == certificate_id
    assert download in message["body"]
    assert await count_rows(database, tables.messages, user_id=eve["id"], kind=KIND) == 1
    assert await count_rows(database, tables.deliveries, user_id=eve["id"], kind=KIND) == 1
    assert len(running.mail.to(eve["email"])) == 1


async def test_a_french_learner_is_told_in_french(running: Running) -> None:
    session = await announce_session(running)
    zoe = learner("zoe")
    reg = registration_data(session, zoe, "confirmed", version=4)
    download = f"{PUBLIC_URL}/api/registrations/{reg['id']}/certificate"
    data = {"registration": reg, "certificate_id": str(uuid.uuid4()), "certificate_url": download}
    await running.publish(envelope("notification.certificate_available", data), command=True)

    mail = await mail_to(running, zoe, "Votre attestation est disponible")
    assert "« Gestes et postures »" in mail.subject
    assert download in mail.text()
    assert "Télécharger mon attestation" in mail.text("text/html")
