"""Wiring: settings → engine, broker, outbox relay, routes."""

from fastapi import FastAPI
from faststream.rabbit import RabbitBroker
from pydantic import create_model

from catalog import store
from catalog.api import router
from catalog.service import Catalog
from shared.app import ServiceParts, build_app
from shared.db import make_engine, make_sessionmaker
from shared.events import (
    CURRICULUM_EVENTS,
    DATA_MODELS,
    EVENT_EVENTS,
    SESSION_EVENTS,
    TRAINING_EVENTS,
    CloudEvent,
)
from shared.messaging import EVENTS_EXCHANGE, OutboxRelay, make_broker
from shared.settings import ServiceSettings

SERVICE = "catalog"
PUBLISHED = (*TRAINING_EVENTS, *SESSION_EVENTS, *EVENT_EVENTS, *CURRICULUM_EVENTS)


def create_app(settings: ServiceSettings) -> FastAPI:
    engine = make_engine(settings.database_url)
    broker = make_broker(settings.amqp_url, app_id=SERVICE)
    _document_published_events(broker)
    relay = OutboxRelay(engine, store.outbox, broker, name=f"{SERVICE}-outbox")
    return build_app(
        ServiceParts(
            name=SERVICE,
            settings=settings,
            engine=engine,
            broker=broker,
            routers=[router],
            idempotency_keys=store.idempotency_keys,
            background=[lambda: relay],
            state={"catalog": Catalog(make_sessionmaker(engine))},
        )
    )


def _document_published_events(broker: RabbitBroker) -> None:
    """The AsyncAPI document lists what the outbox relay publishes; these publishers are
    descriptions only, nothing publishes through them."""
    for type_ in PUBLISHED:
        data_model = DATA_MODELS[type_]
        envelope = create_model(
            "".join(part.title() for part in type_.split(".")),
            __base__=CloudEvent,
            data=(data_model, ...),
        )
        broker.publisher(
            type_,
            exchange=EVENTS_EXCHANGE,
            persist=True,
            title=type_,
            description=f"CloudEvents envelope; `data` is the whole {data_model.__name__}.",
            schema=envelope,
        )
