"""Schemathesis against each service's published OpenAPI, through the gateway, as a platform admin:
every phase (examples, coverage, fuzzing, stateful), a fixed seed and a bounded number of
examples. Whatever it sends, the answer is no server error, a documented status, the documented
content type and a body that fits the documented schema.

The run has a stack of its own (the fuzzer creates, changes and deletes what it finds), seeded
with a public training, session, event and curriculum whose ids the fuzzer is given, so that
registration and notification are driven past "unknown session" into their real rules.
"""

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from testsupport.infra import Servers
from testsupport.mailbox import MailServer
from testsupport.system import System, running_system
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SEED = 20261202
MAX_EXAMPLES = 25
RUN_WITHIN_S = 420
IDEMPOTENCY_KEYS = 5_000


@dataclass(frozen=True)
class Seeded:
    training_id: str
    session_id: str
    event_id: str
    curriculum_id: str


@pytest.fixture(scope="module")
async def fuzzed(servers: Servers, mail_server: MailServer) -> AsyncIterator[System]:
    async with running_system(servers, mail_server, "fuzz") as system:
        await eventually(system.healthy, within=60, what="every service healthy")
        yield system


@pytest.fixture(scope="module")
async def seeded(fuzzed: System) -> Seeded:
    admin = fuzzed.auth("seed-admin", roles=["platform_admin"])
    http = fuzzed.http
    tag = uuid.uuid4().hex[:8]
    training = await http.post(
        "/api/trainings",
        headers=admin,
        json={
            "code": f"FUZZ-{tag}",
            "title": "Fuzzed training",
            "organizations": ["org-fuzz"],
            "public_registration": True,
            "public_unregistration": True,
            "event_registration_mode": "public",
            "max_users": 2,
        },
    )
    assert training.status_code == 201, training.text
    training_id = training.json()["id"]
    today = date.today()
    session = await http.post(
        f"/api/trainings/{training_id}/sessions",
        headers=admin,
        json={
            "title": "Fuzzed session",
            "start_date": str(today + timedelta(days=30)),
            "end_date": str(today + timedelta(days=31)),
            "default_session": True,
        },
    )
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    start = datetime.now(UTC) + timedelta(days=30)
    event = await http.post(
        f"/api/sessions/{session_id}/events",
        headers=admin,
        json={
            "title": "Fuzzed event",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "registration_mode": "public",
        },
    )
    assert event.status_code == 201, event.text
    curriculum = await http.post(
        "/api/curricula",
        headers=admin,
        json={"code": f"FUZZ-{tag}", "title": "Fuzzed path", "training_ids": [training_id]},
    )
    assert curriculum.status_code == 201, curriculum.text

    async def registration_knows_it() -> bool:
        seats = await http.get("/api/seats", headers=admin, params={"session_id": session_id})
        return seats.status_code == 200 and len(seats.json()["items"]) == 1

    async def notification_knows_it() -> bool:
        message = await http.post(
            "/api/messages",
            headers=admin,
            json={
                "session_id": session_id,
                "subject": "Hello",
                "body": "Hi",
                "channels": ["internal"],
            },
        )
        return message.status_code == 202

    await eventually(registration_knows_it, within=30, what="registration knows the session")
    await eventually(notification_knows_it, within=30, what="notification knows the session")
    return Seeded(training_id, session_id, event.json()["id"], curriculum.json()["id"])


def _config(seeded: Seeded | None) -> str:
    """Fresh Idempotency-Keys (a fuzzer's few short keys would mostly replay or clash: 422), and
    the seeded ids, offered wherever an operation takes them (80% of the time)."""
    keys = ", ".join(f'"fuzz-{n}"' for n in range(IDEMPOTENCY_KEYS))  # a fresh stack: all unused
    lines = [
        "[dictionaries.idempotency-keys]",
        f"values = [{keys}]",
        "",
        "[parameters]",
        '"header.Idempotency-Key" = { dictionary = "idempotency-keys", probability = 1.0 }',
    ]
    if seeded is None:
        return "\n".join(lines) + "\n"
    dictionaries = {
        "sessions": seeded.session_id,
        "events": seeded.event_id,
        "curricula": seeded.curriculum_id,
        "trainings": seeded.training_id,
    }
    bindings = {
        "session_id": "sessions",
        "event_id": "events",
        "curriculum_id": "curricula",
        "training_id": "trainings",
    }
    for name, value in dictionaries.items():
        lines[:0] = [f"[dictionaries.{name}]", f'values = ["{value}"]', ""]
    for parameter, dictionary in bindings.items():
        for where in ("body", "query"):
            lines.append(
                f'"{where}.{parameter}" = {{ dictionary = "{dictionary}", probability = 0.8 }}'
            )
    return "\n".join(lines) + "\n"


# registration and notification first: catalog's run may change or delete the seeded session
@pytest.mark.parametrize("service", ["registration", "notification", "catalog"])
async def test_the_published_api_holds_under_fuzzing(
    fuzzed: System, seeded: Seeded, service: str, tmp_path: Path
) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(seeded if service != "catalog" else None))
    token = fuzzed.token("fuzz-admin", roles=["platform_admin"], name="Fuzz", email="f@example.org")
    gateway = fuzzed.stack.gateway_url
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{gateway}/docs/{service}/openapi.json",
        "--url",
        gateway,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        ",".join(PHASES),
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    output, _ = await asyncio.wait_for(process.communicate(), RUN_WITHIN_S)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-12_000:]
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"{phase} (in" in report, f"the {phase} phase did not run:\n{report[-4000:]}"
