"""What registration hears of the catalog's events (séances) and curricula: replicas ordered
by version, fed by their own queues."""

from faststream.rabbit.message import RabbitMessage

from registration.use_cases.curricula import Curricula
from registration.use_cases.event_registrations import EventRegistrations
from shared.events import CloudEvent, CurriculumData, EventData
from shared.messaging import Envelope, ServiceBroker, service_queue, subscribe

EVENTS_QUEUE = service_queue("registration", "events", binding_keys=["catalog.event.#"])
CURRICULA_QUEUE = service_queue("registration", "curricula", binding_keys=["catalog.curriculum.#"])


def subscribe_catalog_replicas(
    broker: ServiceBroker, events: EventRegistrations, curricula: Curricula
) -> None:
    async def on_catalog_event(envelope: Envelope, _: RabbitMessage) -> None:
        """catalog.event.* → the event replica (auto registrations, event_deleted)."""
        event = CloudEvent.model_validate(envelope)
        await events.replicate_event(event.id, event.type, EventData.model_validate(event.data))

    async def on_catalog_curriculum(envelope: Envelope, _: RabbitMessage) -> None:
        """catalog.curriculum.* → the curriculum tree replica."""
        event = CloudEvent.model_validate(envelope)
        data = CurriculumData.model_validate(event.data)
        await curricula.replicate_curriculum(event.id, event.type, data)

    subscribe(broker, EVENTS_QUEUE, on_catalog_event)
    subscribe(broker, CURRICULA_QUEUE, on_catalog_curriculum)
