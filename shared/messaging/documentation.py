"""What a service publishes and consumes, described in its AsyncAPI document.

The outbox relay publishes; FastStream only knows publishers it was told about. These publishers
are descriptions: nothing is ever published through them.

FastStream writes the document from its publishers and subscribers; `render_asyncapi` then
says what FastStream cannot:

- every message is a CloudEvent in structured mode, `application/cloudevents+json`;
- a subscribed queue's exchange and binding keys. AMQP channel bindings 0.3.0 make a channel
  either a queue or a routing key on an exchange, never both (asyncapi/bindings#233), so a queue
  channel keeps its standard `queue` and names the exchange (same fields as a routing-key
  channel's `exchange`) and its binding keys in the extensions `x-exchange` and `x-bindingKeys`;
- what a subscribed queue carries: the envelopes of the known types its binding keys match
  (FastStream only sees the handler, which takes the raw message).
"""

import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange
from faststream.specification import AsyncAPI
from pydantic import create_model

from shared.events import (
    CLOUDEVENTS_CONTENT_TYPE,
    DATA_MODELS,
    REGISTER,
    REGISTRATION_COMMANDS,
    CloudEvent,
)

from .broker import ServiceBroker
from .topology import COMMANDS_EXCHANGE, ServiceQueue

Document = dict[str, Any]

COMMANDS = (*REGISTRATION_COMMANDS, REGISTER)
"""The types that travel on `training.commands`; every other known type is an event."""

_SCHEMAS_REF = "#/components/schemas/"


def document_published(
    broker: RabbitBroker, types: Iterable[str], exchange: RabbitExchange
) -> None:
    """One AsyncAPI channel per event or command type: its CloudEvents envelope and data.

    Persistent, and mandatory on `training.commands` only, as `publish_event` sends them.
    """
    for type_ in types:
        broker.publisher(
            type_,
            exchange=exchange,
            persist=True,
            mandatory=exchange.name == COMMANDS_EXCHANGE.name,
            title=type_,
            description=f"CloudEvents envelope; `data` is the whole {DATA_MODELS[type_].__name__}.",
            schema=envelope_model(type_),
        )


@cache
def envelope_model(type_: str) -> type[CloudEvent]:
    """The CloudEvents envelope of `type_` with its data model (`CatalogSessionCreated`)."""
    return create_model(
        "".join(part.title() for part in type_.replace("_", ".").split(".")),
        __base__=CloudEvent,
        data=(DATA_MODELS[type_], ...),
    )


def render_asyncapi(asyncapi: AsyncAPI) -> Document:
    """FastStream's AsyncAPI document, completed with what it cannot say (see the module)."""
    document: Document = asyncapi.to_specification().to_jsonable()
    document["defaultContentType"] = CLOUDEVENTS_CONTENT_TYPE
    queues = [queue for broker in asyncapi.brokers for queue in _service_queues(broker)]
    for queue in queues:
        _describe_subscribed(document, queue)
    for message in document.get("components", {}).get("messages", {}).values():
        message["contentType"] = CLOUDEVENTS_CONTENT_TYPE
    return document


def received_types(queue: ServiceQueue) -> list[str]:
    """The known event or command types that reach `queue` through its bindings."""
    on_commands = queue.exchange.name == COMMANDS_EXCHANGE.name
    types = [type_ for type_ in DATA_MODELS if (type_ in COMMANDS) == on_commands]
    if queue.exchange.type != ExchangeType.TOPIC:
        return [type_ for type_ in types if type_ in queue.binding_keys]
    patterns = [key.split(".") for key in queue.binding_keys]
    return [t for t in types if any(_topic_matches(p, t.split(".")) for p in patterns)]


def _service_queues(broker: object) -> Iterator[ServiceQueue]:
    if isinstance(broker, ServiceBroker):
        yield from (queue for queue, _channel in broker.service_queues)


def _describe_subscribed(document: Document, queue: ServiceQueue) -> None:
    channel = document["channels"][queue.name]
    binding = channel["bindings"]["amqp"]
    binding["x-exchange"] = {
        "name": queue.exchange.name,
        "type": queue.exchange.type.value,
        "durable": queue.exchange.durable,
        "autoDelete": queue.exchange.auto_delete,
        "vhost": binding["queue"].get("vhost", "/"),
    }
    binding["x-bindingKeys"] = list(queue.binding_keys)
    document["operations"][queue.name]["bindings"]["amqp"]["cc"] = list(queue.binding_keys)

    models = [envelope_model(type_) for type_ in received_types(queue)] or [CloudEvent]
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        _add_schema(schemas, model)
    refs = [{"$ref": _SCHEMAS_REF + model.__name__} for model in models]
    for reference in channel["messages"].values():
        name = reference["$ref"].removeprefix("#/components/messages/")
        message = document["components"]["messages"][name]
        replaced = message["payload"]
        message["payload"] = refs[0] if len(refs) == 1 else {"oneOf": refs}
        _drop_if_unused(document, replaced)


def _add_schema(schemas: Document, model: type[CloudEvent]) -> None:
    schema = model.model_json_schema(ref_template=_SCHEMAS_REF + "{model}")
    for name, definition in {**schema.pop("$defs", {}), model.__name__: schema}.items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are both named {name!r}")


def _drop_if_unused(document: Document, payload: Document) -> None:
    """Forget the schema FastStream made up for a payload (`EmptyPayload`) once unused."""
    name = str(payload.get("$ref", "")).removeprefix(_SCHEMAS_REF)
    if name and json.dumps(_SCHEMAS_REF + name) not in json.dumps(document):
        document["components"]["schemas"].pop(name, None)


def _topic_matches(pattern: Sequence[str], words: Sequence[str]) -> bool:
    """AMQP topic matching, word by word: `*` is one word, `#` zero or more."""
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_topic_matches(rest, words[skip:]) for skip in range(len(words) + 1))
    return bool(words) and head in ("*", words[0]) and _topic_matches(rest, words[1:])
