"""What registration hears of the catalog's events (séances), curricula and trainings: replicas
ordered by version, fed by their own queues."""

from faststream.rabbit.message import RabbitMessage

from registration.use_cases.curricula import Curricula
from registration.use_cases.event_registrations import EventRegistrations
from registration.use_cases.trainings import Trainings
from shared.events import CloudEvent, CurriculumData, EventData, TrainingData
from shared.messaging import Envelope, ServiceBroker, service_queue, subscribe

EVENTS_QUEUE = service_queue("registration", "events", binding_keys=["catalog.event.#"])
CURRICULA_QUEUE = service_queue("registration", "curricula", binding_keys=["catalog.curriculum.#"])
TRAININGS_QUEUE = service_queue("registration", "trainings", binding_keys=["catalog.training.#"])


def subscribe_catalog_replicas(
    broker: ServiceBroker, events: EventRegistrations, curricula: Curricula, trainings: Trainings
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

    async def on_catalog_training(envelope: Envelope, _: RabbitMessage) -> None:
        """catalog.training.* → the training replica (the code and title documents print)."""
        event = CloudEvent.model_validate(envelope)
        data = TrainingData.model_validate(event.data)
        await trainings.replicate_training(event.id, event.type, data)

    subscribe(broker, EVENTS_QUEUE, on_catalog_event)
    subscribe(broker, CURRICULA_QUEUE, on_catalog_curriculum)
    subscribe(broker, TRAININGS_QUEUE, on_catalog_training)
