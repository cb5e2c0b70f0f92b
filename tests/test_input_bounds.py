"""The input bounds (docs/api-conventions.md), checked on every operation of every service's
OpenAPI document:
each free-text input has a `maxLength`, each number a `minimum` and a `maximum`, and U+0000 or an
unpaired surrogate in any string — body or query — is a 422 naming that field.

The apps are built as their processes build them and driven in-process: validation answers
before any use case runs, so no database is needed.
"""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from catalog.app import create_app as create_catalog
from catalog.settings import CatalogSettings
from fastapi import FastAPI
from notification.app import create_app as create_notification
from notification.settings import NotificationSettings
from registration.app import create_app as create_registration
from registration.settings import RegistrationSettings

from shared.auth import mint_token

pytestmark = pytest.mark.unit

SECRET = "input-bounds-secret-0123456789-abcdef"
NOT_FREE_TEXT = {"uuid", "date", "date-time", "email", "uri"}
NUMBERS = {"integer", "number"}


def _apps() -> dict[str, FastAPI]:
    return {
        "catalog": create_catalog(CatalogSettings(jwt_secret=SECRET)),
        "registration": create_registration(RegistrationSettings(jwt_secret=SECRET)),
        "notification": create_notification(NotificationSettings(jwt_secret=SECRET)),
    }


APPS = _apps()


def _operations() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for service, app in APPS.items():
        for path, item in app.openapi()["paths"].items():
            for method, operation in item.items():
                yield service, method, path, operation


OPERATIONS = list(_operations())


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _alternatives(schema: dict[str, Any], document: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, document)
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices:
        return [_resolve(choice, document) for choice in choices if choice.get("type") != "null"]
    return [schema]


def _is_text(schema: dict[str, Any]) -> bool:
    return (
        schema.get("type") == "string"
        and "enum" not in schema
        and "const" not in schema
        and schema.get("format") not in NOT_FREE_TEXT
    )


def _poisoned(
    schema: dict[str, Any], document: dict[str, Any], poison: str, loc: tuple[str, ...]
) -> tuple[Any, list[tuple[str, ...]]]:
    """A value for `schema` with `poison` in every free-text string, and where each one is."""
    for choice in _alternatives(schema, document):
        if _is_text(choice):
            return poison, [loc]
        if choice.get("type") == "object" and "properties" in choice:
            value: dict[str, Any] = {}
            found: list[tuple[str, ...]] = []
            for name, prop in choice["properties"].items():
                value[name], where = _poisoned(prop, document, poison, (*loc, name))
                found += where
            return value, found
        if choice.get("type") == "array":
            item, where = _poisoned(choice.get("items", {}), document, poison, (*loc, "0"))
            return [item], where
    return None, []


def _bounds_missing(
    schema: dict[str, Any], document: dict[str, Any], loc: str, seen: frozenset[str] = frozenset()
) -> Iterator[str]:
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen = seen | {schema["$ref"]}
    for choice in _alternatives(schema, document):
        kind = choice.get("type")
        if _is_text(choice) and "pattern" not in choice and "maxLength" not in choice:
            yield f"{loc}: no maxLength"
        if kind in NUMBERS and not (
            ("minimum" in choice or "exclusiveMinimum" in choice) and "maximum" in choice
        ):
            yield f"{loc}: no minimum/maximum"
        for name, prop in choice.get("properties", {}).items():
            yield from _bounds_missing(prop, document, f"{loc}.{name}", seen)
        if kind == "array":
            yield from _bounds_missing(choice.get("items", {}), document, f"{loc}[]", seen)


def _body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    schema: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    return schema


def _client(service: str) -> httpx.AsyncClient:
    token = mint_token(SECRET, sub="fuzz-admin", roles=["platform_admin"])
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=APPS[service]),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    )


def _fill(path: str) -> str:
    parts = [str(uuid.uuid4()) if p.startswith("{") else p for p in path.split("/")]
    return "/".join(parts)


def _locs(response: httpx.Response) -> set[tuple[str, ...]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {tuple(error["loc"]) for error in response.json()["errors"]}


def _ids(params: list[tuple[str, str, str, dict[str, Any]]]) -> list[str]:
    return [f"{service} {method.upper()} {path}" for service, method, path, _ in params]


@pytest.mark.parametrize(
    ("service", "method", "path", "operation"), OPERATIONS, ids=_ids(OPERATIONS)
)
def test_every_input_states_its_bounds(
    service: str, method: str, path: str, operation: dict[str, Any]
) -> None:
    document = APPS[service].openapi()
    missing = [
        problem
        for parameter in operation.get("parameters", [])
        for problem in _bounds_missing(parameter["schema"], document, parameter["name"])
    ]
    body = _body_schema(operation)
    if body is not None:
        missing += _bounds_missing(body, document, "body")
    assert not missing


def _has_text(service: str, operation: dict[str, Any]) -> bool:
    schema = _body_schema(operation)
    return schema is not None and bool(_poisoned(schema, APPS[service].openapi(), "", ())[1])


BODIES = [o for o in OPERATIONS if _has_text(o[0], o[3])]


@pytest.mark.parametrize("poison", ["a\x00b", "a\ud800b"], ids=["NUL", "lone surrogate"])
@pytest.mark.parametrize(("service", "method", "path", "operation"), BODIES, ids=_ids(BODIES))
async def test_unstorable_text_in_a_body_is_422_naming_each_field(
    service: str, method: str, path: str, operation: dict[str, Any], poison: str
) -> None:
    document = APPS[service].openapi()
    schema = _body_schema(operation)
    assert schema is not None
    body, texts = _poisoned(schema, document, poison, ("body",))
    async with _client(service) as client:
        # ASCII-escaped, as a JSON client writes a lone surrogate: "\ud800"
        response = await client.request(
            method,
            _fill(path),
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
    assert set(texts) <= _locs(response)


QUERIES = [
    (service, method, path, operation, parameter["name"])
    for service, method, path, operation in OPERATIONS
    for parameter in operation.get("parameters", [])
    if parameter["in"] == "query"
    and any(_is_text(s) for s in _alternatives(parameter["schema"], APPS[service].openapi()))
]


@pytest.mark.parametrize(
    ("service", "method", "path", "operation", "name"),
    QUERIES,
    ids=[f"{s} {m.upper()} {p} ?{n}" for s, m, p, _, n in QUERIES],
)
async def test_nul_in_a_query_parameter_is_422_naming_it(
    service: str, method: str, path: str, operation: dict[str, Any], name: str
) -> None:
    async with _client(service) as client:
        response = await client.request(method, _fill(path), params={name: "a\x00b"})
    assert ("query", name) in _locs(response)
