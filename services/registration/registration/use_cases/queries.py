"""Reading session registrations and seats: no lock, no change."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from registration import store
from registration.domain import Seats
from registration.use_cases import Database
from registration.use_cases.changes import registration_of
from registration.use_cases.rights import session_rights
from registration.windows import open_now, window_of
from shared.auth import Principal
from shared.events import Registration
from shared.listing import Listing
from shared.refusals import forbidden, not_found


@dataclass(frozen=True)
class SessionSeats:
    session_id: uuid.UUID
    max_users: int | None
    taken: int
    waitlisted: int
    free: int | None
    open: bool
    """Learners may register themselves now: public, scheduled and inside its window."""


async def registration(database: Database, actor: Principal, reg_id: uuid.UUID) -> Registration:
    async with database() as db:
        row = await store.registration_by_id(db, reg_id)
        if row is None:
            raise not_found("registration", reg_id)
        session = await store.session_by_id(db, row["session_id"])
    found = registration_of(row)
    if session is None or not session_rights(actor, session, found.user).may_read:
        raise forbidden("Only the learner or someone who may act on it can read it.")
    return found


async def current_registration(
    database: Database, session_id: uuid.UUID, user_id: str
) -> Registration | None:
    async with database() as db:
        row = await store.latest_registration(db, session_id, user_id)
    return registration_of(row) if row else None


async def registrations(
    database: Database, actor: Principal, filters: dict[str, Any], listing: Listing
) -> tuple[list[Registration], int]:
    visible_to: store.Visibility | None = None
    if not actor.is_platform_admin:
        visible_to = store.Visibility(
            actor.sub,
            organizations=list(actor.organizations) if actor.is_training_manager else [],
            managed_organizations=list(actor.managed_organizations),
        )
    async with database() as db:
        rows, total = await store.list_registrations(
            db, listing, filters=filters, visible_to=visible_to
        )
    return [registration_of(row) for row in rows], total


async def seats(database: Database, session_ids: Sequence[uuid.UUID]) -> list[SessionSeats]:
    async with database() as db:
        rows = {row["id"]: row for row in await store.seats_for(db, session_ids)}
    now = datetime.now(UTC)
    found = []
    for session_id in dict.fromkeys(session_ids):
        row = rows.get(session_id)
        if row is None:
            continue
        held = Seats(row["max_users"], row["taken"], row["waitlisted"])
        public = row["status"] == "scheduled" and row["public_registration"]
        found.append(
            SessionSeats(
                session_id,
                held.max_users,
                held.taken,
                held.waitlisted,
                held.free,
                open_now(public, window_of(row), now),
            )
        )
    return found
