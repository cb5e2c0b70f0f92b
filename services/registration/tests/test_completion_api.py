"""A session's completion over HTTP on the real database: decided when the last event's attendance
is validated, shown in the registration, `registration.completed` once per registration that
becomes completed, decided again when a manager changes a validated presence."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from registration.use_cases.event_registrations import EventRegistrations
from registration.use_cases.registrations import Registrations
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.events import EventData, Registration, SessionData

from .test_attendance_api import auth, events, http, mark
from .test_event_registrations import (
    MANAGER,
    change_event,
    confirmed,
    new_event,
    new_session,
    outbox_of,
)

pytestmark = pytest.mark.integration
__all__ = ["events", "http"]  # the fixtures


async def ended_events(
    registrations: Registrations, events: EventRegistrations, **rules: Any
) -> tuple[SessionData, list[Registration], list[EventData]]:
    """A session with two confirmed learners and two `auto` events they were registered to,
    both ended by now: 2 hours, then 1 hour."""
    session = await new_session(registrations, **rules)
    learners = [await confirmed(registrations, session, f"{session.id}-{n}") for n in range(2)]
    now = datetime.now(UTC)
    ended = []
    for starts, hours in ((5, 2), (2, 1)):
        event = await new_event(events, session)
        start = now - timedelta(hours=starts)
        ended.append(
            await change_event(events, event, start=start, end=start + timedelta(hours=hours))
        )
    return session, learners, ended


async def validate(http: httpx.AsyncClient, event: EventData) -> None:
    reply = await http.post(f"/api/events/{event.id}/attendance/validate", headers=auth(MANAGER))
    assert reply.status_code == 200, reply.text


async def shown(http: httpx.AsyncClient, registration: Registration) -> dict[str, Any]:
    reply = await http.get(f"/api/registrations/{registration.id}", headers=auth(MANAGER))
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def completed_events(engine: AsyncEngine, registration: Registration) -> list[dict[str, Any]]:
    return [
        e["payload"]["data"]
        for e in await outbox_of(engine, registration.id)
        if e["routing_key"] == "registration.completed"
    ]


async def test_decided_when_the_last_event_is_validated_and_again_on_a_managers_change(
    registrations: Registrations,
    events: EventRegistrations,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
) -> None:
    _, (one, two), (long, short) = await ended_events(registrations, events, completion_rate=50)
    a, b = one.user.id, two.user.id
    assert (await mark(http, long, MANAGER, **{a: "present", b: "absent_justified"})).is_success
    assert (await mark(http, short, MANAGER, **{a: "present", b: "present"})).is_success
    await validate(http, long)
    assert (await shown(http, one))["completion"] is None  # the short event is not validated
    await validate(http, short)
    first = await shown(http, one)
    assert first["completion"]["completed"] is True
    assert (first["completion"]["hours_attended"], first["completion"]["hours_total"]) == (3, 3)
    assert first["completion"]["rate"] == 100
    assert first["version"] == one.version + 1
    told = await completed_events(engine, one)
    assert len(told) == 1
    assert told[0]["completion"] == first["completion"]
    assert told[0]["actor"] == MANAGER.sub
    other = await shown(http, two)
    assert other["completion"]["completed"] is False
    assert round(other["completion"]["rate"], 2) == 33.33
    assert await completed_events(engine, two) == []

    # a manager changes a validated presence: decided again
    assert (await mark(http, long, MANAGER, **{b: "present"})).is_success
    again = await shown(http, two)
    assert (again["completion"]["completed"], again["completion"]["rate"]) == (True, 100)
    assert again["version"] == other["version"] + 1
    assert len(await completed_events(engine, two)) == 1
    assert (await mark(http, short, MANAGER, **{a: "absent_unjustified"})).is_success
    still = await shown(http, one)
    assert (still["completion"]["completed"], round(still["completion"]["rate"], 2)) == (
        True,
        66.67,
    )
    assert still["version"] == first["version"] + 1
    assert len(await completed_events(engine, one)) == 1  # completed already: told once


async def test_no_completion_without_a_rate_or_before_every_event_ended(
    registrations: Registrations, events: EventRegistrations, http: httpx.AsyncClient
) -> None:
    _, (one, _), ended = await ended_events(registrations, events)
    for event in ended:
        await validate(http, event)
    assert (await shown(http, one))["completion"] is None  # no completion_rate

    _, (one, _), (long, short) = await ended_events(registrations, events, completion_rate=80)
    now = datetime.now(UTC)
    running = await change_event(
        events, short, start=now - timedelta(minutes=5), end=now + timedelta(hours=1)
    )
    await validate(http, long)
    await validate(http, running)  # validated before its end
    assert (await shown(http, one))["completion"] is None
    await change_event(events, running, end=now - timedelta(seconds=1))
    await validate(http, running)  # validating again once it ended decides
    decided = (await shown(http, one))["completion"]
    assert (decided["completed"], decided["rate"]) == (False, 0)
