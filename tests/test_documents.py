"""Each service's AsyncAPI and OpenAPI documents, as the gateway serves them, are valid by the
official parsers and tell the truth: CloudEvents content, and the exchange of every channel."""

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate as validate_openapi

from devstack.config import repo_root
from shared.events import CLOUDEVENTS_CONTENT_TYPE, SEND_CONFIRMATION
from testsupport.system import SERVICES, System

pytestmark = pytest.mark.system

VALIDATOR = repo_root() / "tools" / "asyncapi" / "validate.mjs"
EXCHANGE_TYPES = {"training.events": "topic", "training.commands": "direct"}
MESSAGES_REF = "#/components/messages/"
SCHEMAS_REF = "#/components/schemas/"

Document = dict[str, Any]


async def parse_asyncapi(document: Document, directory: Path) -> Document:
    """What @asyncapi/parser says of `document` (tools/asyncapi/validate.mjs), exit code too."""
    node = shutil.which("node")
    assert node, "node is not installed: `make setup` installs it with the AsyncAPI parser"
    assert (VALIDATOR.parent / "node_modules").is_dir(), "run `make setup` (the AsyncAPI parser)"
    source = directory / "asyncapi.json"
    source.write_text(json.dumps(document))
    process = await asyncio.create_subprocess_exec(
        node, str(VALIDATOR), str(source), stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    output: Document = json.loads(stdout)
    output["exit_code"] = process.returncode
    return output


async def asyncapi_of(system: System, service: str) -> Document:
    response = await system.http.get(f"/docs/{service}/asyncapi.json")
    assert response.status_code == 200
    document: Document = response.json()
    return document


def messages_of(document: Document, channel: Document) -> list[Document]:
    found = []
    for reference in channel["messages"].values():
        name = reference["$ref"].removeprefix(MESSAGES_REF)
        found.append(document["components"]["messages"][name])
    return found


def exchange_of(binding: Document) -> Document:
    """The exchange a channel names: a routing key's own, or a queue's `x-exchange`."""
    if binding["is"] == "routingKey":
        exchange: Document = binding["exchange"]
    else:
        exchange = binding["x-exchange"]
    return exchange


@pytest.mark.parametrize("service", SERVICES)
async def test_the_asyncapi_document_is_valid_by_the_official_parser(
    healthy_system: System, service: str, tmp_path: Path
) -> None:
    document = await asyncapi_of(healthy_system, service)

    parsed = await parse_asyncapi(document, tmp_path)

    errors = [d for d in parsed["diagnostics"] if d["severity"] == "error"]
    assert errors == []
    assert parsed["valid"] is True
    assert parsed["exit_code"] == 0


async def test_the_parser_reports_an_invalid_document(tmp_path: Path) -> None:
    """The check above can fail: a queue channel with a standard `exchange` as well is invalid
    AMQP bindings 0.3.0 (hence `x-exchange`)."""
    exchange = {"name": "training.events", "type": "topic"}
    document = {
        "asyncapi": "3.0.0",
        "info": {"title": "invalid", "version": "1"},
        "channels": {
            "queue": {
                "address": "registration.#",
                "bindings": {"amqp": {"is": "queue", "queue": {"name": "q"}, "exchange": exchange}},
            }
        },
    }

    parsed = await parse_asyncapi(document, tmp_path)

    assert parsed["exit_code"] == 1
    assert parsed["valid"] is False
    assert any(d["path"].startswith("channels/queue/bindings/amqp") for d in parsed["diagnostics"])


@pytest.mark.parametrize("service", SERVICES)
async def test_every_asyncapi_message_is_a_cloudevent(healthy_system: System, service: str) -> None:
    document = await asyncapi_of(healthy_system, service)

    assert document["defaultContentType"] == CLOUDEVENTS_CONTENT_TYPE
    assert document["components"]["messages"]
    for name, message in document["components"]["messages"].items():
        assert message.get("contentType") == CLOUDEVENTS_CONTENT_TYPE, name
        payload = message["payload"]
        envelopes = [ref["$ref"] for ref in payload.get("oneOf", [payload])]
        for envelope in envelopes:
            schema = document["components"]["schemas"][envelope.removeprefix(SCHEMAS_REF)]
            assert {"specversion", "id", "source", "type", "data"} <= set(schema["properties"])


@pytest.mark.parametrize("service", SERVICES)
async def test_every_asyncapi_channel_names_its_exchange(
    healthy_system: System, service: str
) -> None:
    document = await asyncapi_of(healthy_system, service)

    assert document["channels"]
    for name, channel in document["channels"].items():
        binding = channel["bindings"]["amqp"]
        exchange = exchange_of(binding)
        assert EXCHANGE_TYPES.get(exchange["name"]) == exchange["type"], name
        assert exchange["durable"] is True, name
        if binding["is"] == "queue":
            assert binding["queue"]["name"] == name
            assert binding["x-bindingKeys"], name
            assert channel["address"] in binding["x-bindingKeys"]
        assert messages_of(document, channel), name


@pytest.mark.parametrize("service", SERVICES)
async def test_what_is_published_is_persistent_and_mandatory_on_commands_only(
    healthy_system: System, service: str
) -> None:
    document = await asyncapi_of(healthy_system, service)

    for name, operation in document["operations"].items():
        if operation["action"] == "send":
            channel = document["channels"][name]
            on_commands = channel["bindings"]["amqp"]["exchange"]["name"] == "training.commands"
            assert operation["bindings"]["amqp"]["deliveryMode"] == 2, name
            assert operation["bindings"]["amqp"]["mandatory"] is on_commands, name


async def test_notification_names_the_exchanges_its_queues_are_bound_to(
    healthy_system: System,
) -> None:
    document = await asyncapi_of(healthy_system, "notification")

    bound = {
        name: (exchange_of(channel["bindings"]["amqp"])["name"], channel["address"])
        for name, channel in document["channels"].items()
    }

    assert bound == {
        "notification.registrations": ("training.events", "registration.#"),
        "notification.event-registrations": ("training.events", "event_registration.#"),
        "notification.sessions": ("training.events", "catalog.session.#"),
        "notification.events": ("training.events", "catalog.event.#"),
        "notification.confirmations": ("training.commands", SEND_CONFIRMATION),
    }
    confirmations = messages_of(document, document["channels"]["notification.confirmations"])
    assert [m["payload"] for m in confirmations] == [
        {
            "oneOf": [
                {"$ref": SCHEMAS_REF + "NotificationSendConfirmation"},
                {"$ref": SCHEMAS_REF + "NotificationCertificateAvailable"},
            ]
        }
    ]


@pytest.mark.parametrize("service", SERVICES)
async def test_the_openapi_document_is_valid(healthy_system: System, service: str) -> None:
    response = await healthy_system.http.get(f"/docs/{service}/openapi.json")
    assert response.status_code == 200

    validate_openapi(response.json())
