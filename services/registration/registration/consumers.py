"""What registration hears: the catalog's sessions (a replica ordered by version) and the
`registration.register` command.

Commands are consumed in batches (`subscribe_batches`): the deliveries for one session go to
the batcher as one batch, their replies are published together and confirmed together, then
the deliveries are acked together. A command acts for the caller whose bearer token is in its
`authorization` header, verified by the verifier HTTP uses; nothing in its body says who acts.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import aiormq
from aio_pika.abc import AbstractIncomingMessage
from faststream.rabbit.message import RabbitMessage
from pydantic import ValidationError

from registration.admission import Outcome
from registration.use_cases.admission import AlreadyHandled, Applicant, RegistrationRequest
from registration.use_cases.registrations import Registrations
from shared.auth import Principal, TokenVerifier, verify_authorization
from shared.events import REGISTER, CloudEvent, RegisterCommand, Registration, SessionData
from shared.messaging import (
    COMMANDS_EXCHANGE,
    Envelope,
    ServiceBroker,
    service_queue,
    subscribe,
)
from shared.messaging.batches import BatchConsumer, Delivery, subscribe_batches
from shared.messaging.confirms import ConfirmChannel, Outgoing
from shared.messaging.consumer import Rejected
from shared.problems import Problem, body_of, problem_of
from shared.refusals import Refusal
from shared.tracing import context_of

SESSIONS_QUEUE = service_queue("registration", "sessions", binding_keys=["catalog.session.#"])
COMMANDS_QUEUE = service_queue(
    "registration", "commands", binding_keys=[REGISTER], exchange=COMMANDS_EXCHANGE
)
# Commands are decided in batches per session (registration.admission): enough in flight at
# once to fill a batch while the one before commits.
COMMANDS_PREFETCH = 500
# What a command's reply carries: the registration (201) or the problem.
Answer = Registration | Problem | Refusal
# The AMQP header with the caller's `Bearer <JWT>` (header names are case-sensitive in AMQP).
AUTHORIZATION_HEADER = "authorization"

log = logging.getLogger(__name__)


def subscribe_consumers(
    broker: ServiceBroker, registrations: Registrations, verifier: Callable[[], TokenVerifier]
) -> BatchConsumer:
    """Subscribe the session replica; return the command consumer for the lifespan to run.

    `verifier` gives the app's token verifier (the app is built after its consumers)."""

    async def on_catalog_session(envelope: Envelope, _: RabbitMessage) -> None:
        """catalog.session.* → the session replica (stale or replayed versions change nothing)."""
        event = CloudEvent.model_validate(envelope)
        data = SessionData.model_validate(event.data)
        await registrations.replicate_session(event.id, event.type, data)

    replies = ConfirmChannel(
        broker.amqp_url, name="registration.replies", confirm_timeout=REPLY_TIMEOUT_S
    )

    async def on_register(deliveries: Sequence[Delivery]) -> list[Exception | None]:
        """registration.register → the same use case as POST /api/registrations."""
        return await _register_all(registrations, verifier(), replies, deliveries)

    subscribe(broker, SESSIONS_QUEUE, on_catalog_session)
    return subscribe_batches(
        broker, COMMANDS_QUEUE, on_register, prefetch=COMMANDS_PREFETCH, on_stop=replies.close
    )


REPLY_TIMEOUT_S = 10.0


