"""Wiring: settings → engine, broker and its consumers, routes."""

from fastapi import FastAPI

from notification import store
from notification.api import router
from notification.consumers import subscribe_consumers
from notification.service import Notifications
from shared.app import ServiceParts, build_app
from shared.db import make_engine, make_sessionmaker
from shared.messaging import make_broker
from shared.settings import ServiceSettings

SERVICE = "notification"


def create_app(settings: ServiceSettings) -> FastAPI:
    engine = make_engine(settings.database_url)
    broker = make_broker(settings.amqp_url, app_id=SERVICE)
    notifications = Notifications(make_sessionmaker(engine))
    subscribe_consumers(broker, notifications)
    return build_app(
        ServiceParts(
            name=SERVICE,
            settings=settings,
            engine=engine,
            broker=broker,
            routers=[router],
            idempotency_keys=store.idempotency_keys,
            state={"notifications": notifications},
        )
    )
