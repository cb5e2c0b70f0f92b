"""The queries of a batch of facts (store.py's, many rows per statement): the replicas read and
written for all the batch's registrations at once, its inbox messages and emails inserted
together. A batch is one transaction: what one statement writes for many facts is what the
single-row queries of store.py would write for each in turn."""

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields

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
from shared.db import driver_connection


async def sessions_by_ids(
    db: AsyncSession, session_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, SessionRow]:
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    driver = await driver_connection(db)
    return {row[0]: SessionRow(*row) for row in await driver.fetch(_SESSIONS, ids)}


async def registration_states(
    db: AsyncSession, registration_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, RegistrationState]:
    """`store.registration_state` of each: their transaction locks (taken in the order of their
    ids, so two batches wait on each other rather than deadlock), then what we hold of them (a
    statement of its own: one that began before the locks were granted reads what was before)."""
    ids = sorted(set(registration_ids))
    if not ids:
        return {}
    driver = await driver_connection(db)
    await driver.execute(_LOCKS, [str(i) for i in ids])
    rows = await driver.fetch(_STATES, ids)
    return {row[0]: RegistrationState(row[1], row[2]) for row in rows}


async def save_registrations(db: AsyncSession, rows: Sequence[RegistrationValues]) -> None:
    """`store.save_registration` of each (one row per registration)."""
    if rows:
        driver = await driver_connection(db)
        await driver.execute(_SAVE_REGISTRATIONS, *_arrays(rows, _REGISTRATION))


async def save_contacts(db: AsyncSession, rows: Sequence[ContactValues]) -> None:
    """`store.save_contact` of each (one row per user)."""
    if rows:
        driver = await driver_connection(db)
        await driver.execute(_SAVE_CONTACTS, *_arrays(rows, _CONTACT))


async def add_messages(db: AsyncSession, rows: Sequence[NewInboxMessage]) -> None:
    """`store.add_message` of each, in order: the n-th is n microseconds after the transaction's
    start (the order a reader's inbox shows them in, newest first)."""
    if rows:
        driver = await driver_connection(db)
        arrays = _arrays(rows, _MESSAGE)
        arrays[_REF] = [None if value is None else json.dumps(value) for value in arrays[_REF]]
        await driver.execute(_ADD_MESSAGES, *arrays)


async def add_deliveries(db: AsyncSession, rows: Sequence[NewDelivery]) -> None:
    """`store.add_delivery` of each (their `next_attempt_at` in the order to send them); the
    sender loops hear of them through one NOTIFY when the transaction commits (sent by the same
    statement: one round trip)."""
    if rows:
        driver = await driver_connection(db)
        await driver.execute(_ADD_DELIVERIES, *_arrays(rows, _DELIVERY), DELIVERIES_CHANNEL)


# The statements, made once: a batch runs each of them. The driver executes them, prepared once
# per connection, each batch's rows as one array per column (`unnest`): SQLAlchemy's processing of
# each row's parameters cost more than the statements (docs/performance.md, issue 18).
# SessionRow's fields in their order; the JSON columns decoded by the codec SQLAlchemy's dialect
# gives the driver's connections (json.loads), as SQLAlchemy reads them
_SESSIONS = f"""\
SELECT {", ".join(field.name for field in fields(SessionRow))}
FROM {sessions.name} WHERE id = ANY($1::uuid[])"""  # noqa: S608
# store.registration_state's lock on each id, in the order of the array
_LOCKS = "SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) FROM unnest($1::text[]) AS id"
_STATES = f"""\
SELECT id, version, status FROM {registrations.name} WHERE id = ANY($1::uuid[])"""  # noqa: S608
# A batch's rows go in as one array per column: (column, its PostgreSQL type), in the order of
# the statement's parameters; a key a row does not have (NotRequired) is null
Columns = tuple[tuple[str, str], ...]
_MESSAGE: Columns = (
    ("id", "uuid"),
    ("user_id", "text"),
    ("subject", "text"),
    ("body", "text"),
    ("kind", "text"),
    ("ref", "text"),
    ("delivery_key", "text"),
    ("session_message_id", "uuid"),
)
_REF = [name for name, _ in _MESSAGE].index("ref")  # sent as JSON text, cast to jsonb
_DELIVERY: Columns = (
    ("id", "uuid"),
    ("delivery_key", "text"),
    ("user_id", "text"),
    ("recipient", "text"),
    ("kind", "text"),
    ("subject", "text"),
    ("text_body", "text"),
    ("html_body", "text"),
    ("calendar", "text"),
    ("session_message_id", "uuid"),
    ("status", "text"),
    ("next_attempt_at", "timestamptz"),
    ("category", "text"),
    ("traceparent", "text"),
    ("tracestate", "text"),
)
_REGISTRATION: Columns = (
    ("id", "uuid"),
    ("session_id", "uuid"),
    ("user_id", "text"),
    ("email", "text"),
    ("name", "text"),
    ("locale", "text"),
    ("status", "text"),
    ("reason", "text"),
    ("version", "integer"),
)
_CONTACT: Columns = (
    ("user_id", "text"),
    ("email", "text"),
    ("name", "text"),
    ("locale", "text"),
    ("as_of", "timestamptz"),
)


