"""Proof under concurrency of waitlist offers (issue 13): two registration processes on one
database and one broker. While seat holders cancel and newcomers register, offered learners
accept, decline or let their offer lapse; seats never exceed `max_users`, the line stays 1..n,
every lapsed offer ends `expired` within 10 s of its deadline, and the published events match
the changes one for one."""

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import asyncpg
import httpx
import pytest

from testsupport.subscriber import Subscriber, subscribed
from testsupport.waiting import eventually

from . import test_replicas as base

pytestmark = pytest.mark.integration

SEATS = 20
WAITING = 60
NEWCOMERS = 20
CANCELLATIONS = 10
# the first offers are accepted, declined and left to lapse in turn; the later ones accepted
MIXED_ANSWERS = 24
OFFER_HOURS = 0.001  # 3.6 s: some offers lapse during the test
GRACE = timedelta(seconds=10)
HOLDING = ("pending", "confirmed", "offered")
ACTIVE = (*HOLDING, "waitlisted")
ADMIN = {"roles": ["platform_admin"]}

replicas = base.replicas  # the same two processes, on a database and a vhost of this module's own

Answer = Literal["accept", "decline", "lapse"]

SAMPLE = """
SELECT s.taken AS counter,
  (SELECT count(*) FROM registrations r
    WHERE r.session_id = s.id AND r.status = ANY($2::text[])) AS taken,
  (SELECT array_agg(r.waitlist_position ORDER BY r.waitlist_position) FROM registrations r
    WHERE r.session_id = s.id AND r.status = 'waitlisted') AS line,
  (SELECT count(*) FROM (SELECT 1 FROM registrations r
    WHERE r.session_id = s.id AND r.status = ANY($3::text[])
    GROUP BY r.user_id HAVING count(*) > 1) AS twice) AS doubles
FROM sessions s WHERE s.id = $1
"""


@dataclass
class Run:
    replicas: base.Replicas
    http: httpx.AsyncClient
    session_id: str
    events: Subscriber
    violations: list[str] = field(default_factory=list)
    samples: int = 0
    answers: dict[str, Answer] = field(default_factory=dict)  # what each offered learner did

    def learner(self, user_id: str) -> dict[str, str]:
        return self.replicas.auth(user_id, email=f"{user_id}@example.org")

    async def register(self, n: int) -> httpx.Response:
        return await self.http.post(
            f"{self.replicas.url(n)}/api/registrations",
            json={"session_id": self.session_id},
            headers=self.learner(f"learner-{n}"),
        )

    async def act(self, n: int, registration: dict[str, Any], verb: str) -> httpx.Response:
        return await self.http.post(
            f"{self.replicas.url(n)}/api/registrations/{registration['id']}/{verb}",
            json={"reason": "concurrency"} if verb == "cancel" else None,
            headers=self.learner(registration["user"]["id"]),
        )

    async def offered(self, n: int) -> list[dict[str, Any]]:
        answer = await self.http.get(
            f"{self.replicas.url(n)}/api/registrations",
            params={"session_id": self.session_id, "status": "offered", "limit": 500},
            headers=self.replicas.auth("admin", **ADMIN),
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    async def seats(self, n: int) -> dict[str, Any]:
        answer = await self.http.get(
            f"{self.replicas.url(n)}/api/seats",
            params={"session_id": self.session_id},
            headers=self.replicas.auth("probe"),
        )
        items: list[dict[str, Any]] = answer.json()["items"]
        return items[0]

    def facts(self, fact: str | None = None) -> list[dict[str, Any]]:
        """The session's `registration.<fact>` events (all of them without `fact`), each once."""
        unique = {r.envelope["id"]: r.envelope for r in self.events.received}
        wanted = f"registration.{fact}" if fact else None
        return [
            e
            for e in unique.values()
            if e["type"].startswith("registration.")
            and wanted in (None, e["type"])
            and e["data"]["session_id"] == self.session_id
        ]


async def sample(run: Run, conn: Any, n: int) -> None:
    """One look through the API and the database; what breaks a rule goes to `violations`."""
    seats = await run.seats(n)
    if not 0 <= seats["taken"] <= SEATS or seats["max_users"] != SEATS:
        run.violations.append(f"seats {seats}")
    late = datetime.now(UTC) - GRACE
    for offer in await run.offered(n):
        if offer["waitlist_position"] is not None or offer["offer_expires_at"] is None:
            run.violations.append(f"offer without a deadline or still in line {offer}")
        elif datetime.fromisoformat(offer["offer_expires_at"]) < late:
            run.violations.append(f"offer outstanding past its deadline + 10 s {offer}")
    row = await conn.fetchrow(SAMPLE, run.session_id, HOLDING, ACTIVE)
    line = list(row["line"] or [])
    if not row["taken"] == row["counter"] <= SEATS:
        run.violations.append(f"taken {row['taken']}, counter {row['counter']}")
    if line != list(range(1, len(line) + 1)):
        run.violations.append(f"line {line}")
    if row["doubles"]:
        run.violations.append(f"{row['doubles']} users with two active registrations")
    run.samples += 1


async def keep_sampling(run: Run, stop: asyncio.Event) -> None:
    conn = await asyncpg.connect(run.replicas.database_url)
    try:
        for n in itertools.count():
            await sample(run, conn, n)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.1)  # the pace, not a wait for work
            if stop.is_set():
                return
    finally:
        await conn.close()


