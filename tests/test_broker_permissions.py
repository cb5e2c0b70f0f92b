"""Who may publish, bind and read what on the bus (docs/security.md), on the real broker.

The users are those of deploy/rabbitmq/definitions.json and its subscriber template, imported
into a vhost of the test's own as `make run` imports them. A refused publish or bind closes the
channel with ACCESS_REFUSED (403); with publisher confirms the publish itself raises.
"""

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractQueue
from aiormq.exceptions import ChannelAccessRefused
from pamqp.common import FieldTable

from devstack.broker_users import (
    SUBSCRIBER_TEMPLATE,
    BrokerAccount,
    amqp_url_as,
    delete_users,
    import_definitions,
    in_vhost,
    load_definitions,
    shipped_user,
    subscriber_definitions,
    vhost_of,
)
from devstack.config import repo_root
from shared.messaging import make_broker
from shared.messaging.topology import (
    COMMANDS_EXCHANGE,
    EVENTS_EXCHANGE,
    declare_exchanges,
    declare_service_queue,
    service_queue,
)
from testsupport.infra import Servers, create_vhost, delete_vhost, unique_name
from testsupport.system import SERVICES, System
from testsupport.waiting import eventually

SUBSCRIBER = "acme"
ROLES = (*SERVICES, "platform", "subscriber")

ChannelAction = Callable[[AbstractChannel], Awaitable[object]]


@dataclass
class Bus:
    """The test's vhost: the administrator's URL, each role's URL, and a probe queue that gets
    a copy of everything published on both exchanges."""

    admin_url: str
    urls: dict[str, str]
    channel: AbstractChannel
    probe: AbstractQueue

    async def allowed(self, role: str, action: ChannelAction) -> object:
        connection = await aio_pika.connect(self.urls[role])
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            return await action(channel)

    async def refused(self, role: str, action: ChannelAction) -> None:
        with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
            await self.allowed(role, action)

    async def probed(self, routing_key: str) -> bool:
        """Whether a message with `routing_key` reached the probe (taking it off)."""
        while (message := await self.probe.get(no_ack=True, fail=False)) is not None:
            if message.routing_key == routing_key:
                return True
        return False


def publishing(exchange: str, routing_key: str) -> ChannelAction:
    async def publish(channel: AbstractChannel) -> object:
        target = (
            channel.default_exchange
            if exchange == ""
            else await channel.get_exchange(exchange, ensure=False)
        )
        return await target.publish(aio_pika.Message(b"{}"), routing_key=routing_key)

    return publish


def declaring(queue: str) -> ChannelAction:
    async def declare(channel: AbstractChannel) -> object:
        return await channel.declare_queue(queue, durable=True)

    return declare


def binding(queue: str, exchange: str, key: str) -> ChannelAction:
    async def bind(channel: AbstractChannel) -> object:
        declared = await channel.declare_queue(queue, durable=True)
        return await declared.bind(exchange, key)

    return bind


def consuming(queue: str) -> ChannelAction:
    async def consume(channel: AbstractChannel) -> object:
        existing = await channel.get_queue(queue, ensure=False)
        return await existing.get(no_ack=True, fail=False)

    return consume


