"""Each service's OpenAPI document says what the API really answers
(docs/reference/http.md).

FastAPI documents only the success and its own `422 application/json`. Every error here is
`application/problem+json`, and some apply to every operation of a kind; a route declares the
ones that depend on its rules with `responses=problems(403, 409)`. Operation ids are the route
functions' names, so links between operations (`links(...)`) read as the use cases they join.
"""

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import MAX_KEY_LENGTH
from shared.problems import PROBLEM_JSON

PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "description": "what was invalid (422)",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                },
            },
        },
        "id": {"description": "the conflicting resource (409)", "type": "string"},
    },
}

WHY: Mapping[int, str] = {
    400: "The body is not valid JSON.",
    401: "No bearer token, or one that is invalid or expired.",
    403: "Signed in, but not allowed to do this.",
    404: "No such resource.",
    409: "In conflict with the resource's state (the conflicting id, where there is one).",
    413: "The body is larger than 1 MiB.",
    422: "The request does not fit the schema or a rule (`errors` names the fields).",
    429: "Too many requests: retry after `Retry-After` seconds.",
    503: "The service cannot reach its database or broker: retry after `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}


def _problem(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": WHY.get(status, HTTPStatus(status).phrase),
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status in (429, 503):
        answer["headers"] = RETRY_AFTER
    return answer


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route for the problems its own rules give."""
    return {status: _problem(status) for status in statuses}


def links(**targets: Mapping[str, str]) -> dict[str, Any]:
    """OpenAPI links from a response to the operations (by id) it leads to, e.g.
    `links(get_training={"training_id": "$response.body#/id"})`."""
    return {
        name: {"operationId": name, "parameters": dict(parameters)}
        for name, parameters in targets.items()
    }


def by_id(parameter: str, *operations: str) -> dict[str, Any]:
    """Links to `operations`, each taking the created resource's id as `parameter`."""
    return links(**{operation: {parameter: "$response.body#/id"} for operation in operations})


def created(description: str, leads_to: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry of a 201 with its links."""
    return {201: {"description": description, "links": leads_to}}


def operation_id(route: APIRoute) -> str:
    return route.name


def install_openapi(app: FastAPI) -> None:
    """Serve the document with every problem each operation can answer."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, routes=app.routes, description=None
            )
            app.openapi_schema = describe_problems(schema)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


Operation = dict[str, Any]


def describe_problems(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            for rule in _RULES:
                rule(path, method, operation)
            operation["responses"] = dict(sorted(operation["responses"].items()))
    return schema


def _add(operation: Operation, *statuses: int) -> None:
    responses = operation.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(str(status), _problem(status))


def _every_operation(path: str, method: str, operation: Operation) -> None:
    # FastAPI's own 422 is `application/json` of a shape nobody sends
    operation.get("responses", {}).pop("422", None)
    _add(operation, 422, 429, 503)
    if path.startswith("/api/"):
        operation["security"] = [{"bearer": []}]
        _add(operation, 401)


def _path_ids(path: str, method: str, operation: Operation) -> None:
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        _add(operation, 404)


def _bodies(path: str, method: str, operation: Operation) -> None:
    if method in ("post", "put", "patch"):
        _add(operation, 413)
    if "requestBody" in operation:
        _add(operation, 400)


def _idempotency(path: str, method: str, operation: Operation) -> None:
    if method != "post":
        return
    operation.setdefault("parameters", []).append(
        {
            "name": IDEMPOTENCY_HEADER.title(),
            "in": "header",
            "required": False,
            "description": "The same key with the same body within 24 h answers the first "
            "response again; with another body, 422; while the first is in progress, 409.",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        }
    )
    _add(operation, 409)


_RULES: tuple[Callable[[str, str, Operation], None], ...] = (
    _every_operation,
    _path_ids,
    _bodies,
    _idempotency,
)