def _arrays(rows: Sequence[Mapping[str, object]], columns: Columns) -> list[list[object]]:
    return [[row.get(name) for row in rows] for name, _ in columns]


def _names(columns: Columns, **instead: str) -> str:
    """The column names, or the expression `instead` gives for one."""
    return ", ".join(instead.get(name, name) for name, _ in columns)


def _unnest(columns: Columns) -> str:
    """`unnest($1::uuid[], $2::text[], ...)`: the arrays as rows."""
    return f"unnest({', '.join(f'${n}::{kind}[]' for n, (_, kind) in enumerate(columns, 1))})"


def _updated(columns: Columns, key: str) -> str:
    """The upsert's SET: every column but the key from the incoming row."""
    return ", ".join(f"{name} = excluded.{name}" for name, _ in columns if name != key)


# the n-th message n microseconds after the transaction's start (now()), so a learner's messages
# keep the order of their facts
_ADD_MESSAGES = f"""\
INSERT INTO {messages.name} ({_names(_MESSAGE)}, created_at)
SELECT {_names(_MESSAGE, ref="ref::jsonb")}, now() + (n - 1) * interval '1 microsecond'
FROM {_unnest(_MESSAGE)} WITH ORDINALITY AS m ({_names(_MESSAGE)}, n)
ON CONFLICT (delivery_key) DO NOTHING"""  # noqa: S608
# the insert, then the NOTIFY (a data-modifying WITH runs whether or not the rest reads it)
_ADD_DELIVERIES = f"""\
WITH added AS (INSERT INTO {deliveries.name} ({_names(_DELIVERY)})
SELECT {_names(_DELIVERY, next_attempt_at="coalesce(next_attempt_at, now())")}
FROM {_unnest(_DELIVERY)} AS d ({_names(_DELIVERY)})
ON CONFLICT (delivery_key) DO NOTHING)
SELECT pg_notify(${len(_DELIVERY) + 1}, '')"""  # noqa: S608
# store.py's single-row upserts: the row replaced by a newer version only (registrations), by
# the most recent change, the later of two as recent (contacts)
_SAVE_REGISTRATIONS = f"""\
INSERT INTO {registrations.name} ({_names(_REGISTRATION)})
SELECT * FROM {_unnest(_REGISTRATION)}
ON CONFLICT (id) DO UPDATE SET {_updated(_REGISTRATION, "id")}, replicated_at = now()
WHERE {registrations.name}.version < excluded.version"""  # noqa: S608
_SAVE_CONTACTS = f"""\
INSERT INTO {contacts.name} ({_names(_CONTACT)})
SELECT * FROM {_unnest(_CONTACT)}
ON CONFLICT (user_id) DO UPDATE SET {_updated(_CONTACT, "user_id")}
WHERE {contacts.name}.as_of <= excluded.as_of"""  # noqa: S608