@pytest.fixture(scope="module")
async def bus(servers: Servers) -> AsyncIterator[Bus]:
    if servers.broker_is_ours:
        pytest.skip("rabbitmqctl administers the local broker, not the test container")
    vhost = unique_name("perm")
    admin_url = create_vhost(servers, vhost)
    root = repo_root()
    accounts = {
        shipped_user(role): BrokerAccount(f"{shipped_user(role)}@{vhost}", secrets.token_hex(8))
        for role in ROLES
        if role != "subscriber"
    }
    subscriber = subscriber_definitions(load_definitions(root, SUBSCRIBER_TEMPLATE), SUBSCRIBER)
    subscriber_user = subscriber["users"][0]["name"]
    accounts[subscriber_user] = BrokerAccount(f"{subscriber_user}@{vhost}", secrets.token_hex(8))
    definitions = in_vhost(load_definitions(root), vhost, accounts)
    for part, entries in in_vhost(subscriber, vhost, accounts).items():
        definitions[part] += entries
    await import_definitions(definitions)
    urls = {role: amqp_url_as(admin_url, accounts[shipped_user(role)]) for role in ROLES[:-1]}
    urls["subscriber"] = amqp_url_as(admin_url, accounts[subscriber_user])
    connection = await aio_pika.connect(admin_url)
    try:
        channel = await connection.channel()
        events = await channel.declare_exchange(
            EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        commands = await channel.declare_exchange(
            COMMANDS_EXCHANGE.name, aio_pika.ExchangeType.DIRECT, durable=True
        )
        probe = await channel.declare_queue(exclusive=True)
        await probe.bind(events, "#")
        for command in ("registration.register", "notification.send_confirmation"):
            await probe.bind(commands, command)
        # another service's queue, as that service declares it
        await channel.declare_queue("registration.sessions.probe", durable=True)
        yield Bus(admin_url, urls, channel, probe)
    finally:
        await connection.close()
        await delete_users(account.name for account in accounts.values())
        delete_vhost(servers, vhost)


# --- publishing ------------------------------------------------------------------------------


@pytest.mark.integration
async def test_catalog_publishes_its_own_events_only(bus: Bus) -> None:
    await bus.allowed("catalog", publishing("training.events", "catalog.session.updated"))
    assert await bus.probed("catalog.session.updated")
    await bus.refused("catalog", publishing("training.events", "registration.confirmed"))
    await bus.refused("catalog", publishing("training.commands", "registration.register"))


@pytest.mark.integration
@pytest.mark.parametrize(
    "event", ["registration.requested", "event_registration.registered", "attendance.recorded"]
)
async def test_registration_publishes_its_own_events(bus: Bus, event: str) -> None:
    await bus.allowed("registration", publishing("training.events", event))
    assert await bus.probed(event)


@pytest.mark.integration
async def test_registration_publishes_its_commands_and_no_catalog_event(bus: Bus) -> None:
    command = "notification.send_confirmation"
    await bus.allowed("registration", publishing("training.commands", command))
    assert await bus.probed(command)
    await bus.refused("registration", publishing("training.events", "catalog.session.updated"))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("exchange", "routing_key"),
    [
        ("training.events", "catalog.session.updated"),
        ("training.events", "registration.confirmed"),
        ("training.events", "notification.sent"),
        ("training.commands", "registration.register"),
    ],
)
async def test_notification_publishes_nothing(bus: Bus, exchange: str, routing_key: str) -> None:
    await bus.refused("notification", publishing(exchange, routing_key))


@pytest.mark.integration
async def test_the_platform_sends_commands_and_publishes_no_event(bus: Bus) -> None:
    await bus.allowed("platform", publishing("training.commands", "registration.register"))
    assert await bus.probed("registration.register")
    await bus.refused("platform", publishing("training.events", "catalog.session.updated"))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("exchange", "routing_key"),
    [
        ("training.events", "registration.requested"),
        ("training.events", "catalog.session.updated"),
        ("training.commands", "registration.register"),
        # straight into a service's queue through the default exchange
        ("", "registration.sessions.probe"),
    ],
)
async def test_a_subscriber_publishes_nothing(bus: Bus, exchange: str, routing_key: str) -> None:
    await bus.refused("subscriber", publishing(exchange, routing_key))


# --- queues ----------------------------------------------------------------------------------


@pytest.mark.integration
async def test_a_subscriber_binds_and_reads_its_own_queue_on_the_events(bus: Bus) -> None:
    queue = f"subscriber.{SUBSCRIBER}.registrations"
    await bus.allowed("subscriber", binding(queue, "training.events", "registration.#"))
    await bus.allowed("registration", publishing("training.events", "registration.confirmed"))

    async def arrived() -> object:
        return await bus.allowed("subscriber", consuming(queue))

    message = await eventually(arrived, within=10, what="the event in the subscriber's queue")
    assert isinstance(message, aio_pika.IncomingMessage)
    assert message.routing_key == "registration.confirmed"


