"""`registration.register` on the real broker: a command acts for the caller of the bearer
token in its `authorization` header, never for a principal in its body; a command that cannot
be carried out and has no reply queue ends in the DLQ at once with its reason; one with a reply
queue gets its problem as the reply; a success is acked. Nothing vanishes."""

import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, HeadersType
from registration.consumers import COMMANDS_QUEUE, _callers, _unanswered, subscribe_consumers
from registration.use_cases.registrations import Registrations

from shared.auth import Principal, TokenVerifier, mint_token
from shared.events import REGISTER, new_event
from shared.messaging import ATTEMPT_HEADER, COMMANDS_EXCHANGE, LAST_ERROR_HEADER, make_broker
from shared.messaging.consumer import Rejected
from shared.problems import Problem
from testsupport.infra import Servers, create_vhost, delete_vhost, unique_name
from testsupport.waiting import eventually

from .conftest import session_data

pytestmark = pytest.mark.integration

SECRET = "command-test-secret-0123456789-abcdef"
LEARNER = {"sub": "cmd-learner", "name": "Camille Martin", "email": "camille@example.org"}
ADMIN = {"sub": "cmd-admin", "roles": ["platform_admin"]}


def bearer(claims: dict[str, Any], *, secret: str = SECRET, ttl_seconds: int = 3600) -> str:
    return f"Bearer {mint_token(secret, ttl_seconds=ttl_seconds, **claims)}"


LEARNER_TOKEN = bearer(LEARNER)


class Bus:
    """The caller's side: publishes commands, reads the replies and the service's DLQ."""

    def __init__(self, channel: AbstractChannel, replies: AbstractQueue) -> None:
        self.channel = channel
        self.replies = replies
        self.answers: dict[str, dict[str, Any]] = {}

    async def send(
        self,
        data: dict[str, Any],
        *,
        authorization: str | None = LEARNER_TOKEN,
        correlation_id: str | None = None,
    ) -> str:
        """A command as the learner sends it, or with another `authorization` (None: none)."""
        command = new_event("platform", REGISTER, data).to_message()
        exchange = await self.channel.get_exchange(COMMANDS_EXCHANGE.name)
        headers: HeadersType = {} if authorization is None else {"authorization": authorization}
        await exchange.publish(
            aio_pika.Message(
                json.dumps(command).encode(),
                headers=headers,
                message_id=command["id"],
                content_type="application/cloudevents+json",
                reply_to=self.replies.name if correlation_id else None,
                correlation_id=correlation_id,
            ),
            routing_key=REGISTER,
        )
        return str(command["id"])

    async def answer(self, correlation_id: str) -> dict[str, Any]:
        return await eventually(
            lambda: self.answers.get(correlation_id), within=20, what=f"reply {correlation_id}"
        )

    async def dead_letters(self, count: int) -> dict[str, AbstractIncomingMessage]:
        """Exactly `count` dead letters, by message id, once that many have arrived."""
        dlq = await self.channel.declare_queue(COMMANDS_QUEUE.dead_letter_name, passive=True)
        parked: dict[str, AbstractIncomingMessage] = {}

        async def arrived() -> bool:
            while (message := await dlq.get(no_ack=True, fail=False)) is not None:
                parked[str(message.message_id)] = message
            return len(parked) >= count

        await eventually(arrived, within=20, what=f"{count} dead letters")
        assert len(parked) == count, list(parked)
        return parked

    async def settled_before_this(self) -> None:
        """Wait until everything sent so far is settled: the worker handles batches one after
        the other, so once a command sent now is dead-lettered, the earlier ones are done."""
        sentinel = await self.send({})
        assert list(await self.dead_letters(1)) == [sentinel]


@pytest.fixture(scope="module")
async def amqp_url(servers: Servers) -> AsyncIterator[str]:
    run = unique_name("regcmd")
    yield create_vhost(servers, run)
    delete_vhost(servers, run)


