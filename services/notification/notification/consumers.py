"""What notification hears: catalog sessions and events (replicas), registration and event
registration facts (told to learners and validators), and registration's commands
(send_confirmation, certificate_available) on one queue.

The registration facts, thousands a minute at a peak of enrollment, are consumed in batches
(`subscribe_batches`): whatever the channel delivered together is told in one transaction
(`registration_facts`), and acked at once; a fact that fails is retried on its own.
"""

from collections.abc import Awaitable, Callable, Sequence

from faststream.rabbit.message import RabbitMessage
from pydantic import ValidationError

from notification.use_cases import Notifications
from notification.use_cases.facts import (
    CONFIRMATIONS,
    EVENT_REGISTRATIONS,
    EVENTS,
    REGISTRATIONS,
    SESSIONS,
)
from notification.use_cases.registration_facts import Heard
from shared.events import CERTIFICATE_AVAILABLE, SEND_CONFIRMATION, CloudEvent
from shared.messaging import (
    COMMANDS_EXCHANGE,
    Envelope,
    ServiceBroker,
    ServiceQueue,
    attempt_of,
    service_queue,
    subscribe,
)
from shared.messaging.batches import (
    BatchConsumer,
    Delivery,
    Outcomes,
    Trace,
    subscribe_batches,
    traced,
)
from shared.messaging.consumer import Rejected

REGISTRATIONS_QUEUE = service_queue(
    "notification", "registrations", binding_keys=["registration.#"]
)
EVENT_REGISTRATIONS_QUEUE = service_queue(
    "notification", "event-registrations", binding_keys=["event_registration.#"]
)
SESSIONS_QUEUE = service_queue("notification", "sessions", binding_keys=["catalog.session.#"])
EVENTS_QUEUE = service_queue("notification", "events", binding_keys=["catalog.event.#"])
CONFIRMATIONS_QUEUE = service_queue(
    "notification",
    "confirmations",
    binding_keys=[SEND_CONFIRMATION, CERTIFICATE_AVAILABLE],
    exchange=COMMANDS_EXCHANGE,
)
# each queue's name is also its consumer's name in the inbox table
assert REGISTRATIONS_QUEUE.name == REGISTRATIONS
assert EVENT_REGISTRATIONS_QUEUE.name == EVENT_REGISTRATIONS
assert SESSIONS_QUEUE.name == SESSIONS
assert EVENTS_QUEUE.name == EVENTS
assert CONFIRMATIONS_QUEUE.name == CONFIRMATIONS

# enough in flight to fill a batch while the one before commits
REGISTRATIONS_PREFETCH = 500

Fact = Callable[..., Awaitable[None]]


def _with_retries(
    queue: ServiceQueue, use_case: Fact
) -> Callable[[Envelope, RabbitMessage], Awaitable[None]]:
    """A fact that names a session or event we do not know yet is retried with the queue's
    back-off; on its last attempt it is told with what we know."""

    async def handle(envelope: Envelope, message: RabbitMessage) -> None:
        last_chance = attempt_of(message) >= queue.max_attempts
        await use_case(CloudEvent.model_validate(envelope), last_chance=last_chance)

    handle.__name__ = getattr(use_case, "__name__", queue.name)
    handle.__doc__ = use_case.__doc__
    return handle


def subscribe_consumers(broker: ServiceBroker, notifications: Notifications) -> BatchConsumer:
    """Subscribe the consumers; return the one of registration facts for the lifespan to run."""

    async def on_session(envelope: Envelope, _: RabbitMessage) -> None:
        """catalog.session.* → the session replica; cancellation and new dates told."""
        await notifications.replicate_session(CloudEvent.model_validate(envelope))

    async def on_event(envelope: Envelope, _: RabbitMessage) -> None:
        """catalog.event.* → the event replica."""
        await notifications.replicate_event(CloudEvent.model_validate(envelope))

    subscribe(broker, SESSIONS_QUEUE, on_session)
    subscribe(broker, EVENTS_QUEUE, on_event)

    async def on_registration_facts(
        deliveries: Sequence[Delivery], traces: Sequence[Trace]
    ) -> Outcomes:
        """registration.* → the roster and contacts, then the learners' (and validators')
        notices."""
        outcomes: list[Exception | None] = [None] * len(deliveries)
        heard: list[Heard] = []
        told: list[int] = []
        for n, ((envelope, message), trace) in enumerate(zip(deliveries, traces, strict=True)):
            try:
                event = CloudEvent.model_validate(envelope)
            except ValidationError as error:  # retried, then parked, as before
                outcomes[n] = error
                continue
            last_chance = attempt_of(message) >= REGISTRATIONS_QUEUE.max_attempts
            heard.append(Heard(event, last_chance, trace))
            told.append(n)
        for n, outcome in zip(told, await notifications.on_registration_facts(heard), strict=True):
            outcomes[n] = outcome
        return outcomes

    subscribe(
        broker,
        EVENT_REGISTRATIONS_QUEUE,
        _with_retries(EVENT_REGISTRATIONS_QUEUE, notifications.on_event_registration_fact),
    )
    commands: dict[str, Fact] = {
        SEND_CONFIRMATION: notifications.send_confirmation,
        CERTIFICATE_AVAILABLE: notifications.certificate_available,
    }

    async def on_command(event: CloudEvent, *, last_chance: bool = True) -> None:
        """notification.send_confirmation → the link to confirm; notification.certificate_available
        → the link to the certificate."""
        if (carry_out := commands.get(event.type)) is None:
            raise Rejected(f"not a command of notification's: {event.type}")
        await carry_out(event, last_chance=last_chance)

    subscribe(broker, CONFIRMATIONS_QUEUE, _with_retries(CONFIRMATIONS_QUEUE, on_command))
    return subscribe_batches(
        broker,
        REGISTRATIONS_QUEUE,
        traced(REGISTRATIONS_QUEUE.name, on_registration_facts),
        prefetch=REGISTRATIONS_PREFETCH,
    )
