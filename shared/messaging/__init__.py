"""Messaging plumbing: exchanges and queues, broker, outbox relay, retrying consumers, inbox.

A use case never publishes. In one transaction it changes state and calls
`add_to_outbox(conn, outbox, envelope, exchange=EVENTS_EXCHANGE, routing_key=envelope["type"])`;
after commit the service's `OutboxRelay` publishes the row (publisher confirms) and deletes it,
so a committed change always goes out, at least once, even if RabbitMQ was down.

A consumer is idempotent: its handler opens a transaction, calls
`first_delivery(conn, inbox, "<consumer>", envelope["id"])` and applies the effect only when
that returns True. Redeliveries and duplicates then change nothing. A handler that raises is
retried later with back-off and, after the last attempt, parked in `<queue>.dlq`.
"""

from .broker import (
    CLOUDEVENTS_CONTENT_TYPE,
    PublishNotConfirmed,
    ServiceBroker,
    broker_ready,
    make_broker,
    publish_event,
    running_broker,
    start_broker,
)
from .consumer import (
    ATTEMPT_HEADER,
    LAST_ERROR_HEADER,
    ORIGINAL_EXCHANGE_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
    Envelope,
    Handler,
    attempt_of,
    subscribe,
)
from .inbox import (
    first_deliveries,
    first_delivery,
    inbox_table,
    pruning_deliveries,
)
from .outbox import OutboxEntry, OutboxRelay, add_all_to_outbox, add_to_outbox, outbox_table
from .topology import (
    COMMANDS_EXCHANGE,
    DEFAULT_RETRY_DELAYS,
    EVENTS_EXCHANGE,
    ServiceQueue,
    declare_exchanges,
    declare_service_queue,
    service_queue,
)

__all__ = [
    "ATTEMPT_HEADER",
    "CLOUDEVENTS_CONTENT_TYPE",
    "COMMANDS_EXCHANGE",
    "DEFAULT_RETRY_DELAYS",
    "EVENTS_EXCHANGE",
    "LAST_ERROR_HEADER",
    "ORIGINAL_EXCHANGE_HEADER",
    "ORIGINAL_ROUTING_KEY_HEADER",
    "Envelope",
    "Handler",
    "OutboxEntry",
    "OutboxRelay",
    "PublishNotConfirmed",
    "ServiceBroker",
    "ServiceQueue",
    "add_all_to_outbox",
    "add_to_outbox",
    "attempt_of",
    "broker_ready",
    "declare_exchanges",
    "declare_service_queue",
    "first_deliveries",
    "first_delivery",
    "inbox_table",
    "make_broker",
    "outbox_table",
    "pruning_deliveries",
    "publish_event",
    "running_broker",
    "service_queue",
    "start_broker",
    "subscribe",
]
