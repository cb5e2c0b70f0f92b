"""A body that is not JSON a service can read — nested too deep, not UTF-8, cut short — is 400
problem+json on every operation that takes one, with or without an `Idempotency-Key`, through
the gateway; and the next caller on the same gateway is served as usual."""

import uuid
from typing import Any

import pytest

from testsupport.system import SERVICES, System

pytestmark = pytest.mark.system

UNREADABLE = {
    "deep list": b"[" * 50_000 + b"]" * 50_000,
    "deep object": b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    "not UTF-8": b'{"title": "\xff\xfe"}',
    "cut short": '{"title": "Sécu'.encode(),
}


async def _operations_with_a_body(system: System) -> list[tuple[str, str]]:
    found = []
    for service in SERVICES:
        document = (await system.http.get(f"/docs/{service}/openapi.json")).json()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if "requestBody" in operation:
                    found.append((method, path))
    return found


def _filled(path: str) -> str:
    return "/".join(str(uuid.uuid4()) if p.startswith("{") else p for p in path.split("/"))


@pytest.mark.parametrize("keyed", [False, True], ids=["no key", "Idempotency-Key"])
async def test_an_unreadable_body_is_400_everywhere(healthy_system: System, keyed: bool) -> None:
    system = healthy_system
    admin = system.auth("body-admin", roles=["platform_admin"])
    operations = await _operations_with_a_body(system)
    assert len(operations) > 20
    wrong: list[str] = []
    for method, path in operations:
        for name, body in UNREADABLE.items():
            headers: dict[str, Any] = {**admin, "Content-Type": "application/json"}
            if keyed:
                headers["Idempotency-Key"] = str(uuid.uuid4())
            response = await system.http.request(
                method, _filled(path), content=body, headers=headers
            )
            kind = response.headers.get("content-type")
            if response.status_code != 400 or kind != "application/problem+json":
                wrong.append(f"{method.upper()} {path} ({name}): {response.status_code} {kind}")
    assert not wrong
    assert (await system.http.get("/api/trainings", headers=admin)).status_code == 200
