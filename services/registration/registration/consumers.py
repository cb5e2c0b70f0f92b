"""What registration hears: the catalog's sessions (a replica ordered by version) and the
`registration.register` command."""

import json
import logging
from typing import Any

from faststream.rabbit.message import RabbitMessage
from pydantic import ValidationError

from registration.service import (
    AlreadyHandled,
    RegistrationRequest,
    Registrations,
    problem_body,
)
from shared.auth import Principal
from shared.events import REGISTER, CloudEvent, RegisterCommand, SessionData
from shared.messaging import (
    COMMANDS_EXCHANGE,
    Envelope,
    ServiceBroker,
    service_queue,
    subscribe,
)
from shared.problems import Problem

SESSIONS_QUEUE = service_queue("registration", "sessions", binding_keys=["catalog.session.#"])
COMMANDS_QUEUE = service_queue(
    "registration", "commands", binding_keys=[REGISTER], exchange=COMMANDS_EXCHANGE
)
# Commands are decided in batches per session (registration.admission): enough in flight at
# once to fill a batch while the one before commits.
COMMANDS_PREFETCH = 500

log = logging.getLogger(__name__)


def subscribe_consumers(broker: ServiceBroker, registrations: Registrations) -> None:
    async def on_catalog_session(envelope: Envelope, _: RabbitMessage) -> None:
        """catalog.session.* → the session replica (stale or replayed versions change nothing)."""
        event = CloudEvent.model_validate(envelope)
        data = SessionData.model_validate(event.data)
        await registrations.replicate_session(event.id, event.type, data)

    async def on_register(envelope: Envelope, message: RabbitMessage) -> None:
        """registration.register → the same use case as POST /api/registrations."""
        answer = await _register(registrations, envelope)
        if answer is not None and message.reply_to:
            await broker.publish(
                json.dumps(answer).encode(),
                routing_key=message.reply_to,
                correlation_id=message.correlation_id,
                content_type="application/json",
                persist=True,
            )

    subscribe(broker, SESSIONS_QUEUE, on_catalog_session)
    subscribe(broker, COMMANDS_QUEUE, on_register, prefetch=COMMANDS_PREFETCH)


async def _register(registrations: Registrations, envelope: Envelope) -> dict[str, Any] | None:
    try:
        event = CloudEvent.model_validate(envelope)
        command = RegisterCommand.model_validate(event.data)
    except ValidationError as error:  # can never succeed: answer, do not retry
        errors = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in error.errors()]
        problem = Problem(422, "Invalid request", "The command is not valid.")
        return {"status": 422, "body": {**problem_body(problem), "errors": errors}}
    principal = Principal.model_validate(command.principal.model_dump())
    request = RegistrationRequest(command.session_id, command.user, command.force)
    try:
        registration = await registrations.register(principal, request, delivery_id=event.id)
    except AlreadyHandled:
        learner = command.user.id if command.user else principal.sub
        current = await registrations.current_registration(command.session_id, learner)
        if current is None:
            return None
        return {"status": 201, "body": current.model_dump(mode="json")}
    except Problem as problem:
        return {"status": problem.status, "body": problem_body(problem)}
    return {"status": 201, "body": registration.model_dump(mode="json")}
