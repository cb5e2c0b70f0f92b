"""The emails waiting to be sent, as the sender loops work through them (`sender`): a round's
claim of the due ones, each taken for its SMTP exchange and its outcome written with the next
one's take, the claims a round did not use released, the time until the next is due."""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from notification.records import AttemptOutcome, LeasedDelivery
from notification.tables import deliveries
from shared.db import driver_connection

LEASED_COLUMNS = tuple(f.name for f in fields(LeasedDelivery))


@dataclass(frozen=True)
class Claim:
    """Due emails one sender claimed at once: each is its own while `until` is still on its row
    (`next_attempt_at`). A claim made later of the same row has a later `until`, as it is made
    once this one's has passed (the database's clock, not the claimant's)."""

    until: datetime
    deliveries: list[LeasedDelivery]


async def claim_due_deliveries(
    db: AsyncConnection | AsyncSession, limit: int, window: timedelta
) -> Claim | None:
    """The oldest due pending emails, claimed for `window` (None when none is due): not due for
    anyone else until then (replicas skip the rows locked while this runs, and see them claimed
    after); due again for all once the window has passed, unless taken to be sent. One
    statement (locking and claiming the rows at once), executed by the driver as the sender's
    takes are."""
    driver = await driver_connection(db)
    rows = await driver.fetch(_CLAIM, limit, window)
    if not rows:
        return None
    rows = sorted(rows, key=lambda row: (row["due_at"], row["id"]))  # the oldest first
    claimed = [LeasedDelivery(*(row[name] for name in LEASED_COLUMNS)) for row in rows]
    return Claim(rows[0]["until"], claimed)  # now(): the same on every row


_CLAIM = """\
WITH due AS (
    SELECT id, next_attempt_at FROM deliveries
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT $1::integer
    FOR UPDATE SKIP LOCKED
)
UPDATE deliveries SET next_attempt_at = now() + $2::interval
FROM due WHERE deliveries.id = due.id
RETURNING due.next_attempt_at AS due_at, deliveries.next_attempt_at AS until,
    deliveries.id, recipient, kind, subject, text_body, html_body, calendar, attempts, user_id,
    category, traceparent, tracestate"""


async def take_claimed(
    db: AsyncSession, claim: Claim, delivery: LeasedDelivery, lease: timedelta
) -> bool:
    """The claimed email made the claimant's for `lease`, to be sent now; False when the claim is
    no longer on its row (its window passed and another sender claimed it: it is theirs)."""
    stmt = (
        update(deliveries)
        .where(
            deliveries.c.id == delivery.id,
            deliveries.c.status == "pending",
            deliveries.c.attempts == delivery.attempts,
            deliveries.c.next_attempt_at == claim.until,
        )
        .values(next_attempt_at=func.now() + lease)
        .returning(deliveries.c.id)
    )
    return (await db.execute(stmt)).first() is not None


async def record_and_take(
    driver: asyncpg.Connection,
    done: tuple[uuid.UUID, AttemptOutcome, int] | None,
    claim: Claim,
    delivery: LeasedDelivery,
    lease: timedelta,
) -> bool:
    """`record_attempt` of the email `done` (id, outcome, attempts before), if any, and
    `take_claimed` of `delivery`, in one statement: both or neither, in one round trip.
    `driver` is the asyncpg connection of the sender's round (`driver_connection`, taken once
    a round), in autocommit: the statement is its own transaction. Executed by the driver (a
    prepared statement, the same for every email): a sender runs one per email, and
    SQLAlchemy's execution cost three times the round trip (docs/performance.md, issue 18)."""
    return (
        await _record_and_take(driver, done, delivery.id, delivery.attempts, claim.until, lease)
        is not None
    )


async def record_last(
    driver: asyncpg.Connection, done: tuple[uuid.UUID, AttemptOutcome, int]
) -> None:
    """`record_attempt` as `record_and_take` writes it, nothing taken: a round's last outcome."""
    await _record_and_take(driver, done, None, None, None, None)


async def _record_and_take(
    driver: asyncpg.Connection,
    done: tuple[uuid.UUID, AttemptOutcome, int] | None,
    *take: object,
) -> object:
    if done is None:
        return await driver.fetchrow(_RECORD_AND_TAKE, *take, None, 0, None, None, None, None)
    done_id, values, attempts_before = done
    return await driver.fetchrow(
        _RECORD_AND_TAKE,
        *take,
        done_id,
        attempts_before,
        values["status"],
        values["last_error"],
        values.get("sent_at"),
        values.get("next_attempt_at"),
    )


# The outcome's columns as `record_attempt` writes them: `sent_at` when accepted, the retry time
# when not (a pending row was never sent: keeping either as it is, is leaving it unset). No
# outcome: `$5` is NULL and the first update matches no row; nothing to take: `$1` is NULL and
# the second matches none.
_RECORD_AND_TAKE = """\
WITH recorded AS (
    UPDATE deliveries SET
        status = $7::varchar,
        last_error = $8::text,
        sent_at = COALESCE($9::timestamptz, sent_at),
        next_attempt_at = COALESCE($10::timestamptz, next_attempt_at),
        attempts = attempts + 1,
        updated_at = now()
    WHERE id = $5::uuid AND attempts = $6::integer
    RETURNING id
)
UPDATE deliveries SET next_attempt_at = now() + $4::interval
WHERE id = $1::uuid AND status = 'pending' AND attempts = $2::integer
    AND next_attempt_at = $3::timestamptz
RETURNING id"""


async def release_deliveries(db: AsyncSession, claimed: list[tuple[uuid.UUID, datetime]]) -> None:
    """Claimed emails (id, the claim's `until`) this sender will not try after all: due again
    now, those still claimed by it."""
    await db.execute(
        update(deliveries)
        .where(
            tuple_(deliveries.c.id, deliveries.c.next_attempt_at).in_(claimed),
            deliveries.c.status == "pending",
        )
        .values(next_attempt_at=func.now())
    )


async def next_due_in(db: AsyncSession) -> float | None:
    """Seconds until the next pending email is due (0 if one is due now), None if none."""
    query = select(
        func.extract("epoch", func.min(deliveries.c.next_attempt_at) - func.now())
    ).where(deliveries.c.status == "pending")
    value = (await db.execute(query)).scalar_one_or_none()
    return None if value is None else max(0.0, float(value))


async def record_attempt(
    db: AsyncSession | AsyncConnection,
    delivery_id: uuid.UUID,
    values: AttemptOutcome,
    *,
    attempts_before: int,
) -> bool:
    """The outcome of the attempt made when the row had `attempts_before` attempts; False when
    that attempt is already written (a commit whose answer was lost may have happened)."""
    stmt = (
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.attempts == attempts_before)
        .values(**values, attempts=deliveries.c.attempts + 1, updated_at=func.now())
        .returning(deliveries.c.id)
    )
    return (await db.execute(stmt)).first() is not None
