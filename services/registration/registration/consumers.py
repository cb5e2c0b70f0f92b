"""What registration hears: the catalog's sessions, kept as a replica ordered by version."""

from faststream.rabbit.message import RabbitMessage

from registration.service import Registrations
from shared.events import CloudEvent, SessionData
from shared.messaging import Envelope, ServiceBroker, service_queue, subscribe

SESSIONS_QUEUE = service_queue("registration", "sessions", binding_keys=["catalog.session.#"])


def subscribe_consumers(broker: ServiceBroker, registrations: Registrations) -> None:
    async def on_catalog_session(envelope: Envelope, _: RabbitMessage) -> None:
        """catalog.session.* → the session replica (stale or replayed versions change nothing)."""
        event = CloudEvent.model_validate(envelope)
        await registrations.replicate_session(event.id, SessionData.model_validate(event.data))

    subscribe(broker, SESSIONS_QUEUE, on_catalog_session)
