"""Catalog use cases: one transaction each, the state change and its events together."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog import domain, store
from shared.auth import Principal
from shared.db import transaction
from shared.events import SessionData, TrainingData, new_event
from shared.observability import request_id
from shared.problems import conflict, forbidden, invalid, not_found

SERVICE = "catalog"


class Catalog:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create_training(self, actor: Principal, fields: dict[str, Any]) -> TrainingData:
        if not domain.may_manage(actor, fields["organizations"]):
            raise forbidden("Only a training manager of these organizations may create it.")
        now = datetime.now(UTC)
        values = {"id": uuid.uuid4(), "version": 1, "created_at": now, "updated_at": now, **fields}
        try:
            async with transaction(self._sessions) as db:
                training = TrainingData.model_validate(await store.insert_training(db, values))
                await _announce(db, "catalog.training.created", training)
        except IntegrityError as exc:
            async with self._sessions() as db:
                existing = await store.training_id_by_code(db, fields["code"])
            if existing is None:
                raise
            raise conflict(
                f"A training with code {fields['code']!r} exists.", id=str(existing)
            ) from exc
        return training

    async def training(self, training_id: uuid.UUID) -> TrainingData:
        async with self._sessions() as db:
            row = await store.training_by_id(db, training_id)
        if row is None:
            raise not_found("training", training_id)
        return TrainingData.model_validate(row)

    async def create_session(
        self, actor: Principal, training_id: uuid.UUID, fields: dict[str, Any]
    ) -> SessionData:
        try:
            domain.check_session_dates(fields["start_date"], fields["end_date"])
        except domain.CatalogRuleError as exc:
            raise invalid(exc.loc, exc.msg) from exc
        async with transaction(self._sessions) as db:
            training = await store.training_by_id(db, training_id)
            if training is None:
                raise not_found("training", training_id)
            if not domain.may_manage(actor, training["organizations"]):
                raise forbidden("Only a manager of this training may create its sessions.")
            now = datetime.now(UTC)
            requested_rules = {k: fields.pop(k) for k in domain.RULE_FIELDS if k in fields}
            values = {
                "id": uuid.uuid4(),
                "training_id": training_id,
                "organizations": training["organizations"],
                "status": "scheduled",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                **fields,
                **domain.session_rules(training, requested_rules),
            }
            session = SessionData.model_validate(await store.insert_session(db, values))
            await _announce(db, "catalog.session.created", session)
        return session

    async def session(self, session_id: uuid.UUID) -> SessionData:
        async with self._sessions() as db:
            row = await store.session_by_id(db, session_id)
        if row is None:
            raise not_found("session", session_id)
        return SessionData.model_validate(row)


async def _announce(db: AsyncSession, type_: str, resource: TrainingData | SessionData) -> None:
    event = new_event(
        SERVICE, type_, resource, subject=str(resource.id), request_id=request_id.get()
    )
    await store.record_event(db, event)