@pytest.mark.integration
async def test_a_subscriber_cannot_bind_to_the_commands(bus: Bus) -> None:
    queue = f"subscriber.{SUBSCRIBER}.tokens"
    await bus.refused(
        "subscriber", binding(queue, "training.commands", "notification.send_confirmation")
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    "queue",
    ["registration.sessions.probe", "subscriber.other.events", ""],  # "": server-named
)
async def test_a_subscriber_declares_no_queue_but_its_own(bus: Bus, queue: str) -> None:
    await bus.refused("subscriber", declaring(queue))


@pytest.mark.integration
async def test_a_subscriber_may_look_the_events_exchange_up_but_not_declare_it(bus: Bus) -> None:
    async def look_up(channel: AbstractChannel) -> object:
        return await channel.declare_exchange(EVENTS_EXCHANGE.name, passive=True)

    async def declare(channel: AbstractChannel) -> object:
        return await channel.declare_exchange(
            EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
        )

    await bus.allowed("subscriber", look_up)
    await bus.refused("subscriber", declare)


@pytest.mark.integration
async def test_a_subscriber_dead_letters_to_its_own_exchange_only(bus: Bus) -> None:
    def dead_lettering(queue: str, exchange: str) -> ChannelAction:
        async def declare(channel: AbstractChannel) -> object:
            arguments: FieldTable = {"x-queue-type": "quorum", "x-dead-letter-exchange": exchange}
            return await channel.declare_queue(queue, durable=True, arguments=arguments)

        return declare

    own = f"subscriber.{SUBSCRIBER}"
    await bus.allowed("subscriber", dead_lettering(f"{own}.kept", f"{own}.dead"))
    await bus.refused("subscriber", dead_lettering(f"{own}.routed", ""))


@pytest.mark.integration
@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_declares_and_uses_its_own_queue_family(bus: Bus, service: str) -> None:
    """As the service does it: exchanges, the queue with its DLQ and retry queues, bindings,
    a failure moved to a retry queue through the default exchange, consuming."""
    exchange = COMMANDS_EXCHANGE if service != "catalog" else EVENTS_EXCHANGE
    queue = service_queue(
        service, f"probe-{uuid.uuid4().hex[:8]}", binding_keys=["probe"], exchange=exchange
    )
    broker = make_broker(bus.urls[service])
    await broker.connect()
    try:
        await declare_exchanges(broker)
        await declare_service_queue(broker, queue)
    finally:
        await broker.stop()
    await bus.allowed(service, publishing("", queue.retry_queue_name(1)))
    await bus.allowed(service, consuming(queue.name))
    await bus.allowed(service, consuming(queue.dead_letter_name))


@pytest.mark.integration
@pytest.mark.parametrize("service", ["catalog", "notification"])
async def test_no_service_declares_or_reads_another_services_queue(bus: Bus, service: str) -> None:
    await bus.refused(service, declaring("registration.sessions.probe"))
    await bus.refused(service, consuming("registration.sessions.probe"))


@pytest.mark.integration
async def test_the_catalog_cannot_bind_to_the_commands(bus: Bus) -> None:
    await bus.refused("catalog", binding("catalog.probe", "training.commands", "probe"))


# --- the system tests run as those users -----------------------------------------------------


@pytest.mark.system
async def test_the_system_tests_services_connect_as_their_own_users(
    healthy_system: System,
) -> None:
    vhost = vhost_of(healthy_system.amqp_url)
    rabbitmqctl = await asyncio.create_subprocess_exec(
        *("rabbitmqctl", "-q", "--no-table-headers", "list_connections", "user", "vhost"),
        stdout=asyncio.subprocess.PIPE,
    )
    listed = (await rabbitmqctl.communicate())[0].decode()
    users = {line.split("\t")[0] for line in listed.splitlines() if line.endswith(f"\t{vhost}")}
    run = healthy_system.stack.config.gateway_port
    assert {f"{shipped_user(s)}@{vhost}:{run}" for s in SERVICES} <= users
