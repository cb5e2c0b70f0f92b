"""One registration, one trace: the stack exports its spans over OTLP/HTTP to a receiver run by
the test, and the request the gateway started a trace for is followed through registration's use
case, its outbox publish, notification's consumer and the email sent."""

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from testsupport.infra import Servers
from testsupport.mailbox import MailServer
from testsupport.otlp import ReceivedSpan, TraceReceiver
from testsupport.system import System, running_system
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-traces"
SERVER, PRODUCER, CONSUMER, CLIENT = 2, 4, 5, 3  # Span.SpanKind
REGISTER_ROUTE = "/api/registrations"


@pytest.fixture
def receiver() -> Iterator[TraceReceiver]:
    with TraceReceiver().running() as running:
        yield running


@pytest.fixture
async def traced_system(
    servers: Servers, running_mail_server: MailServer, receiver: TraceReceiver
) -> AsyncIterator[System]:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    async with running_system(servers, running_mail_server, "traces", env=env) as system:
        await eventually(system.healthy, within=60, what="every service healthy")
        yield system


async def _public_session(system: System, manager: dict[str, str]) -> str:
    training = await system.http.post(
        "/api/trainings",
        json={
            "code": f"TRC-{uuid.uuid4().hex[:8]}",
            "title": "Traces",
            "organizations": [ORG],
            "public_registration": True,
        },
        headers=manager,
    )
    assert training.status_code == 201, training.text
    session = await system.http.post(
        f"/api/trainings/{training.json()['id']}/sessions",
        json={"title": "Session", "start_date": "2027-06-01", "end_date": "2027-06-02"},
        headers=manager,
    )
    assert session.status_code == 201, session.text
    session_id: str = session.json()["id"]
    return session_id


def _registered(spans: list[ReceivedSpan]) -> ReceivedSpan | None:
    """registration's server span of the one request that registered (201)."""
    found = [
        span
        for span in spans
        if span.service == "registration"
        and span.kind == SERVER
        and span.attributes.get("http.route") == REGISTER_ROUTE
        and span.attributes.get(
            "http.status_code", span.attributes.get("http.response.status_code")
        )
        == 201
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def _status(span: ReceivedSpan) -> object:
    # the semantic conventions' old name, or the stable one when OTEL_SEMCONV_STABILITY_OPT_IN asks
    return span.attributes.get("http.status_code", span.attributes.get("http.response.status_code"))


def _children(spans: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [span for span in spans if span.parent_id == parent.span_id]


async def test_one_registration_is_one_trace_across_the_services(
    traced_system: System, running_mail_server: MailServer, receiver: TraceReceiver
) -> None:
    system, mail = traced_system, running_mail_server
    manager = system.auth("traces-manager", roles=["training_manager"], organizations=[ORG])
    session_id = await _public_session(system, manager)
    email = f"learner.{uuid.uuid4().hex[:8]}@example.org"
    learner = system.auth("traces-learner", email=email, organizations=[ORG])

    async def registered() -> bool:
        answer = await system.http.post(
            "/api/registrations", json={"session_id": session_id}, headers=learner
        )
        return answer.status_code == 201

    await eventually(registered, within=20, what="the session known to registration")
    await eventually(lambda: mail.to(email), within=30, what="the learner's email")

    def whole_trace() -> list[ReceivedSpan] | None:
        spans = receiver.received()
        root = _registered(spans)
        if root is None:
            return None
        trace = [span for span in spans if span.trace_id == root.trace_id]
        sent = [s for s in trace if s.service == "notification" and s.name == "email send"]
        ids = {span.span_id for span in trace}
        # each process exports in its own batches: wait for every parent, not the last span only
        connected = all(span.parent_id in ids for span in trace if span is not root)
        return trace if sent and connected else None

    trace = await eventually(whole_trace, within=30, what="the whole trace exported, connected")
    root = _registered(trace)
    assert root is not None
    ids = {span.span_id for span in trace}
    # the gateway started the trace: the root's parent is its span, exported by no one
    assert root.parent_id
    assert root.parent_id not in ids
    assert all(span.parent_id in ids for span in trace if span is not root)

    publishes = [
        span
        for span in _children(trace, root)
        if span.kind == PRODUCER and span.name.startswith("publish registration.")
    ]
    assert publishes, [span.name for span in trace]
    consumed = [
        span
        for publish in publishes
        for span in _children(trace, publish)
        if span.service == "notification" and span.kind == CONSUMER
    ]
    assert consumed, [span.name for span in trace]
    sends = [
        span
        for consumer in consumed
        for span in _children(trace, consumer)
        if span.name == "email send" and span.kind == CLIENT
    ]
    assert sends, [(span.service, span.name) for span in trace]
    # the database's statements, through SQLAlchemy's asyncpg driver, are in the trace too
    assert any(span.attributes.get("db.system") == "postgresql" for span in trace)
    # and the loops' polls, outside any trace, are not traces of their own
    assert all(span.parent_id for span in receiver.received() if "db.system" in span.attributes)
    # catalog exported its own: the session's creation is a trace of its own
    catalog = [span for span in receiver.received() if span.service == "catalog"]
    assert catalog
    assert root.trace_id not in {span.trace_id for span in catalog}
