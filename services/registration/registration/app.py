"""Wiring: settings → engine, broker and its consumers, outbox relay, expiry rounds, routes."""

from fastapi import FastAPI

from registration import store
from registration.api import router
from registration.consumers import subscribe_consumers
from registration.expiry import ExpiryRounds
from registration.service import Registrations
from shared.app import ServiceParts, build_app
from shared.db import make_engine, make_sessionmaker
from shared.messaging import OutboxRelay, make_broker
from shared.settings import ServiceSettings

SERVICE = "registration"


def create_app(settings: ServiceSettings) -> FastAPI:
    engine = make_engine(settings.database_url)
    broker = make_broker(settings.amqp_url, app_id=SERVICE)
    relay = OutboxRelay(engine, store.outbox, broker, name=f"{SERVICE}-outbox")
    registrations = Registrations(make_sessionmaker(engine))
    subscribe_consumers(broker, registrations)
    return build_app(
        ServiceParts(
            name=SERVICE,
            settings=settings,
            engine=engine,
            broker=broker,
            routers=[router],
            idempotency_keys=store.idempotency_keys,
            background=[lambda: relay, lambda: ExpiryRounds(registrations)],
            state={"registrations": registrations},
        )
    )
