"""Wiring: settings → engine, broker, outbox relay, routes."""

from fastapi import FastAPI

from catalog import store
from catalog.api import comments, curricula, events, sessions, trainings
from shared.app import ServiceParts, build_app
from shared.db import make_engine, make_sessionmaker
from shared.events import CURRICULUM_EVENTS, EVENT_EVENTS, SESSION_EVENTS, TRAINING_EVENTS
from shared.messaging import EVENTS_EXCHANGE, OutboxRelay, make_broker
from shared.messaging.documentation import document_published
from shared.settings import ServiceSettings

SERVICE = "catalog"
PUBLISHED = (*TRAINING_EVENTS, *SESSION_EVENTS, *EVENT_EVENTS, *CURRICULUM_EVENTS)


def create_app(settings: ServiceSettings) -> FastAPI:
    engine = make_engine(settings.database_url)
    broker = make_broker(settings.amqp_url, app_id=SERVICE)
    document_published(broker, PUBLISHED, EVENTS_EXCHANGE)
    relay = OutboxRelay(engine, store.outbox, broker, name=f"{SERVICE}-outbox")
    return build_app(
        ServiceParts(
            name=SERVICE,
            settings=settings,
            engine=engine,
            broker=broker,
            routers=[
                trainings.router,
                sessions.router,
                events.router,
                comments.router,
                curricula.router,
            ],
            idempotency_keys=store.idempotency_keys,
            background=[lambda: relay],
            # what the routes open their transactions on (catalog.api.deps)
            state={"database": make_sessionmaker(engine)},
        )
    )
