"""A peak run's checks: every answer, the seats and the line in the database, and notification
having told each learner once."""

import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import asyncpg

from bench.cpu import Sample
from bench.peak_account import PathResult, Sampler

TOLD = ("captured", "sent")  # a delivery's status once the sender is done with it
TOLD_WITHIN_S = 600.0


async def until_told(
    conn: asyncpg.Connection, path: str, m: int, result: PathResult, sampler: Sampler
) -> tuple[float | None, Sample | None]:
    """Seconds from the last answer until notification's database holds an inbox message and a
    sent (or captured) email for each of the path's m learners; the /proc sample then."""
    pattern = f"{path}-learner-%"
    deadline = time.monotonic() + TOLD_WITHIN_S
    while time.monotonic() < deadline:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM inbox_messages WHERE user_id LIKE $1) AS inbox, "
            "(SELECT count(*) FROM deliveries WHERE user_id LIKE $1 AND status = ANY($2)) "
            "AS emails",
            pattern,
            list(TOLD),
        )
        if row["inbox"] >= m and row["emails"] >= m:
            sample = sampler.take()
            return sample.at - result.last_answer, sample
        await asyncio.sleep(0.1)
    return None, None


async def check_told(
    conn: asyncpg.Connection, registration_db: str, session_id: uuid.UUID, path: str
) -> dict[str, Any]:
    """One inbox message and one email (captured or sent) per learner, of their decision's kind
    (registration.confirmed with a seat, registration.waitlisted in line), to no one else."""
    reg = await asyncpg.connect(registration_db)
    try:
        rows = await reg.fetch(
            "SELECT user_id, status FROM registrations WHERE session_id = $1", session_id
        )
    finally:
        await reg.close()
    expected = Counter((r["user_id"], f"registration.{r['status']}") for r in rows)
    pattern = f"{path}-learner-%"
    inbox = Counter(
        {
            (r["user_id"], r["kind"]): r["n"]
            for r in await conn.fetch(
                "SELECT user_id, kind, count(*) AS n FROM inbox_messages WHERE user_id LIKE $1 "
                "GROUP BY 1, 2",
                pattern,
            )
        }
    )
    emails = Counter(
        {
            (r["user_id"], r["kind"]): r["n"]
            for r in await conn.fetch(
                "SELECT user_id, kind, count(*) AS n FROM deliveries WHERE user_id LIKE $1 "
                "AND status = ANY($2) GROUP BY 1, 2",
                pattern,
                list(TOLD),
            )
        }
    )
    statuses = dict(
        await conn.fetch(
            "SELECT status, count(*) FROM deliveries WHERE user_id LIKE $1 GROUP BY 1", pattern
        )
    )
    return {
        "told_inbox_messages": sum(inbox.values()),
        "told_emails": sum(emails.values()),
        "email_statuses": {str(k): v for k, v in statuses.items()},
        "notification_told_each_learner_once": inbox == expected and emails == expected,
    }


def check_answers(result: PathResult, m: int, seats: int) -> dict[str, Any]:
    statuses = Counter(a[2] for a in result.answers)
    bodies = [a[3] for a in result.answers if a[2] == 201]
    confirmed = sum(b["status"] == "confirmed" for b in bodies)
    line = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
    return {
        "statuses": {str(k): v for k, v in statuses.items()},
        "every_request_answered_201": len(result.answers) == m and statuses == {201: m},
        "answers_seated_exactly": confirmed == seats,
        "answers_line_without_gap": line == list(range(1, m - seats + 1)),
    }


async def check_database(
    database_url: str, session_id: uuid.UUID, m: int, seats: int
) -> dict[str, Any]:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT taken, waitlisted FROM sessions WHERE id = $1", session_id
        )
        counted = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status IN ('pending', 'confirmed')) AS taken, "
            "array_agg(waitlist_position ORDER BY waitlist_position) "
            "FILTER (WHERE status = 'waitlisted') AS line "
            "FROM registrations WHERE session_id = $1",
            session_id,
        )
    finally:
        await conn.close()
    return {
        "database_seats_row": [row["taken"], row["waitlisted"]],
        "database_seated_exactly": row["taken"] == seats and counted["taken"] == seats,
        "database_line_without_gap": list(counted["line"] or []) == list(range(1, m - seats + 1)),
    }


async def registration_ids(database_url: str, session_id: uuid.UUID) -> list[uuid.UUID]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT id FROM registrations WHERE session_id = $1", session_id)
    finally:
        await conn.close()
    return [row["id"] for row in rows]
