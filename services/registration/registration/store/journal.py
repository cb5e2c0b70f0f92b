"""What leaves through the outbox once the transaction commits, and the inbox entries of
commands that were refused after all."""

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.tables import inbox, outbox
from shared.events import CloudEvent
from shared.messaging import COMMANDS_EXCHANGE, EVENTS_EXCHANGE, add_to_outbox


async def record_event(db: AsyncSession, event: CloudEvent) -> None:
    """The event leaves on `training.events` once this transaction commits."""
    await add_to_outbox(
        db, outbox, event.to_message(), exchange=EVENTS_EXCHANGE, routing_key=event.type
    )


async def record_command(db: AsyncSession, command: CloudEvent) -> None:
    """The command leaves on `training.commands` once this transaction commits."""
    await add_to_outbox(
        db, outbox, command.to_message(), exchange=COMMANDS_EXCHANGE, routing_key=command.type
    )


# `add_all_to_outbox` with each envelope already JSON text (`CloudEvent.to_json`, one pass in
# pydantic's core), which PostgreSQL reads into the JSONB column itself, executed by the
# driver on the transaction's own connection: SQLAlchemy's parameter processing cost more
# than the statement (at peak enrollment a batch writes two or three events per registration:
# docs/performance.md, issue 18).
_INSERT_JSON = (
    "INSERT INTO outbox (id, exchange, routing_key, payload) VALUES ($1, $2, $3, $4::jsonb)"
)


async def record_all(
    db: AsyncSession, events: Sequence[CloudEvent], commands: Sequence[CloudEvent] = ()
) -> None:
    """`record_event` and `record_command` for a whole batch, in two statements (the rows,
    then the outbox's NOTIFY, as `add_all_to_outbox` writes them)."""
    if not events and not commands:
        return
    rows = [_row(event, EVENTS_EXCHANGE.name) for event in events]
    rows += [_row(command, COMMANDS_EXCHANGE.name) for command in commands]
    driver = (await (await db.connection()).get_raw_connection()).driver_connection
    assert driver is not None  # the transaction's connection, checked out
    await driver.executemany(_INSERT_JSON, rows)
    await db.execute(select(func.pg_notify(outbox.name, "")))


def _row(envelope: CloudEvent, exchange: str) -> tuple[uuid.UUID, str, str, str]:
    return uuid.UUID(envelope.id), exchange, envelope.type, envelope.to_json().decode()


async def forget_commands(db: AsyncSession, consumer: str, event_ids: Sequence[str]) -> None:
    """Undo `first_deliveries` for commands that were refused after all."""
    await db.execute(
        delete(inbox).where(inbox.c.consumer == consumer, inbox.c.event_id.in_(list(event_ids)))
    )
