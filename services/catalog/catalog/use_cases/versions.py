"""A resource's versions: the first, the next, and the event that announces each."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypedDict, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from catalog import store
from shared.auth import Principal
from shared.events import Versioned, new_event
from shared.observability import request_id

SERVICE = "catalog"

Resource = TypeVar("Resource", bound=Versioned)


class HasVersion(Protocol):
    version: int


def now() -> datetime:
    return datetime.now(UTC)


class Versioning(TypedDict):
    version: int
    created_at: datetime
    updated_at: datetime


def first_version() -> Versioning:
    created = now()
    return {"version": 1, "created_at": created, "updated_at": created}


def next_version(current: HasVersion, changed: Mapping[str, object]) -> dict[str, object]:
    """The columns to write: what changed, the next version and when."""
    return {**changed, "version": current.version + 1, "updated_at": now()}


def as_deleted(current: Resource) -> Resource:
    """A `*.deleted` event carries the resource as it was, its version bumped (docs/catalog.md)."""
    return current.model_copy(update=next_version(current, {}))


async def announce(
    db: AsyncSession, type_: str, resource: Versioned, actor: Principal, **extra: Any
) -> None:
    """The event leaves through the outbox once `db`'s transaction commits."""
    data = {**resource.model_dump(mode="json"), "actor": actor.sub, **extra}
    event = new_event(SERVICE, type_, data, subject=str(resource.id), request_id=request_id.get())
    await store.record_event(db, event)
