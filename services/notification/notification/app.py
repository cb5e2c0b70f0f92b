"""Wiring: settings → engine, broker and its consumers, the sender and reminder loops, routes."""

from fastapi import FastAPI

from notification import tables
from notification.api import personal
from notification.api.routes import router
from notification.consumers import subscribe_consumers
from notification.mailer import transport_for
from notification.redaction import redact_secret_paths
from notification.reminder_scheduler import ReminderScheduler
from notification.sender import DeliverySender, RetryPolicy
from notification.settings import NotificationSettings
from notification.use_cases import Notifications
from notification.use_cases.notices import Letterhead
from shared.app import ServiceParts, build_app
from shared.db import make_engine, make_sessionmaker, plain_url
from shared.messaging import make_broker
from shared.settings import ServiceSettings

SERVICE = "notification"


def create_app(settings: ServiceSettings) -> FastAPI:
    config = (
        settings
        if isinstance(settings, NotificationSettings)
        else NotificationSettings.model_validate(settings.model_dump())
    )
    redact_secret_paths()
    engine = make_engine(config.database_url)
    sessions = make_sessionmaker(engine)
    broker = make_broker(config.amqp_url, app_id=SERVICE)
    letterhead = Letterhead.of(
        public_url=config.public_url, mail_from=config.mail_from, link_key=config.link_key
    )
    notifications = Notifications(sessions, letterhead)
    sender = DeliverySender(
        sessions,
        transport_for(config.smtp_url, timeout=config.smtp_timeout_seconds),
        RetryPolicy(
            max_attempts=config.send_max_attempts,
            base=config.send_backoff_seconds,
            cap=config.send_backoff_max_seconds,
        ),
        sender_address=config.mail_from,
        listen_dsn=plain_url(config.database_url),
        batch_size=config.send_batch_size,
        poll_interval=config.send_poll_seconds,
        links=letterhead.links,
    )
    scheduler = ReminderScheduler(sessions, letterhead, poll_interval=config.reminder_poll_seconds)
    registration_facts = subscribe_consumers(broker, notifications)
    return build_app(
        ServiceParts(
            name=SERVICE,
            settings=config,
            engine=engine,
            broker=broker,
            routers=[router, personal.router, personal.public],
            idempotency_keys=tables.idempotency_keys,
            inbox=tables.inbox,
            background=[lambda: registration_facts, sender.running, scheduler.running],
            readiness={"registration facts consumer": lambda: registration_facts.ready},
            state={"notifications": notifications, "sender": sender, "scheduler": scheduler},
        )
    )
