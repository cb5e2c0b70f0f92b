"""What exists on RabbitMQ: the two exchanges and each service's queue family.

A service queue `<service>.<purpose>` (quorum) comes with:

- `<service>.<purpose>.dlq` (quorum): where a message ends after its last failed attempt;
- one `<service>.<purpose>.retry.<delay>ms` quorum queue per back-off delay: no consumer, a
  queue-wide message TTL, and a dead-letter route back to `<service>.<purpose>` through the
  default exchange, so a delayed retry reaches only the queue whose handler failed.

Retry queues are named by their delay rather than by attempt number: RabbitMQ refuses to
redeclare a queue with other arguments, so changing the delays creates new queues instead of
failing at start (the old ones drain and can be deleted).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitQueue,
)
from faststream.rabbit.schemas.queue import QuorumQueueArgs

EVENTS_EXCHANGE = RabbitExchange("training.events", type=ExchangeType.TOPIC, durable=True)
COMMANDS_EXCHANGE = RabbitExchange("training.commands", type=ExchangeType.DIRECT, durable=True)
TRAINING_EXCHANGES = (EVENTS_EXCHANGE, COMMANDS_EXCHANGE)

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 10.0, 60.0, 300.0)
DEFAULT_DELIVERY_LIMIT = 20


@dataclass(frozen=True)
class ServiceQueue:
    """A service's durable queue with its dead-letter queue and its retry (delay) queues."""

    name: str
    exchange: RabbitExchange
    binding_keys: tuple[str, ...]
    retry_delays: tuple[float, ...]
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT

    def __post_init__(self) -> None:
        if not self.binding_keys:
            raise ValueError(f"{self.name}: at least one binding key is needed")
        if any(delay <= 0 for delay in self.retry_delays):
            raise ValueError(f"{self.name}: retry delays must be positive")

    @property
    def dead_letter_name(self) -> str:
        return f"{self.name}.dlq"

    @property
    def max_attempts(self) -> int:
        """Handler calls before a message goes to the dead-letter queue."""
        return len(self.retry_delays) + 1

    def retry_queue_name(self, failed_attempt: int) -> str:
        """Where a message waits after its `failed_attempt`-th (1-based) failure."""
        return self._retry_name(self.retry_delays[failed_attempt - 1])

    @cached_property
    def main(self) -> RabbitQueue:
        return RabbitQueue(
            self.name,
            QueueType.QUORUM,
            durable=True,
            routing_key=self.binding_keys[0],
            arguments={
                **_dead_lettering_to(self.dead_letter_name),
                # Bounds redeliveries that never reach our retry logic (a crashing consumer).
                "x-delivery-limit": self.delivery_limit,
            },
        )

    @cached_property
    def dead_letter(self) -> RabbitQueue:
        return RabbitQueue(self.dead_letter_name, QueueType.QUORUM, durable=True)

    @cached_property
    def retry_queues(self) -> tuple[RabbitQueue, ...]:
        unique = {self._retry_name(delay): delay for delay in self.retry_delays}
        return tuple(
            RabbitQueue(
                name,
                QueueType.QUORUM,
                durable=True,
                arguments={
                    **_dead_lettering_to(self.name),
                    "x-message-ttl": _milliseconds(delay),
                },
            )
            for name, delay in unique.items()
        )

    def _retry_name(self, delay: float) -> str:
        return f"{self.name}.retry.{_milliseconds(delay)}ms"


def service_queue(
    service: str,
    purpose: str,
    *,
    binding_keys: Sequence[str],
    exchange: RabbitExchange = EVENTS_EXCHANGE,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT,
) -> ServiceQueue:
    """The queue family `<service>.<purpose>`, bound to `exchange` with each binding key.

    Binding keys are routing-key patterns (`registration.#`) on `training.events`, or command
    names (`notification.send_confirmation`) on `training.commands`.
    """
    return ServiceQueue(
        name=f"{service}.{purpose}",
        exchange=exchange,
        binding_keys=tuple(binding_keys),
        retry_delays=tuple(retry_delays),
        delivery_limit=delivery_limit,
    )


async def declare_exchanges(broker: RabbitBroker) -> None:
    for exchange in TRAINING_EXCHANGES:
        await broker.declare_exchange(exchange)


async def declare_service_queue(
    broker: RabbitBroker, queue: ServiceQueue, consumer_channel: Channel | None = None
) -> None:
    """Declare the queue family and bind the main queue with every binding key (idempotent).

    The main queue is declared on the channel its consumer will use: FastStream reuses the
    first declaration of a queue, channel included.
    """
    await broker.declare_queue(queue.dead_letter)
    for retry_queue in queue.retry_queues:
        await broker.declare_queue(retry_queue)
    main = await broker.config.declarer.declare_queue(queue.main, channel=consumer_channel)
    exchange = await broker.declare_exchange(queue.exchange)
    for key in queue.binding_keys:
        await main.bind(exchange, routing_key=key, robust=True)


def _dead_lettering_to(queue_name: str) -> QuorumQueueArgs:
    # At-least-once dead-lettering keeps a message until the target queue has confirmed it;
    # RabbitMQ only honours it together with the reject-publish overflow policy.
    return {
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue_name,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))
