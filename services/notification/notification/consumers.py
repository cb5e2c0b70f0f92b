"""What notification hears: registration facts, each told to its learner once."""

from faststream.rabbit.message import RabbitMessage

from notification.service import Notifications
from shared.events import CloudEvent
from shared.messaging import Envelope, ServiceBroker, service_queue, subscribe

REGISTRATIONS_QUEUE = service_queue(
    "notification", "registrations", binding_keys=["registration.#"]
)


def subscribe_consumers(broker: ServiceBroker, notifications: Notifications) -> None:
    async def on_registration_fact(envelope: Envelope, _: RabbitMessage) -> None:
        """registration.* → the learner's inbox message (once per fact, recipient, channel)."""
        await notifications.tell_learner(CloudEvent.model_validate(envelope))

    subscribe(broker, REGISTRATIONS_QUEUE, on_registration_fact)