@pytest.fixture(scope="module")
async def bus(amqp_url: str, registrations: Registrations) -> AsyncIterator[Bus]:
    broker = make_broker(amqp_url, app_id="registration")
    verifier = TokenVerifier(secret=SECRET)
    consumer = subscribe_consumers(broker, registrations, lambda: verifier)
    await broker.start()
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        async with consumer:
            await eventually(consumer.consuming.is_set, within=20, what="the command consumer")
            channel = await connection.channel()
            replies = await channel.declare_queue(exclusive=True)
            bus = Bus(channel, replies)

            async def collect(message: AbstractIncomingMessage) -> None:
                async with message.process():
                    bus.answers[str(message.correlation_id)] = json.loads(message.body)

            await replies.consume(collect)
            yield bus
    finally:
        await connection.close()
        await broker.stop()


async def a_session(registrations: Registrations, **rules: Any) -> str:
    session = session_data(**rules)
    event_id = str(uuid.uuid4())
    await registrations.replicate_session(event_id, "catalog.session.created", session)
    return str(session.id)


async def test_an_unanswerable_refusal_is_dead_lettered_at_once_with_its_reason(
    bus: Bus, registrations: Registrations, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    closed = await a_session(registrations, public_registration=False)
    unknown = str(uuid.uuid4())
    sent = {
        await bus.send({"force": "sometimes"}): "422 Invalid request: session_id: Field required",
        await bus.send({"session_id": unknown}): f"404 Not found: No session with id {unknown}.",
        await bus.send({"session_id": closed}): "403 Forbidden: This session does not take "
        "public registrations.",
    }

    parked = await bus.dead_letters(len(sent))

    assert set(parked) == set(sent)
    for message_id, reason in sent.items():
        dead = parked[message_id]
        assert str(dead.headers[LAST_ERROR_HEADER]).startswith(reason), dead.headers
        assert dead.headers[ATTEMPT_HEADER] == 1  # no retry: retrying cannot help
        assert "authorization" not in dead.headers  # a live credential, not kept
        assert LEARNER["email"] not in str(dead.headers)
        assert LEARNER["name"] not in str(dead.headers)
        logged = [r for r in caplog.records if message_id in r.getMessage()]
        assert any(r.levelno >= logging.WARNING and reason in r.getMessage() for r in logged)
    invalid = str(parked[next(iter(sent))].headers[LAST_ERROR_HEADER])
    assert "force: Input should be a valid boolean" in invalid
    main = await bus.channel.declare_queue(COMMANDS_QUEUE.name, passive=True)
    assert main.declaration_result.message_count == 0


async def test_a_refusal_with_a_reply_queue_is_answered_and_a_success_acked(
    bus: Bus, registrations: Registrations
) -> None:
    closed = await a_session(registrations, public_registration=False)
    open_ = await a_session(registrations)
    await bus.send({"session_id": closed}, correlation_id="refused")
    await bus.send({"session_id": "not-a-uuid"}, correlation_id="invalid")
    await bus.send({"session_id": open_})

    async def answered() -> bool:
        return {"refused", "invalid"} <= set(bus.answers)

    await eventually(answered, within=20, what="the two problem replies")

    async def registered() -> bool:
        current = await registrations.current_registration(uuid.UUID(open_), LEARNER["sub"])
        return current is not None

    await eventually(registered, within=20, what="the registration without reply queue")
    await bus.settled_before_this()  # none of the three is in the DLQ
    refused, invalid = bus.answers["refused"], bus.answers["invalid"]
    assert refused["status"] == 403
    assert refused["body"]["detail"] == "This session does not take public registrations."
    assert invalid["status"] == 422
    assert invalid["body"]["errors"][0]["loc"] == ["session_id"]


def test_only_a_client_error_is_rejected_a_server_error_is_retried() -> None:
    refused = _unanswered(Problem(409, "Conflict", "The session is cancelled."))
    assert isinstance(refused, Rejected)
    assert str(refused) == "409 Conflict: The session is cancelled."
    unavailable = Problem(503, "Service Unavailable", "The database is unreachable.")
    assert _unanswered(unavailable) is unavailable  # an exception: the retry queues


async def test_a_command_acts_for_the_caller_of_its_token(
    bus: Bus, registrations: Registrations
) -> None:
    session = await a_session(registrations)
    await bus.send({"session_id": session}, correlation_id="by-token")

    reply = await bus.answer("by-token")

    assert reply["status"] == 201, reply
    assert reply["body"]["user"]["id"] == LEARNER["sub"]
    assert reply["body"]["user"]["email"] == LEARNER["email"]


async def test_a_principal_in_the_body_gives_no_powers(
    bus: Bus, registrations: Registrations
) -> None:
    full = await a_session(registrations, public_registration=False, max_users=1)
    seated = {"id": "cmd-seated", "email": "seated@example.org", "name": "Seated"}
    forced = {"id": "cmd-forced", "email": "forced@example.org", "name": "Forced"}
    await bus.send(
        {"session_id": full, "user": seated}, authorization=bearer(ADMIN), correlation_id="admin"
    )
    assert (await bus.answer("admin"))["status"] == 201
    forged = {"sub": "forged-admin", "roles": ["platform_admin"]}

    await bus.send(
        {"session_id": full, "user": forced, "force": True, "principal": forged},
        correlation_id="forged",
    )

    reply = await bus.answer("forged")
    assert reply["status"] == 403, reply
    [seats] = await registrations.seats([uuid.UUID(full)])
    assert (seats.taken, seats.max_users) == (1, 1)
    assert await registrations.current_registration(uuid.UUID(full), forced["id"]) is None


@pytest.mark.parametrize(
    ("authorization", "title"),
    [
        (None, "Not authenticated"),
        ("", "Not authenticated"),
        (LEARNER_TOKEN.removeprefix("Bearer "), "Not authenticated"),  # no scheme
        ("Bearer not-a-jwt", "Invalid token"),
        (bearer(LEARNER, secret="another-secret-0123456789-0123456789"), "Invalid token"),
        (bearer(LEARNER, ttl_seconds=-60), "Token expired"),
    ],
)
async def test_a_command_without_a_valid_token_is_answered_401(
    bus: Bus, registrations: Registrations, authorization: str | None, title: str
) -> None:
    session = await a_session(registrations)
    correlation_id = f"unauthenticated-{uuid.uuid4()}"

    await bus.send(
        {"session_id": session}, authorization=authorization, correlation_id=correlation_id
    )

    reply = await bus.answer(correlation_id)
    assert reply["status"] == 401, reply
    assert reply["body"]["title"] == title
    assert await registrations.current_registration(uuid.UUID(session), LEARNER["sub"]) is None


async def test_a_command_without_token_or_reply_queue_is_dead_lettered_with_its_reason(
    bus: Bus, registrations: Registrations, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # below that, aiormq logs every frame it sends
    session = await a_session(registrations)
    forged = bearer(LEARNER, secret="another-secret-0123456789-0123456789")
    sent = {
        await bus.send({"session_id": session}, authorization=None): "401 Not authenticated: "
        "A bearer token is required.",
        await bus.send({"session_id": session}, authorization=forged): "401 Invalid token: "
        "The bearer token is not valid.",
    }

    parked = await bus.dead_letters(len(sent))

    for message_id, reason in sent.items():
        assert parked[message_id].headers[LAST_ERROR_HEADER] == reason
        assert "authorization" not in parked[message_id].headers
        assert any(
            message_id in r.getMessage() and reason in r.getMessage() for r in caplog.records
        )
    assert await registrations.current_registration(uuid.UUID(session), LEARNER["sub"]) is None
    token = forged.removeprefix("Bearer ")
    assert not [r for r in caplog.records if token in r.getMessage()]


class CountingVerifier(TokenVerifier):
    def __init__(self) -> None:
        super().__init__(secret=SECRET)
        self.verified: list[str] = []

    async def verify(self, token: str) -> Principal:
        self.verified.append(token)
        return await super().verify(token)


class Headers:
    def __init__(self, authorization: object) -> None:
        self.headers = {"authorization": authorization}


async def test_a_batch_verifies_each_distinct_token_once() -> None:
    admin = bearer(ADMIN)
    sent = [LEARNER_TOKEN, admin, LEARNER_TOKEN, admin.encode(), LEARNER_TOKEN, "Bearer junk"]
    verifier = CountingVerifier()

    callers = await _callers(verifier, [({}, Headers(value)) for value in sent])  # type: ignore[misc]

    assert sorted(verifier.verified) == sorted(
        {LEARNER_TOKEN.removeprefix("Bearer "), admin.removeprefix("Bearer "), "junk"}
    )
    subs = [c.sub if isinstance(c, Principal) else c.status for c in callers]
    assert subs == [LEARNER["sub"], ADMIN["sub"], LEARNER["sub"], ADMIN["sub"], LEARNER["sub"], 401]
