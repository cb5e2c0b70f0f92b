"""Notification's metrics, scraped from its own `GET /metrics` while it tells facts on the real
PostgreSQL, RabbitMQ and aiosmtpd: emails by status, the SMTP exchange's duration, deliveries by
outcome, and the reminders due, late and sent late."""

import pytest
from notification.reminder_scheduler import ReminderScheduler
from notification.use_cases.notices import Letterhead
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from testsupport.metrics import sample
from testsupport.waiting import eventually

from .conftest import Running
from .test_service import announce_session, envelope, handled, learner, mail_to, registration_data
from .test_service_reminders import _due_reminders, lone_database

pytestmark = pytest.mark.integration
__all__ = ["lone_database"]  # the fixture, for the test below

QUEUE = "notification.registrations"


async def scrape(running: Running) -> str:
    response = await running.http.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_an_email_sent_and_a_duplicate_delivery_are_counted(running: Running) -> None:
    before = await scrape(running)
    session = await announce_session(running)
    lea = learner("lea")
    confirmed = envelope("registration.confirmed", registration_data(session, lea, "confirmed"))
    await running.publish(confirmed)
    await running.publish(confirmed)
    await handled(running, QUEUE, confirmed["id"])
    await mail_to(running, lea, "Inscription confirmée")

    async def counted() -> str | None:
        text = await scrape(running)
        consumed = {"service": "notification", "queue": QUEUE}
        moved = [
            sample(text, "notification_emails_total", {"status": "sent"})
            - sample(before, "notification_emails_total", {"status": "sent"}),
            sample(text, "messages_consumed_total", {**consumed, "outcome": "duplicate"})
            - sample(before, "messages_consumed_total", {**consumed, "outcome": "duplicate"}),
        ]
        return text if all(delta >= 1 for delta in moved) else None

    after = await eventually(counted, within=20, what="the email and the duplicate counted")
    duration = "notification_smtp_send_duration_seconds_count"
    assert sample(after, duration) > sample(before, duration)
    consumed = {"service": "notification", "queue": QUEUE, "outcome": "handled"}
    assert sample(after, "messages_consumed_total", consumed) > sample(
        before, "messages_consumed_total", consumed
    )
    assert lea["id"] not in after
    assert lea["email"] not in after


class _Behind(ReminderScheduler):
    """A scheduler that has not caught up: its rounds send nothing."""

    async def send_due(self) -> int:
        return 0


async def test_the_reminders_left_due_are_measured(
    lone_database: async_sessionmaker[AsyncSession],
) -> None:
    await _due_reminders(lone_database, 3, in_seconds=-5)
    scheduler = _Behind(lone_database, Letterhead())
    async with lone_database() as db:
        await scheduler.measure(db)
        # read before anything else runs: another scheduler in this process sets them too
        due = REGISTRY.get_sample_value("notification_reminders_due")
        late = REGISTRY.get_sample_value("notification_reminders_late_seconds")
    assert due == 3
    assert late is not None
    assert late >= 5

    lateness = "notification_reminder_lateness_seconds"
    count_before = REGISTRY.get_sample_value(f"{lateness}_count") or 0.0
    sum_before = REGISTRY.get_sample_value(f"{lateness}_sum") or 0.0
    caught_up = ReminderScheduler(lone_database, Letterhead())
    assert await caught_up.send_due() == 3
    assert REGISTRY.get_sample_value(f"{lateness}_count") == count_before + 3
    assert (REGISTRY.get_sample_value(f"{lateness}_sum") or 0.0) - sum_before >= 15
    async with lone_database() as db:
        await caught_up.measure(db)
        assert REGISTRY.get_sample_value("notification_reminders_due") == 0
        assert REGISTRY.get_sample_value("notification_reminders_late_seconds") == 0
