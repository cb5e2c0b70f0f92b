"""Integration, issue 15: two real notification processes (`python -m notification`) on one
database and one broker send every reminder once, at its time, to a real SMTP server (aiosmtpd);
and so they do when both are killed (SIGKILL) before reminders fall due and started again.
The facts come over the bus as the catalog and registration publish them."""

import asyncio
import json
import os
import signal
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest
from notification.reminder_notices import KIND

from devstack.processes import Child
from shared.migrations import upgrade_to_head
from testsupport.infra import (
    Servers,
    create_database,
    create_vhost,
    delete_vhost,
    drop_databases,
    unique_name,
)
from testsupport.mailbox import MailServer
from testsupport.system import free_port
from testsupport.waiting import eventually

from .conftest import MIGRATIONS
from .test_service import envelope, learner, session_data

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
HOURS = 0.01
"""36 seconds before the start."""
LEAD = 12.0
"""Seconds from the first fact to the first reminder due: the time to plan them all."""
LEARNERS = 20
LATE = timedelta(seconds=60)


@dataclass
class Notifications:
    """The two processes, what feeds them and what they send to."""

    env: dict[str, str]
    ports: list[int]
    database_url: str
    mail: MailServer
    children: list[Child] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    exchange: aio_pika.abc.AbstractExchange | None = None
    """training.events, once the processes have declared it."""

    def child(self, n: int) -> Child:
        env = {**self.env, "NOTIFICATION_PORT": str(self.ports[n])}
        sink = self.output.append
        return Child(
            f"notification-{n}",
            [sys.executable, "-m", "notification"],
            env=env,
            cwd=ROOT,
            sink=lambda name, line: sink(f"{name}: {line}"),
        )

    async def start(self, n: int) -> None:
        self.children[n] = self.child(n)
        await self.children[n].start()

    async def healthy(self) -> None:
        async def answer() -> bool:
            async with httpx.AsyncClient() as http:
                try:
                    urls = [f"http://127.0.0.1:{port}/health" for port in self.ports]
                    return all([(await http.get(url)).status_code == 200 for url in urls])
                except httpx.HTTPError:
                    return False

        try:
            await eventually(answer, within=60, interval=0.2, what="both processes healthy")
        except AssertionError:
            raise AssertionError("\n".join(self.output[-40:])) from None

    async def publish(self, type_: str, data: dict[str, Any]) -> None:
        event = envelope(type_, data)
        assert self.exchange is not None
        await self.exchange.publish(
            aio_pika.Message(
                json.dumps(event).encode(),
                content_type="application/cloudevents+json",
                message_id=event["id"],
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=type_,
        )


@pytest.fixture(scope="module")
async def notifications(servers: Servers) -> AsyncIterator[Notifications]:
    run = unique_name("notifproc")
    database_url = await create_database(servers, run)
    # migrated once here, not by two processes starting at once
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    amqp_url = create_vhost(servers, run)
    mail = MailServer()
    await mail.astart()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "NOTIFICATION_DATABASE_URL": database_url,
        "AMQP_URL": amqp_url,
        "JWT_SECRET": "reminder-processes-secret-" + run,
        "SMTP_URL": mail.url,
        "NOTIFICATION_REMINDER_POLL_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    pair = Notifications(env, [free_port(), free_port()], database_url, mail)
    pair.children = [pair.child(0), pair.child(1)]
    try:
        for child in pair.children:
            await child.start()
        await pair.healthy()
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            pair.exchange = await channel.get_exchange("training.events")
            yield pair
    finally:
        await asyncio.gather(*(child.stop(10) for child in pair.children))
        await mail.astop()
        await drop_databases(servers, run)
        delete_vhost(servers, run)


@dataclass(frozen=True)
class Schedule:
    events: dict[str, str]
    """Each event's title by its id."""
    learners: dict[str, str]
    """Each learner's id by their email address."""

    def reminded(self, mail: MailServer) -> list[tuple[str, str, datetime]]:
        """(learner, event, Date header) of each reminder email received of these events."""
        found = []
        for m in mail.matching(lambda m: m.message["X-Training-Kind"] == KIND):
            for event_id, title in self.events.items():
                if title in m.subject and (user := self.learners.get(m.rcpt_tos[0])):
                    found.append((user, event_id, parsedate_to_datetime(str(m.message["Date"]))))
        return found


async def plan(pair: Notifications, *, starts_in: list[float]) -> Schedule:
    """A session reminding `HOURS` before, its events starting `starts_in` seconds after the
    lead, `LEARNERS` learners registered at each; once every reminder is planned."""
    session = session_data(reminder_hours=[HOURS], title="Rappels")
    await pair.publish("catalog.session.created", session)
    now = datetime.now(UTC)
    common = {"session_id": session["id"], "version": 1, "created_at": now.isoformat()}
    common["updated_at"] = now.isoformat()
    users = [learner(f"l{n}") for n in range(LEARNERS)]
    events: dict[str, str] = {}
    for n, later in enumerate(starts_in):
        start = now + timedelta(hours=HOURS, seconds=LEAD + later)
        event_id, title = str(uuid.uuid4()), f"Atelier {n}-{uuid.uuid4().hex[:6]}"
        events[event_id] = title
        await pair.publish(
            "catalog.event.created",
            {
                **common,
                "id": event_id,
                "training_id": session["training_id"],
                "title": title,
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
                "location": "Salle 3",
            },
        )
    for event_id in events:
        for user in users:
            place = {"id": str(uuid.uuid4()), "event_id": event_id, "user_id": user["id"]}
            await pair.publish(
                "event_registration.registered",
                {**common, **place, "status": "registered", "user": user},
            )
    schedule = Schedule(events, {user["email"]: user["id"] for user in users})

    async def planned() -> bool:
        rows = await reminders(pair, schedule)
        return len(rows) == len(events) * LEARNERS and {r["status"] for r in rows} == {"pending"}

    await eventually(planned, within=LEAD - 2, interval=0.2, what="every reminder planned")
    return schedule


async def fetch(pair: Notifications, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(pair.database_url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(query, *args)
        return rows
    finally:
        await conn.close()


async def reminders(pair: Notifications, schedule: Schedule) -> list[asyncpg.Record]:
    return await fetch(
        pair,
        "SELECT event_id::text, user_id, status, due_at, sent_at FROM reminders "
        "WHERE event_id = ANY($1::uuid[])",
        list(schedule.events),
    )


async def every_reminder_once_at_its_time(pair: Notifications, schedule: Schedule) -> None:
    expected = {(user, event) for user in schedule.learners.values() for event in schedule.events}

    async def all_arrived() -> bool:
        return {(user, event) for user, event, _ in schedule.reminded(pair.mail)} == expected

    try:
        await eventually(
            all_arrived,
            within=LEAD + 10 + LATE.total_seconds(),
            interval=0.2,
            what="every reminder email",
        )
    except AssertionError as error:
        unsent = await fetch(
            pair,
            "SELECT status, attempts, next_attempt_at - now() AS due_in, count(*) "
            "FROM deliveries WHERE kind = $1 AND status <> 'sent' GROUP BY 1, 2, 3",
            KIND,
        )
        raise AssertionError(f"reminder emails not sent: {[dict(r) for r in unsent]}") from error
    rows = await reminders(pair, schedule)
    assert Counter(row["status"] for row in rows) == {"sent": len(expected)}
    due = {(row["user_id"], row["event_id"]): row["due_at"] for row in rows}
    for row in rows:
        assert row["due_at"] <= row["sent_at"] < row["due_at"] + LATE, dict(row)

    async def none_in_flight() -> bool:
        emails = await fetch(
            pair,
            "SELECT status FROM deliveries WHERE kind = $1 AND user_id = ANY($2::text[])",
            KIND,
            list(schedule.learners.values()),
        )
        return [row["status"] for row in emails] == ["sent"] * len(expected)

    # each email written once and its outcome too: none left to be sent again
    await eventually(none_in_flight, within=10, what="the reminder emails all sent, once each")
    received = schedule.reminded(pair.mail)
    for user, event, date in received:  # Date: whole seconds, truncated
        assert due[user, event].replace(microsecond=0) <= date <= due[user, event] + LATE
    assert Counter(Counter((user, event) for user, event, _ in received).values()) == {
        1: len(expected)
    }


async def test_two_processes_send_every_reminder_once_at_its_time(
    notifications: Notifications,
) -> None:
    schedule = await plan(notifications, starts_in=[0, 2])
    await every_reminder_once_at_its_time(notifications, schedule)


async def test_reminders_due_while_every_process_is_down_go_out_once_when_they_are_back(
    notifications: Notifications,
) -> None:
    """Both processes killed (SIGKILL) with reminders planned; the first fall due while nothing
    runs; once the processes are back, each reminder goes out once, the later ones at their
    time. (A process killed in the middle of one SMTP exchange leaves that one email to be sent
    again after its lease, with the same Message-ID: at least once, as sender.py says.)"""
    schedule = await plan(notifications, starts_in=[0, 25])
    for child in notifications.children:
        assert child.pid is not None
        os.killpg(child.pid, signal.SIGKILL)
        assert await child.wait() == -signal.SIGKILL
    first_due: datetime = min(row["due_at"] for row in await reminders(notifications, schedule))

    async def due_while_down() -> bool:
        return datetime.now(UTC) > first_due + timedelta(seconds=2)

    await eventually(due_while_down, within=LEAD + 10, interval=0.2, what="reminders due, none up")
    assert schedule.reminded(notifications.mail) == []
    for n in range(len(notifications.children)):
        await notifications.start(n)
    await notifications.healthy()
    await every_reminder_once_at_its_time(notifications, schedule)
