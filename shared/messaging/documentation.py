"""What a service publishes, described in its AsyncAPI document.

The outbox relay publishes; FastStream only knows publishers it was told about. These publishers
are descriptions: nothing is ever published through them.
"""

from collections.abc import Iterable

from faststream.rabbit import RabbitBroker, RabbitExchange
from pydantic import create_model

from shared.events import DATA_MODELS, CloudEvent


def document_published(
    broker: RabbitBroker, types: Iterable[str], exchange: RabbitExchange
) -> None:
    """One AsyncAPI channel per event or command type: its CloudEvents envelope and data."""
    for type_ in types:
        data_model = DATA_MODELS[type_]
        envelope = create_model(
            "".join(part.title() for part in type_.replace("_", ".").split(".")),
            __base__=CloudEvent,
            data=(data_model, ...),
        )
        broker.publisher(
            type_,
            exchange=exchange,
            persist=True,
            title=type_,
            description=f"CloudEvents envelope; `data` is the whole {data_model.__name__}.",
            schema=envelope,
        )
