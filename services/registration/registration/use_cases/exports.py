"""A session's registrations for its managers (the CSV export)."""

import uuid

from registration import store
from registration.use_cases import Database
from registration.use_cases.changes import registration_of
from shared.auth import Principal
from shared.events import Registration
from shared.refusals import forbidden, not_found


async def export(database: Database, actor: Principal, session_id: uuid.UUID) -> list[Registration]:
    async with database() as db:
        session = await store.session_by_id(db, session_id)
        if session is None or session["status"] == "deleted":
            raise not_found("session", session_id)
        if not actor.manages_training_of(session["organizations"]):
            raise forbidden("Only a manager of the training exports its registrations.")
        rows = await store.session_registrations(db, session_id)
    return [registration_of(row) for row in rows]
