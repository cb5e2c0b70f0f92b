"""`Idempotency-Key` on POST (docs/api-conventions.md, Idempotency-Key): the same key with the
same body within 24 h answers the first response again and changes nothing; the same key with
another body is 422.

Keys belong to the caller (the verified token's `sub`), so two clients cannot collide and a
forged token replays nothing; a request without a valid token is passed on untouched (401). The
first request claims the key with an insert; a concurrent second one finds the claim and gets 409
until the first has answered. Only decided answers are kept (2xx, and 4xx but 401, 408, 413 and
429): a server error or a refused token leaves the key free to retry.

The answer is stored after the use case has committed, in its own statement: a process killed in
between leaves the key claimed but unanswered, and the retry gets 409 until the claim expires
(`CLAIM_TIMEOUT`), then runs again. Use cases that must not run twice guard themselves as well
(registration's one-active-registration index answers the retry with 409 and the existing id).
"""

import hashlib
import json
import logging
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import TokenVerifier, verify_authorization
from shared.db import pruning
from shared.problems import MAX_BODY_BYTES, Problem, problem_response, read_body

HEADER = "idempotency-key"
_HEADER = HEADER.encode()
KEEP_FOR = timedelta(hours=24)
CLAIM_TIMEOUT = timedelta(minutes=2)
MAX_KEY_LENGTH = 255
_NOT_KEPT = {401, 408, 413, 429}

log = logging.getLogger(__name__)


def idempotency_table(metadata: MetaData, name: str = "idempotency_keys") -> Table:
    return Table(
        name,
        metadata,
        Column("owner", Text, primary_key=True),
        Column("key", Text, primary_key=True),
        Column("request_hash", Text, nullable=False),
        Column("status", Integer, nullable=True),
        Column("headers", JSONB, nullable=True),
        Column("body", LargeBinary, nullable=True),
        Column(
            "created_at",
            DateTime(timezone=True),
            nullable=False,
            server_default=func.now(),
            index=True,
        ),
    )


class IdempotentPosts:
    """ASGI middleware: replays the stored answer of a POST retried with the same key."""

    def __init__(
        self, app: ASGIApp, *, engine: AsyncEngine, table: Table, verifier: TokenVerifier
    ) -> None:
        self.app = app
        self._engine = engine
        self._table = table
        self._verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        # the last of a repeated header counts, as in a dict of the headers
        raw_key = authorization = b""
        for name, value in scope["headers"]:
            if name == _HEADER:
                raw_key = value
            elif name == b"authorization":
                authorization = value
        key = raw_key.decode("latin-1").strip()
        if not key:
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY_LENGTH:
            await _problem(422, f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.")(
                scope, receive, send
            )
            return
        body, replay_receive = await read_body(receive, MAX_BODY_BYTES)
        if body is None:  # too large: let the body limit answer 413
            await self.app(scope, replay_receive, send)
            return
        owner = await self._owner(authorization.decode("latin-1"))
        if owner is None:  # no valid token: nothing to replay, the route answers 401
            await self.app(scope, replay_receive, send)
            return
        digest = _request_hash(scope, body)
        claim = await self._claim(owner, key, digest)
        if claim is not None:
            await claim(scope, receive, send)
            return
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            await self._settle(owner, key, captured)

    async def _owner(self, authorization: str) -> str | None:
        """The caller the key belongs to, from a verified token: a forged one replays nothing."""
        try:
            principal = await verify_authorization(self._verifier, authorization)
        except Problem:
            return None
        return principal.sub

    async def _claim(self, owner: str, key: str, digest: str) -> ASGIApp | None:
        """None when this request now owns the key; else the answer to give instead."""
        table = self._table
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            # This key is free again once its answer is older than 24 h (the table is pruned in
            # the background), or when its claim never got an answer (a killed process).
            await conn.execute(
                delete(table).where(
                    table.c.owner == owner,
                    table.c.key == key,
                    or_(
                        table.c.created_at < now - KEEP_FOR,
                        and_(table.c.status.is_(None), table.c.created_at < now - CLAIM_TIMEOUT),
                    ),
                )
            )
            claimed = await conn.execute(
                pg_insert(table)
                .values(owner=owner, key=key, request_hash=digest, created_at=now)
                .on_conflict_do_nothing()
                .returning(table.c.key)
            )
            if claimed.first() is not None:
                return None
            row = (
                await conn.execute(
                    table.select().where(and_(table.c.owner == owner, table.c.key == key))
                )
            ).first()
        if row is None:  # pruned between the two statements: treat as in progress
            return _problem(409, "A request with this Idempotency-Key is in progress.")
        if row.request_hash != digest:
            return _problem(
                422, "This Idempotency-Key was used with another request; use a new key."
            )
        if row.status is None:
            return _problem(409, "A request with this Idempotency-Key is in progress.")
        return _replay(row.status, row.headers or [], row.body or b"")

    async def _settle(self, owner: str, key: str, captured: dict[str, Any]) -> None:
        table = self._table
        status = captured["status"]
        mine = and_(table.c.owner == owner, table.c.key == key, table.c.status.is_(None))
        try:
            async with self._engine.begin() as conn:
                if status >= 500 or status in _NOT_KEPT:
                    await conn.execute(delete(table).where(mine))
                    return
                kept = [
                    [name.decode("latin-1"), value.decode("latin-1")]
                    for name, value in captured["headers"]
                    if name.lower() in (b"content-type", b"location")
                ]
                await conn.execute(
                    update(table)
                    .where(mine)
                    .values(status=status, headers=kept, body=captured["body"])
                )
        except Exception:
            log.exception("could not record the answer for Idempotency-Key %r", key)


def _request_hash(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(scope["path"].encode())
    digest.update(b"?" + scope.get("query_string", b""))
    try:  # the same JSON written differently is the same request
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON, or too deep for it: the route answers 400
        canonical = body
    digest.update(b"\n" + canonical)
    return digest.hexdigest()


def _replay(status: int, headers: list[list[str]], body: bytes) -> ASGIApp:
    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        raw.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    return answer


def _problem(status: int, detail: str) -> ASGIApp:
    response = problem_response(status, detail=detail)

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        await response(scope, receive, send)

    return answer


def pruning_keys(engine: AsyncEngine, table: Table) -> AbstractAsyncContextManager[None]:
    """Delete keys older than 24 h in the background while the block runs."""
    return pruning(engine, table.c.created_at, KEEP_FOR)