async def answer_offers(run: Run, tasks: list[asyncio.Task[None]]) -> None:
    """Each offer announced on the broker is answered at once, except those left to lapse."""

    def unanswered(envelope: dict[str, Any]) -> bool:
        return (
            envelope["type"] == "registration.offered" and envelope["data"]["id"] not in run.answers
        )

    for k in itertools.count():
        received = await run.events.wait_for(unanswered, within=300, what="an offer")
        offer = received.envelope["data"]
        choice: Answer = ("accept", "decline", "lapse")[k % 3] if k < MIXED_ANSWERS else "accept"
        run.answers[offer["id"]] = choice
        if choice != "lapse":
            tasks.append(asyncio.create_task(answer(run, k, offer, choice)))


async def answer(run: Run, k: int, offer: dict[str, Any], choice: Answer) -> None:
    reply = await run.act(k, offer, choice)
    if reply.status_code == 409:  # the deadline passed before the answer arrived: it lapsed
        run.answers[offer["id"]] = "lapse"
    elif reply.status_code != 200:
        run.violations.append(f"{choice} {offer['id']}: {reply.status_code} {reply.text}")


async def test_offers_across_two_replicas_never_oversell_and_expire_on_time(
    replicas: base.Replicas,
) -> None:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=2)
    async with (
        subscribed(replicas.amqp_url, ["registration.#"]) as events,
        httpx.AsyncClient(timeout=120, limits=limits) as http,
    ):
        session = await base.publish_session(
            replicas.amqp_url,
            max_users=SEATS,
            waitlist_offer_hours=OFFER_HOURS,
            public_registration=True,
            public_unregistration=True,
            organizations=["org-o"],
        )
        run = Run(replicas, http, str(session), events)

        async def known() -> bool:
            with suppress(IndexError):
                return bool(await run.seats(0))
            return False

        await eventually(known, within=20, what="the session in the replica")
        first = await asyncio.gather(*(run.register(n) for n in range(SEATS + WAITING)))
        assert {a.status_code for a in first} == {201}, [a.text for a in first][:3]
        registered = [a.json() for a in first]
        seated = [r for r in registered if r["status"] == "confirmed"]
        line = sorted(r["waitlist_position"] for r in registered if r["status"] == "waitlisted")
        assert (len(seated), line) == (SEATS, list(range(1, WAITING + 1)))

        stop = asyncio.Event()
        answering: list[asyncio.Task[None]] = []
        sampler = asyncio.create_task(keep_sampling(run, stop))
        responder = asyncio.create_task(answer_offers(run, answering))
        newcomers = range(SEATS + WAITING, SEATS + WAITING + NEWCOMERS)
        try:
            cancelled, later = await asyncio.gather(
                asyncio.gather(
                    *(run.act(n, r, "cancel") for n, r in enumerate(seated[:CANCELLATIONS]))
                ),
                asyncio.gather(*(run.register(n) for n in newcomers)),
            )
            assert [c.status_code for c in cancelled] == [200] * CANCELLATIONS, replicas.output[
                -30:
            ]
            assert {a.status_code for a in later} == {201}, [a.text for a in later][:3]

            async def settled() -> bool:
                assert not responder.done(), responder  # it waits for offers until told to stop
                return (await run.seats(0))["taken"] == SEATS and not await run.offered(1)

            await eventually(settled, within=180, interval=0.25, what="seats held, no offer open")
        finally:
            stop.set()
            responder.cancel()
            with suppress(asyncio.CancelledError):
                await responder
            await sampler
        await asyncio.gather(*answering)
        assert not run.violations, run.violations[:10]
        await assert_end(run, registered + [a.json() for a in later], seated[:CANCELLATIONS])
        assert run.samples >= 10, "the run was watched throughout"


