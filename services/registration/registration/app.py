"""Wiring: settings → engine, broker and its consumers, outbox relay, expiry rounds, routes."""

from fastapi import FastAPI

from registration import store
from registration.api import (
    answers,
    attendance,
    attendance_reports,
    certificates,
    curriculum_registrations,
    event_registrations,
    registrations,
    seats,
)
from registration.catalog_replicas import subscribe_catalog_replicas
from registration.consumers import subscribe_consumers
from registration.expiry import ExpiryRounds
from registration.use_cases.certificates import Certificates
from registration.use_cases.curricula import Curricula
from registration.use_cases.event_registrations import EventRegistrations
from registration.use_cases.presences import Presences
from registration.use_cases.registrations import Registrations
from registration.use_cases.reports import Reports
from registration.use_cases.trainings import Trainings
from shared.app import ServiceParts, build_app
from shared.auth import TokenVerifier
from shared.db import make_engine, make_sessionmaker
from shared.events import (
    ATTENDANCE_EVENTS,
    EVENT_REGISTRATION_EVENTS,
    REGISTRATION_COMMANDS,
    REGISTRATION_EVENTS,
)
from shared.messaging import COMMANDS_EXCHANGE, EVENTS_EXCHANGE, OutboxRelay, make_broker
from shared.messaging.documentation import document_published
from shared.settings import ServiceSettings

SERVICE = "registration"


def create_app(settings: ServiceSettings) -> FastAPI:
    engine = make_engine(settings.database_url)
    broker = make_broker(settings.amqp_url, app_id=SERVICE)
    document_published(
        broker,
        (*REGISTRATION_EVENTS, *EVENT_REGISTRATION_EVENTS, *ATTENDANCE_EVENTS),
        EVENTS_EXCHANGE,
    )
    document_published(broker, REGISTRATION_COMMANDS, COMMANDS_EXCHANGE)
    relay = OutboxRelay(engine, store.outbox, broker, name=f"{SERVICE}-outbox")
    sessions = make_sessionmaker(engine)
    # what a session registration sets off in event registrations, and an event's attendance
    # in its session's completion: use_cases/follow_ups.py
    session_registrations = Registrations(sessions)
    event_registration_cases = EventRegistrations(sessions)
    curricula = Curricula(sessions, session_registrations)
    presences = Presences(sessions, settings.public_url)
    trainings = Trainings(sessions)
    reports = Reports(sessions)
    certificate_cases = Certificates(sessions, settings.public_url)

    def verifier() -> TokenVerifier:
        """HTTP's own verifier: a command's token is checked exactly as a request's."""
        http_verifier: TokenVerifier = app.state.token_verifier
        return http_verifier

    commands = subscribe_consumers(broker, session_registrations, verifier)
    subscribe_catalog_replicas(broker, event_registration_cases, curricula, trainings)
    app = build_app(
        ServiceParts(
            name=SERVICE,
            settings=settings,
            engine=engine,
            broker=broker,
            routers=[
                registrations.router,
                seats.router,
                answers.router,
                event_registrations.router,
                curriculum_registrations.router,
                attendance.router,
                attendance_reports.router,
                certificates.router,
            ],
            idempotency_keys=store.idempotency_keys,
            inbox=store.inbox,
            background=[
                lambda: relay,
                lambda: commands,
                lambda: ExpiryRounds(session_registrations),
            ],
            readiness={"command consumer": lambda: commands.ready},
            state={
                "registrations": session_registrations,
                "event_registrations": event_registration_cases,
                "curricula": curricula,
                "presences": presences,
                "trainings": trainings,
                "reports": reports,
                "certificates": certificate_cases,
            },
        )
    )
    return app
