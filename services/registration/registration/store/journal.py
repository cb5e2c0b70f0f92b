"""What leaves through the outbox once the transaction commits, and the inbox entries of
commands that were refused after all."""

import uuid
from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from registration.tables import inbox, outbox
from shared.events import CloudEvent
from shared.messaging import (
    COMMANDS_EXCHANGE,
    EVENTS_EXCHANGE,
    OutboxEntry,
    add_all_to_outbox,
    add_to_outbox,
)


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


async def record_all(
    db: AsyncSession, events: Sequence[CloudEvent], commands: Sequence[CloudEvent] = ()
) -> None:
    """`record_event` and `record_command` for a whole batch, in two statements."""
    entries = [_entry(event, EVENTS_EXCHANGE.name) for event in events]
    entries += [_entry(command, COMMANDS_EXCHANGE.name) for command in commands]
    await add_all_to_outbox(db, outbox, entries)


def _entry(envelope: CloudEvent, exchange: str) -> OutboxEntry:
    return uuid.UUID(envelope.id), exchange, envelope.type, envelope.to_json().decode()


async def forget_commands(db: AsyncSession, consumer: str, event_ids: Sequence[str]) -> None:
    """Undo `first_deliveries` for commands that were refused after all."""
    await db.execute(
        delete(inbox).where(inbox.c.consumer == consumer, inbox.c.event_id.in_(list(event_ids)))
    )
