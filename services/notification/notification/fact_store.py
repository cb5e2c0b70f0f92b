"""The queries of a batch of facts (store.py's, many rows per statement): the replicas read and
written for all the batch's registrations at once, its inbox messages and emails inserted
together. A batch is one transaction: what one statement writes for many facts is what the
single-row queries of store.py would write for each in turn."""

import json
import uuid
from collections.abc import Iterable, Sequence

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
        await driver.execute(
            _SAVE_REGISTRATIONS,
            [row["id"] for row in rows],
            [row["session_id"] for row in rows],
            [row["user_id"] for row in rows],
            [row["email"] for row in rows],
            [row["name"] for row in rows],
            [row["locale"] for row in rows],
            [row["status"] for row in rows],
            [row["reason"] for row in rows],
            [row["version"] for row in rows],
        )


async def save_contacts(db: AsyncSession, rows: Sequence[ContactValues]) -> None:
    """`store.save_contact` of each (one row per user)."""
    if rows:
        driver = await driver_connection(db)
        await driver.execute(
            _SAVE_CONTACTS,
            [row["user_id"] for row in rows],
            [row["email"] for row in rows],
            [row["name"] for row in rows],
            [row["locale"] for row in rows],
            [row["as_of"] for row in rows],
        )


async def add_messages(db: AsyncSession, rows: Sequence[NewInboxMessage]) -> None:
    """`store.add_message` of each, in order: the n-th is n microseconds after the transaction's
    start (the order a reader's inbox shows them in, newest first)."""
    if rows:
        driver = await driver_connection(db)
        await driver.execute(
            _ADD_MESSAGES,
            [row["id"] for row in rows],
            [row["user_id"] for row in rows],
            [row["subject"] for row in rows],
            [row["body"] for row in rows],
            [row["kind"] for row in rows],
            [None if row["ref"] is None else json.dumps(row["ref"]) for row in rows],
            [row["delivery_key"] for row in rows],
            [row["session_message_id"] for row in rows],
        )


async def add_deliveries(db: AsyncSession, rows: Sequence[NewDelivery]) -> None:
    """`store.add_delivery` of each (their `next_attempt_at` in the order to send them); the
    sender loops hear of them through one NOTIFY when the transaction commits (sent by the same
    statement: one round trip)."""
    if rows:
        driver = await driver_connection(db)
        await driver.execute(
            _ADD_DELIVERIES,
            [row["id"] for row in rows],
            [row["delivery_key"] for row in rows],
            [row["user_id"] for row in rows],
            [row["recipient"] for row in rows],
            [row["kind"] for row in rows],
            [row["subject"] for row in rows],
            [row["text_body"] for row in rows],
            [row["html_body"] for row in rows],
            [row.get("calendar") for row in rows],
            [row.get("session_message_id") for row in rows],
            [row["status"] for row in rows],
            [row.get("next_attempt_at") for row in rows],
            [row.get("category") for row in rows],
            [row.get("traceparent") for row in rows],
            [row.get("tracestate") for row in rows],
            DELIVERIES_CHANNEL,
        )


# The statements, made once: a batch runs each of them. The driver executes them, prepared once
# per connection, each batch's rows as one array per column (`unnest`): SQLAlchemy's processing of
# each row's parameters cost more than the statements (docs/performance.md, issue 18).
# SessionRow's fields in their order; the JSON columns decoded by the codec SQLAlchemy's dialect
# gives the driver's connections (json.loads), as SQLAlchemy reads them
_SESSIONS = f"""\
SELECT id, training_id, title, start_date, end_date, location, organizations, tutors, validators,
    status, version, replicated_at, reminder_hours
FROM {sessions.name} WHERE id = ANY($1::uuid[])"""  # noqa: S608
# store.registration_state's lock on each id, in the order of the array
_LOCKS = "SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) FROM unnest($1::text[]) AS id"
_STATES = f"""\
SELECT id, version, status FROM {registrations.name} WHERE id = ANY($1::uuid[])"""  # noqa: S608
# the n-th message n microseconds after the transaction's start (now()), so a learner's messages
# keep the order of their facts
_ADD_MESSAGES = f"""\
INSERT INTO {messages.name}
    (id, user_id, subject, body, kind, ref, delivery_key, session_message_id, created_at)
SELECT id, user_id, subject, body, kind, ref::jsonb, delivery_key, session_message_id,
    now() + (n - 1) * interval '1 microsecond'
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::uuid[]) WITH ORDINALITY
    AS m (id, user_id, subject, body, kind, ref, delivery_key, session_message_id, n)
ON CONFLICT (delivery_key) DO NOTHING"""  # noqa: S608
# the insert, then the NOTIFY (a data-modifying WITH runs whether or not the rest reads it)
_ADD_DELIVERIES = f"""\
WITH added AS (INSERT INTO {deliveries.name}
    (id, delivery_key, user_id, recipient, kind, subject, text_body, html_body, calendar,
    session_message_id, status, next_attempt_at, category, traceparent, tracestate)
SELECT id, delivery_key, user_id, recipient, kind, subject, text_body, html_body, calendar,
    session_message_id, status, coalesce(next_attempt_at, now()), category, traceparent,
    tracestate
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[], $10::uuid[], $11::text[], $12::timestamptz[], $13::text[],
    $14::text[], $15::text[])
    AS d (id, delivery_key, user_id, recipient, kind, subject, text_body, html_body, calendar,
    session_message_id, status, next_attempt_at, category, traceparent, tracestate)
ON CONFLICT (delivery_key) DO NOTHING)
SELECT pg_notify($16, '')"""  # noqa: S608
# store.py's single-row upserts: the row replaced by a newer version only (registrations), by
# the most recent change, the later of two as recent (contacts)
_SAVE_REGISTRATIONS = f"""\
INSERT INTO {registrations.name}
    (id, session_id, user_id, email, name, locale, status, reason, version)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::text[], $9::integer[])
ON CONFLICT (id) DO UPDATE SET
    session_id = excluded.session_id, user_id = excluded.user_id, email = excluded.email,
    name = excluded.name, locale = excluded.locale, status = excluded.status,
    reason = excluded.reason, version = excluded.version, replicated_at = now()
WHERE {registrations.name}.version < excluded.version"""  # noqa: S608
_SAVE_CONTACTS = f"""\
INSERT INTO {contacts.name} (user_id, email, name, locale, as_of)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
ON CONFLICT (user_id) DO UPDATE SET
    email = excluded.email, name = excluded.name, locale = excluded.locale, as_of = excluded.as_of
WHERE {contacts.name}.as_of <= excluded.as_of"""  # noqa: S608