async def assert_end(
    run: Run, registered: list[dict[str, Any]], left: list[dict[str, Any]]
) -> None:
    """The final state in the database, and the events that led there, one per change."""
    conn = await asyncpg.connect(run.replicas.database_url)
    try:
        await sample(run, conn, 0)
        rows = await conn.fetch(
            "SELECT id::text, status FROM registrations WHERE session_id = $1", run.session_id
        )
    finally:
        await conn.close()
    assert not run.violations, run.violations
    status: dict[str, str] = {r["id"]: r["status"] for r in rows}
    assert set(status) == {r["id"] for r in registered}
    by_status = Counter(status.values())
    assert (by_status["pending"] + by_status["confirmed"], by_status["offered"]) == (SEATS, 0)

    def last_told() -> dict[str, str]:
        latest: dict[str, tuple[int, str]] = {}
        for e in run.facts():
            data = e["data"]
            latest[data["id"]] = max(
                latest.get(data["id"], (0, "")), (data["version"], data["status"])
            )
        return {ident: told for ident, (_, told) in latest.items()}

    await eventually(lambda: last_told() == status, within=30, what="the events to catch up")

    def ids(fact: str, match: Callable[[dict[str, Any]], bool] = lambda _: True) -> Counter[str]:
        return Counter(e["data"]["id"] for e in run.facts(fact) if match(e["data"]))

    def answered(choice: Answer) -> Counter[str]:
        return Counter(i for i, a in run.answers.items() if a == choice)

    def now(*statuses: str) -> Counter[str]:
        return Counter(i for i, s in status.items() if s in statuses)

    offered = ids("offered")
    assert offered, "freed seats were offered, not given, to the head of the line"
    assert set(offered.values()) == {1}, "one offer per registration"
    assert set(offered) == set(run.answers)
    assert set(offered) <= {r["id"] for r in registered if r["status"] == "waitlisted"}
    assert {status[i] for i in offered} <= {"pending", "confirmed", "cancelled", "expired"}
    accepted = ids("promoted", lambda d: d["previous_status"] == "offered")
    assert accepted == ids("promoted") == answered("accept"), "no seat but through an offer"
    assert set(accepted) == {i for i in offered if status[i] in ("pending", "confirmed")}
    declined = ids("cancelled", lambda d: d["reason"] == "offer_declined")
    assert declined == answered("decline")
    assert ids("cancelled", lambda d: d["reason"] == "concurrency") == Counter(
        r["id"] for r in left
    )
    assert ids("cancelled") == now("cancelled") == declined + Counter(r["id"] for r in left)
    lapsed = ids(
        "expired", lambda d: (d["reason"], d["previous_status"]) == ("offer_expired", "offered")
    )
    assert lapsed == ids("expired") == answered("lapse") == now("expired")
    assert lapsed, "some offers lapsed during the run"
    deadlines = {e["data"]["id"]: e["data"]["offer_expires_at"] for e in run.facts("offered")}
    for e in run.facts("expired"):
        late = datetime.fromisoformat(e["time"]) - datetime.fromisoformat(
            deadlines[e["data"]["id"]]
        )
        assert timedelta(0) <= late <= GRACE, (e["data"]["id"], late)
    # every freed seat went to the next in line as one offer: each cancel, decline and lapse
    assert offered.total() == CANCELLATIONS + declined.total() + lapsed.total()
