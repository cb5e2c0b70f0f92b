"""The queries of a batch of facts (store.py's, many rows per statement): the replicas read and
written for all the batch's registrations at once, its inbox messages and emails inserted
together. A batch is one transaction: what one statement writes for many facts is what the
single-row queries of store.py would write for each in turn."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ColumnCollection,
    ColumnElement,
    Interval,
    Table,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.records import (
    ContactValues,
    NewDelivery,
    NewInboxMessage,
    RegistrationState,
    RegistrationValues,
    SessionRow,
)
from notification.store import DELIVERIES_CHANNEL
from notification.tables import contacts, deliveries, messages, registrations, sessions

# store.registration_state's lock on each id, in the order of the array
_LOCKS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) FROM unnest(CAST(:ids AS text[])) AS id"
)
_STEP = timedelta(microseconds=1)
"""Between the rows of one batch, so a learner's messages keep the order of their facts."""


async def sessions_by_ids(
    db: AsyncSession, session_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, SessionRow]:
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    rows = await db.execute(_SESSIONS, {"ids": ids})
    return {row["id"]: SessionRow(**row) for row in rows.mappings()}


async def registration_states(
    db: AsyncSession, registration_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, RegistrationState]:
    """`store.registration_state` of each: their transaction locks (taken in the order of their
    ids, so two batches wait on each other rather than deadlock), then what we hold of them."""
    ids = sorted(set(registration_ids))
    if not ids:
        return {}
    await db.execute(_LOCKS, {"ids": [str(i) for i in ids]})
    rows = await db.execute(_STATES, {"ids": ids})
    return {row[0]: RegistrationState(int(row[1]), str(row[2])) for row in rows}


async def save_registrations(db: AsyncSession, rows: Sequence[RegistrationValues]) -> None:
    """`store.save_registration` of each (one row per registration)."""
    if rows:
        await db.execute(_SAVE_REGISTRATIONS, list(rows))


async def save_contacts(db: AsyncSession, rows: Sequence[ContactValues]) -> None:
    """`store.save_contact` of each (one row per user)."""
    if rows:
        await db.execute(_SAVE_CONTACTS, list(rows))


async def add_messages(db: AsyncSession, rows: Sequence[NewInboxMessage]) -> None:
    """`store.add_message` of each, in order: the n-th is n microseconds after the transaction's
    start (the order a reader's inbox shows them in, newest first)."""
    if rows:
        await db.execute(_ADD_MESSAGES, [{**row, "after": _STEP * n} for n, row in enumerate(rows)])


async def add_deliveries(db: AsyncSession, rows: Sequence[NewDelivery]) -> None:
    """`store.add_delivery` of each (their `next_attempt_at` in the order to send them); the
    sender loops hear of them through one NOTIFY when the transaction commits."""
    if rows:
        await db.execute(_ADD_DELIVERIES, list(rows))
        await db.execute(_NOTIFY)


# The statements, made once: a batch runs each of them.
_SESSIONS = select(sessions).where(sessions.c.id.in_(bindparam("ids", expanding=True)))
_STATES = select(registrations.c.id, registrations.c.version, registrations.c.status).where(
    registrations.c.id.in_(bindparam("ids", expanding=True))
)
_NOTIFY = select(func.pg_notify(DELIVERIES_CHANNEL, ""))
_ADD_MESSAGES = (
    pg_insert(messages)
    .values(created_at=func.now() + bindparam("after", type_=Interval()))
    .on_conflict_do_nothing(index_elements=[messages.c.delivery_key])
)
_ADD_DELIVERIES = pg_insert(deliveries).on_conflict_do_nothing(
    index_elements=[deliveries.c.delivery_key]
)


def _upsert(
    table: Table,
    key: str,
    columns: Iterable[str],
    newer: Callable[[ColumnCollection[str, ColumnElement[Any]]], ColumnElement[bool]],
) -> Insert:
    """Insert, or replace the row when `newer(excluded)` (as store.py's single-row upserts)."""
    stmt = pg_insert(table)
    changed: dict[str, Any] = {name: stmt.excluded[name] for name in columns if name != key}
    if "replicated_at" in table.c:
        changed["replicated_at"] = func.now()
    return stmt.on_conflict_do_update(
        index_elements=[table.c[key]], set_=changed, where=newer(stmt.excluded)
    )


_SAVE_REGISTRATIONS = _upsert(
    registrations,
    "id",
    RegistrationValues.__annotations__,
    lambda incoming: registrations.c.version < incoming.version,
)
_SAVE_CONTACTS = _upsert(
    contacts,
    "user_id",
    ContactValues.__annotations__,
    lambda incoming: contacts.c.as_of <= incoming.as_of,
)