async def _register_all(
    registrations: Registrations,
    verifier: TokenVerifier,
    replies: ConfirmChannel,
    deliveries: Sequence[Delivery],
) -> list[Exception | None]:
    """Decide every command of the deliveries (a batch per session), then answer each reply
    queue; a delivery fails (and is retried) only when its decision or its reply did. A command
    refused without a reply queue is `Rejected`: the DLQ keeps it with its reason."""
    answers: list[Answer | None] = [None] * len(deliveries)
    failures: list[Exception | None] = [None] * len(deliveries)
    by_session: dict[uuid.UUID, list[tuple[int, Applicant]]] = {}
    callers = await _callers(verifier, deliveries)
    for n, ((envelope, _), caller) in enumerate(zip(deliveries, callers, strict=True)):
        parsed = _applicant(envelope, caller)
        if isinstance(parsed, Problem):
            answers[n] = parsed
        else:
            by_session.setdefault(parsed.request.session_id, []).append((n, parsed))
    decided = await asyncio.gather(
        *(
            registrations.register_all(session_id, [a for _, a in waiting])
            for session_id, waiting in by_session.items()
        )
    )
    for waiting, outcomes in zip(by_session.values(), decided, strict=True):
        for (n, applicant), outcome in zip(waiting, outcomes, strict=True):
            try:
                answers[n] = await _answer(registrations, applicant, outcome)
            except Exception as error:
                failures[n] = error
    sent: list[tuple[int, Answer]] = []
    for n, answer in enumerate(answers):
        if answer is None:
            continue
        if deliveries[n][1].reply_to:
            sent.append((n, answer))
        elif isinstance(answer, Problem | Refusal):
            failures[n] = _unanswered(answer)
    confirmed = await replies.publish_all([_reply(a, deliveries[n][1]) for n, a in sent])
    for (n, _), failure in zip(sent, confirmed, strict=True):
        failures[n] = failures[n] or failure
    return failures


async def _callers(
    verifier: TokenVerifier, deliveries: Sequence[Delivery]
) -> list[Principal | Problem]:
    """Who sent each command, or the 401 its token earns. Each distinct token is verified once
    per batch: a platform's bulk enrolment sends many commands with the same one."""
    verified: dict[str, Principal | Problem] = {}
    callers = []
    for _, message in deliveries:
        authorization = _authorization(message)
        if authorization not in verified:
            try:
                verified[authorization] = await verify_authorization(verifier, authorization)
            except Problem as refused:
                verified[authorization] = refused
        callers.append(verified[authorization])
    return callers


def _authorization(message: AbstractIncomingMessage) -> str:
    """The `authorization` header as text; '' (no token) when absent or not a string."""
    value = (message.headers or {}).get(AUTHORIZATION_HEADER)
    if isinstance(value, bytes | bytearray):
        return value.decode(errors="replace")
    return value if isinstance(value, str) else ""


def _applicant(envelope: Envelope, caller: Principal | Problem) -> Applicant | Problem:
    """The command's applicant, the caller's 401 (before the body is read, as on HTTP), or the
    422 of a command that can never succeed."""
    if isinstance(caller, Problem):
        return caller
    try:
        event = CloudEvent.model_validate(envelope)
        command = RegisterCommand.model_validate(event.data)
    except ValidationError as error:
        errors = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in error.errors()]
        detail = "The command is not valid."
        return Problem(422, "Invalid request", detail, extra={"errors": errors})
    request = RegistrationRequest(command.session_id, command.user, command.force, command.answers)
    return Applicant(caller, request, event.id, trace=context_of(envelope))


async def _answer(
    registrations: Registrations, applicant: Applicant, outcome: Outcome
) -> Answer | None:
    if isinstance(outcome, AlreadyHandled):
        # a redelivery: answered with the learner's current registration, nothing changed
        request = applicant.request
        learner = request.user.id if request.user else applicant.actor.sub
        return await registrations.current_registration(request.session_id, learner)
    if isinstance(outcome, Refusal | Problem):
        return outcome
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _unanswered(answer: Problem | Refusal) -> Exception:
    """A refusal nobody hears: a 4xx can never succeed (to the DLQ at once), a 5xx may."""
    problem = problem_of(answer) if isinstance(answer, Refusal) else answer
    if problem.status >= 500:
        return problem
    # the fields at fault and why, never their values: the DLQ is no place for learners' data
    errors = problem.extra.get("errors") or []
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors) or problem.detail
    return Rejected(f"{problem.status} {problem.title}: {detail}")


def _reply(answer: Answer, command: AbstractIncomingMessage) -> Outgoing:
    if isinstance(answer, Refusal):
        answer = problem_of(answer)
    if isinstance(answer, Problem):
        body: dict[str, Any] = {"status": answer.status, "body": body_of(answer)}
    else:
        body = {"status": 201, "body": answer.model_dump(mode="json")}
    return Outgoing(
        json.dumps(body, separators=(",", ":")).encode(),
        "",
        command.reply_to or "",
        aiormq.spec.Basic.Properties(
            content_type="application/json",
            delivery_mode=2,
            correlation_id=command.correlation_id,
        ),
    )
