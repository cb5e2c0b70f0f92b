"""Catalog use cases: one transaction each, the state change and its events together."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog import domain, store
from catalog.domain import Comment
from shared.auth import Principal
from shared.db import transaction
from shared.events import (
    CurriculumData,
    EventData,
    SessionData,
    TrainingData,
    Versioned,
    new_event,
)
from shared.listing import Listing, Page
from shared.observability import request_id
from shared.problems import Problem, conflict, forbidden, invalid, not_found

SERVICE = "catalog"

CodeLookup = Callable[[AsyncSession, str], Awaitable[uuid.UUID | None]]


def _now() -> datetime:
    return datetime.now(UTC)


def _next_version(current: dict[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
    return {**changed, "version": current["version"] + 1, "updated_at": _now()}


def _rule_error(exc: domain.CatalogRuleError) -> Problem:
    return invalid(exc.loc, exc.msg)


class Catalog:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # Trainings

    async def create_training(self, actor: Principal, fields: dict[str, Any]) -> TrainingData:
        fields["organizations"] = domain.distinct(fields["organizations"])
        fields["validators"] = domain.distinct(fields["validators"])
        if not domain.may_manage(actor, fields["organizations"]):
            raise forbidden("Only a training manager of these organizations may create it.")
        now = _now()
        values = {"id": uuid.uuid4(), "version": 1, "created_at": now, "updated_at": now, **fields}
        try:
            async with transaction(self._sessions) as db:
                await self._refuse_taken_code(db, store.training_id_by_code, fields["code"])
                training = TrainingData.model_validate(
                    await store.insert_row(db, store.trainings, values)
                )
                await _announce(db, "catalog.training.created", training, actor)
        except IntegrityError as exc:
            raise await self._code_conflict(store.training_id_by_code, fields["code"]) from exc
        return training

    async def trainings(
        self, listing: Listing, *, q: str | None, organization: str | None
    ) -> Page[TrainingData]:
        async with self._sessions() as db:
            rows, total = await store.list_trainings(
                db, listing, pattern=_pattern(q), organization=organization
            )
        return Page(items=[TrainingData.model_validate(r) for r in rows], total=total)

    async def training(self, training_id: uuid.UUID) -> TrainingData:
        async with self._sessions() as db:
            row = await store.row_by_id(db, store.trainings, training_id)
        if row is None:
            raise not_found("training", training_id)
        return TrainingData.model_validate(row)

    async def update_training(
        self, actor: Principal, training_id: uuid.UUID, fields: dict[str, Any]
    ) -> TrainingData:
        for listed in ("organizations", "validators"):
            if listed in fields:
                fields[listed] = domain.distinct(fields[listed])
        try:
            async with transaction(self._sessions) as db:
                current = await store.row_by_id(db, store.trainings, training_id, lock=True)
                if current is None:
                    raise not_found("training", training_id)
                if not domain.may_manage(actor, current["organizations"]):
                    raise forbidden("Only a manager of this training may change it.")
                if "organizations" in fields and not domain.may_manage(
                    actor, fields["organizations"]
                ):
                    raise forbidden("You would no longer manage this training.")
                changed = domain.changes(current, fields)
                if not changed:
                    return TrainingData.model_validate(current)
                if "code" in changed:
                    await self._refuse_taken_code(
                        db, store.training_id_by_code, changed["code"], own=training_id
                    )
                training = TrainingData.model_validate(
                    await store.update_row(
                        db, store.trainings, training_id, _next_version(current, changed)
                    )
                )
                await _announce(db, "catalog.training.updated", training, actor)
                if "organizations" in changed:
                    await self._follow_training_organizations(db, actor, training)
        except IntegrityError as exc:
            raise await self._code_conflict(
                store.training_id_by_code, fields.get("code", ""), own=training_id
            ) from exc
        return training

    async def _follow_training_organizations(
        self, db: AsyncSession, actor: Principal, training: TrainingData
    ) -> None:
        """A training's sessions (and so their events) and its curricula carry its organizations."""
        for session in await store.sessions_of_training(db, training.id):
            await self._change_session(
                db, actor, session, {"organizations": training.organizations}
            )
        for node in await store.curricula_with_training(db, training.id):
            await self._refresh_curriculum_organizations(db, actor, node)

    async def delete_training(self, actor: Principal, training_id: uuid.UUID) -> None:
        async with transaction(self._sessions) as db:
            current = await store.row_by_id(db, store.trainings, training_id, lock=True)
            if current is None:
                raise not_found("training", training_id)
            if not domain.may_manage(actor, current["organizations"]):
                raise forbidden("Only a manager of this training may delete it.")
            sessions = await store.sessions_of_training(db, training_id)
            if sessions:
                raise conflict(
                    "The training has sessions: delete them first.", id=str(sessions[0]["id"])
                )
            nodes = await store.curricula_with_training(db, training_id)
            if nodes:
                raise conflict(
                    "A curriculum lists the training: remove it from there first.",
                    id=str(nodes[0]["id"]),
                )
            await store.delete_row(db, store.trainings, training_id)
            gone = TrainingData.model_validate({**current, **_next_version(current, {})})
            await _announce(db, "catalog.training.deleted", gone, actor)

    # Sessions

    async def create_session(
        self, actor: Principal, training_id: uuid.UUID, fields: dict[str, Any]
    ) -> SessionData:
        async with transaction(self._sessions) as db:
            # The training's row lock serialises the choice of its default session.
            training = await store.row_by_id(db, store.trainings, training_id, lock=True)
            if training is None:
                raise not_found("training", training_id)
            if not domain.may_manage(actor, training["organizations"]):
                raise forbidden("Only a manager of this training may create its sessions.")
            try:
                domain.check_session_dates(fields["start_date"], fields["end_date"])
            except domain.CatalogRuleError as exc:
                raise _rule_error(exc) from exc
            await _check_curriculum_exists(db, fields.get("curriculum_id"))
            requested_rules = {k: fields.pop(k) for k in domain.RULE_FIELDS if k in fields}
            rules = domain.session_rules(training, requested_rules)
            rules["validators"] = domain.distinct(rules["validators"])
            fields["tutors"] = domain.distinct(fields["tutors"])
            if fields["default_session"]:
                await self._clear_default_session(db, actor, training_id)
            now = _now()
            values = {
                "id": uuid.uuid4(),
                "training_id": training_id,
                "organizations": training["organizations"],
                "status": "scheduled",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                **fields,
                **rules,
            }
            session = SessionData.model_validate(await store.insert_row(db, store.sessions, values))
            await _announce(db, "catalog.session.created", session, actor)
        return session

    async def sessions(
        self,
        listing: Listing,
        *,
        training_id: uuid.UUID | None,
        q: str | None,
        status: str | None,
        starts_after: date | None,
        starts_before: date | None,
    ) -> Page[SessionData]:
        async with self._sessions() as db:
            rows, total = await store.list_sessions(
                db,
                listing,
                training_id=training_id,
                pattern=_pattern(q),
                status=status,
                starts_after=starts_after,
                starts_before=starts_before,
            )
        return Page(items=[SessionData.model_validate(r) for r in rows], total=total)

    async def session(self, session_id: uuid.UUID) -> SessionData:
        async with self._sessions() as db:
            row = await store.row_by_id(db, store.sessions, session_id)
        if row is None:
            raise not_found("session", session_id)
        return SessionData.model_validate(row)

    async def update_session(
        self, actor: Principal, session_id: uuid.UUID, fields: dict[str, Any]
    ) -> SessionData:
        for listed in ("tutors", "validators"):
            if listed in fields:
                fields[listed] = domain.distinct(fields[listed])
        async with transaction(self._sessions) as db:
            current = await self._locked_session_and_training(db, session_id)
            if not domain.may_manage(actor, current["organizations"]):
                raise forbidden("Only a manager of this session's training may change it.")
            try:
                domain.check_session_dates(
                    fields.get("start_date", current["start_date"]),
                    fields.get("end_date", current["end_date"]),
                )
            except domain.CatalogRuleError as exc:
                raise _rule_error(exc) from exc
            changed = domain.changes(current, fields)
            if not changed:
                return SessionData.model_validate(current)
            if "curriculum_id" in changed:
                await _check_curriculum_exists(db, changed["curriculum_id"])
            if changed.get("default_session"):
                await self._clear_default_session(db, actor, current["training_id"])
            session = await self._change_session(db, actor, current, changed)
        return session

    async def cancel_session(
        self, actor: Principal, session_id: uuid.UUID, reason: str
    ) -> SessionData:
        async with transaction(self._sessions) as db:
            current = await store.row_by_id(db, store.sessions, session_id, lock=True)
            if current is None:
                raise not_found("session", session_id)
            if not domain.may_manage(actor, current["organizations"]):
                raise forbidden("Only a manager of this session's training may cancel it.")
            if current["status"] == "cancelled":
                raise conflict("The session is already cancelled.", id=str(session_id))
            changed = {"status": "cancelled", "cancel_reason": reason}
            session = SessionData.model_validate(
                await store.update_row(
                    db, store.sessions, session_id, _next_version(current, changed)
                )
            )
            await _announce(
                db,
                "catalog.session.cancelled",
                session,
                actor,
                previous_status=current["status"],
                reason=reason,
            )
        return session

    async def delete_session(self, actor: Principal, session_id: uuid.UUID) -> None:
        async with transaction(self._sessions) as db:
            current = await self._locked_session_and_training(db, session_id)
            if not domain.may_manage(actor, current["organizations"]):
                raise forbidden("Only a manager of this session's training may delete it.")
            for event in await store.events_of_session(db, session_id):
                await self._remove_event(db, actor, event)
            await store.delete_row(db, store.sessions, session_id)
            gone = SessionData.model_validate({**current, **_next_version(current, {})})
            await _announce(db, "catalog.session.deleted", gone, actor)

    async def _locked_session_and_training(
        self, db: AsyncSession, session_id: uuid.UUID
    ) -> dict[str, Any]:
        """The session, locked after its training (the order every use case locks them in)."""
        found = await store.row_by_id(db, store.sessions, session_id)
        if found is None:
            raise not_found("session", session_id)
        await store.row_by_id(db, store.trainings, found["training_id"], lock=True)
        current = await store.row_by_id(db, store.sessions, session_id, lock=True)
        if current is None:
            raise not_found("session", session_id)
        return current

    async def _clear_default_session(
        self, db: AsyncSession, actor: Principal, training_id: uuid.UUID
    ) -> None:
        for other in await store.sessions_of_training(db, training_id, default_only=True):
            await self._change_session(db, actor, other, {"default_session": False})

    async def _change_session(
        self,
        db: AsyncSession,
        actor: Principal,
        current: dict[str, Any],
        changed: dict[str, Any],
    ) -> SessionData:
        session = SessionData.model_validate(
            await store.update_row(
                db, store.sessions, current["id"], _next_version(current, changed)
            )
        )
        await _announce(db, "catalog.session.updated", session, actor)
        if domain.SESSION_FIELDS_EVENTS_CARRY.intersection(changed):
            for event in await store.events_of_session(db, session.id):
                await self._change_event(db, actor, event, {})
        return session

    # Events (séances)

    async def create_event(
        self, actor: Principal, session_id: uuid.UUID, fields: dict[str, Any]
    ) -> EventData:
        async with transaction(self._sessions) as db:
            session = await store.row_by_id(db, store.sessions, session_id, lock=True)
            if session is None:
                raise not_found("session", session_id)
            if not domain.may_write_events(actor, session["organizations"], session["tutors"]):
                raise forbidden("Only a manager or a tutor of this session may add its events.")
            if session["status"] == "cancelled":
                raise conflict("The session is cancelled.", id=str(session_id))
            try:
                domain.check_event_times(fields["start"], fields["end"])
            except domain.CatalogRuleError as exc:
                raise _rule_error(exc) from exc
            fields.setdefault("registration_mode", session["event_registration_mode"])
            now = _now()
            values = {
                "id": uuid.uuid4(),
                "session_id": session_id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                **fields,
            }
            row = await store.insert_row(db, store.events, values)
            event = EventData.model_validate(
                {
                    **row,
                    "training_id": session["training_id"],
                    "organizations": session["organizations"],
                    "tutors": session["tutors"],
                }
            )
            await _announce(db, "catalog.event.created", event, actor)
        return event

    async def events(self, session_id: uuid.UUID, listing: Listing) -> Page[EventData]:
        async with self._sessions() as db:
            if await store.row_by_id(db, store.sessions, session_id) is None:
                raise not_found("session", session_id)
            rows, total = await store.list_events(db, session_id, listing)
        return Page(items=[EventData.model_validate(r) for r in rows], total=total)

    async def event(self, event_id: uuid.UUID) -> EventData:
        async with self._sessions() as db:
            row = await store.event_by_id(db, event_id)
        if row is None:
            raise not_found("event", event_id)
        return EventData.model_validate(row)

    async def update_event(
        self, actor: Principal, event_id: uuid.UUID, fields: dict[str, Any]
    ) -> EventData:
        async with transaction(self._sessions) as db:
            current = await self._writable_event(db, actor, event_id)
            try:
                domain.check_event_times(
                    fields.get("start", current["start"]), fields.get("end", current["end"])
                )
            except domain.CatalogRuleError as exc:
                raise _rule_error(exc) from exc
            changed = domain.changes(current, fields)
            if not changed:
                return EventData.model_validate(current)
            event = await self._change_event(db, actor, current, changed)
        return event

    async def delete_event(self, actor: Principal, event_id: uuid.UUID) -> None:
        async with transaction(self._sessions) as db:
            current = await self._writable_event(db, actor, event_id)
            await self._remove_event(db, actor, current)

    async def _writable_event(
        self, db: AsyncSession, actor: Principal, event_id: uuid.UUID
    ) -> dict[str, Any]:
        current = await store.event_by_id(db, event_id, lock=True)
        if current is None:
            raise not_found("event", event_id)
        if not domain.may_write_events(actor, current["organizations"], current["tutors"]):
            raise forbidden("Only a manager or a tutor of this event's session may change it.")
        return current

    async def _change_event(
        self,
        db: AsyncSession,
        actor: Principal,
        current: dict[str, Any],
        changed: dict[str, Any],
    ) -> EventData:
        """`changed` may be empty: the event changes because its session's tutors or
        organizations, which it carries, did."""
        row = await store.update_row(
            db, store.events, current["id"], _next_version(current, changed)
        )
        session = await store.row_by_id(db, store.sessions, row["session_id"])
        assert session is not None
        event = EventData.model_validate(
            {
                **row,
                "training_id": session["training_id"],
                "organizations": session["organizations"],
                "tutors": session["tutors"],
            }
        )
        await _announce(db, "catalog.event.updated", event, actor)
        return event

    async def _remove_event(
        self, db: AsyncSession, actor: Principal, current: dict[str, Any]
    ) -> None:
        await store.delete_comments_of_event(db, current["id"])
        await store.delete_row(db, store.events, current["id"])
        gone = EventData.model_validate({**current, **_next_version(current, {})})
        await _announce(db, "catalog.event.deleted", gone, actor)

    # Comments

    async def comments(self, event_id: uuid.UUID, listing: Listing) -> Page[Comment]:
        async with self._sessions() as db:
            if await store.event_by_id(db, event_id) is None:
                raise not_found("event", event_id)
            rows, total = await store.list_comments(db, event_id, listing)
        return Page(items=[Comment.model_validate(r) for r in rows], total=total)

    async def create_comment(self, actor: Principal, event_id: uuid.UUID, body: str) -> Comment:
        async with transaction(self._sessions) as db:
            event = await store.event_by_id(db, event_id, lock=True)
            if event is None:
                raise not_found("event", event_id)
            if not domain.may_write_events(actor, event["organizations"], event["tutors"]):
                raise forbidden("Only a manager or a tutor of this event's session may comment.")
            now = _now()
            row = await store.insert_row(
                db,
                store.comments,
                {
                    "id": uuid.uuid4(),
                    "event_id": event_id,
                    "author_id": actor.sub,
                    "author_name": actor.name or actor.sub,
                    "body": body,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        return Comment.model_validate(row)

    async def update_comment(self, actor: Principal, comment_id: uuid.UUID, body: str) -> Comment:
        async with transaction(self._sessions) as db:
            current, event = await self._comment_and_event(db, comment_id)
            if not domain.may_write_events(actor, event["organizations"], event["tutors"]):
                raise forbidden("Only a manager or tutor of the session may change its comments.")
            if current["body"] == body:
                return Comment.model_validate(current)
            row = await store.update_row(
                db, store.comments, comment_id, _next_version(current, {"body": body})
            )
        return Comment.model_validate(row)

    async def delete_comment(self, actor: Principal, comment_id: uuid.UUID) -> None:
        async with transaction(self._sessions) as db:
            _comment, event = await self._comment_and_event(db, comment_id)
            if not domain.may_write_events(actor, event["organizations"], event["tutors"]):
                raise forbidden("Only a manager or tutor of the session may delete its comments.")
            await store.delete_row(db, store.comments, comment_id)

    async def _comment_and_event(
        self, db: AsyncSession, comment_id: uuid.UUID
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        current = await store.row_by_id(db, store.comments, comment_id, lock=True)
        if current is None:
            raise not_found("comment", comment_id)
        event = await store.event_by_id(db, current["event_id"])
        assert event is not None  # an event's comments go with it
        return current, event

    # Curricula

    async def create_curriculum(self, actor: Principal, fields: dict[str, Any]) -> CurriculumData:
        training_ids = domain.distinct(fields["training_ids"])
        try:
            async with transaction(self._sessions) as db:
                await store.lock_curriculum_tree(db)
                training_orgs = await _organizations_of_trainings(db, training_ids)
                parent = await _parent(db, fields.get("parent_id"))
                if not domain.manages_curriculum(
                    actor, is_root=parent is None, training_organizations=training_orgs
                ):
                    raise forbidden(
                        "Only a platform admin creates a root; a child needs a training manager "
                        "of every training it lists."
                    )
                if parent is not None:
                    await _check_may_hang_under(db, actor, parent)
                await self._refuse_taken_code(db, store.curriculum_id_by_code, fields["code"])
                now = _now()
                values = {
                    **fields,
                    "id": uuid.uuid4(),
                    "training_ids": [str(t) for t in training_ids],
                    "organizations": domain.curriculum_organizations(training_orgs),
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                node = CurriculumData.model_validate(
                    await store.insert_row(db, store.curricula, values)
                )
                await _announce(db, "catalog.curriculum.created", node, actor)
        except IntegrityError as exc:
            raise await self._code_conflict(store.curriculum_id_by_code, fields["code"]) from exc
        return node

    async def curricula(
        self,
        listing: Listing,
        *,
        parent_id: uuid.UUID | None,
        roots_only: bool,
        training_id: uuid.UUID | None,
        q: str | None,
    ) -> Page[CurriculumData]:
        async with self._sessions() as db:
            rows, total = await store.list_curricula(
                db,
                listing,
                parent_id=parent_id,
                roots_only=roots_only,
                training_id=training_id,
                pattern=_pattern(q),
            )
        return Page(items=[CurriculumData.model_validate(r) for r in rows], total=total)

    async def curriculum(self, curriculum_id: uuid.UUID) -> CurriculumData:
        async with self._sessions() as db:
            row = await store.row_by_id(db, store.curricula, curriculum_id)
        if row is None:
            raise not_found("curriculum", curriculum_id)
        return CurriculumData.model_validate(row)

    async def update_curriculum(
        self, actor: Principal, curriculum_id: uuid.UUID, fields: dict[str, Any]
    ) -> CurriculumData:
        try:
            async with transaction(self._sessions) as db:
                await store.lock_curriculum_tree(db)
                current = await store.row_by_id(db, store.curricula, curriculum_id, lock=True)
                if current is None:
                    raise not_found("curriculum", curriculum_id)
                current_ids = [uuid.UUID(t) for t in current["training_ids"]]
                if not domain.manages_curriculum(
                    actor,
                    is_root=current["parent_id"] is None,
                    training_organizations=await _organizations_of_trainings(db, current_ids),
                ):
                    raise forbidden("You do not manage this curriculum.")
                training_ids = domain.distinct(fields.pop("training_ids", current_ids))
                training_orgs = await _organizations_of_trainings(db, training_ids)
                parent_id = fields.get("parent_id", current["parent_id"])
                parent = await _parent(db, parent_id)
                if parent is not None and parent_id != current["parent_id"]:
                    try:
                        domain.check_no_cycle(curriculum_id, await store.lineage(db, parent_id))
                    except domain.CatalogRuleError as exc:
                        raise _rule_error(exc) from exc
                    await _check_may_hang_under(db, actor, parent)
                if not domain.manages_curriculum(
                    actor, is_root=parent is None, training_organizations=training_orgs
                ):
                    raise forbidden("You would no longer manage this curriculum.")
                requested = {
                    **fields,
                    "training_ids": [str(t) for t in training_ids],
                    "organizations": domain.curriculum_organizations(training_orgs),
                }
                changed = domain.changes(current, requested)
                if not changed:
                    return CurriculumData.model_validate(current)
                if "code" in changed:
                    await self._refuse_taken_code(
                        db, store.curriculum_id_by_code, changed["code"], own=curriculum_id
                    )
                node = CurriculumData.model_validate(
                    await store.update_row(
                        db, store.curricula, curriculum_id, _next_version(current, changed)
                    )
                )
                await _announce(db, "catalog.curriculum.updated", node, actor)
        except IntegrityError as exc:
            raise await self._code_conflict(
                store.curriculum_id_by_code, fields.get("code", ""), own=curriculum_id
            ) from exc
        return node

    async def delete_curriculum(self, actor: Principal, curriculum_id: uuid.UUID) -> None:
        async with transaction(self._sessions) as db:
            await store.lock_curriculum_tree(db)
            current = await store.row_by_id(db, store.curricula, curriculum_id, lock=True)
            if current is None:
                raise not_found("curriculum", curriculum_id)
            if not domain.manages_curriculum(
                actor,
                is_root=current["parent_id"] is None,
                training_organizations=await _organizations_of_trainings(
                    db, [uuid.UUID(t) for t in current["training_ids"]]
                ),
            ):
                raise forbidden("You do not manage this curriculum.")
            child = await store.a_child_of(db, curriculum_id)
            if child is not None:
                raise conflict("The curriculum has children: delete them first.", id=str(child))
            session = await store.a_session_of_curriculum(db, curriculum_id)
            if session is not None:
                raise conflict("A session is attached to this curriculum.", id=str(session))
            await store.delete_row(db, store.curricula, curriculum_id)
            gone = CurriculumData.model_validate({**current, **_next_version(current, {})})
            await _announce(db, "catalog.curriculum.deleted", gone, actor)

    async def _refresh_curriculum_organizations(
        self, db: AsyncSession, actor: Principal, current: dict[str, Any]
    ) -> None:
        training_orgs = await _organizations_of_trainings(
            db, [uuid.UUID(t) for t in current["training_ids"]]
        )
        changed = domain.changes(
            current, {"organizations": domain.curriculum_organizations(training_orgs)}
        )
        if changed:
            node = CurriculumData.model_validate(
                await store.update_row(
                    db, store.curricula, current["id"], _next_version(current, changed)
                )
            )
            await _announce(db, "catalog.curriculum.updated", node, actor)

    # Unique codes

    async def _refuse_taken_code(
        self, db: AsyncSession, lookup: CodeLookup, code: str, *, own: uuid.UUID | None = None
    ) -> None:
        existing = await lookup(db, code)
        if existing is not None and existing != own:
            raise conflict(f"The code {code!r} is taken.", id=str(existing))

    async def _code_conflict(
        self, lookup: CodeLookup, code: str, *, own: uuid.UUID | None = None
    ) -> Problem:
        """A concurrent request took the code between our check and our write."""
        async with self._sessions() as db:
            existing = await lookup(db, code)
        if existing is None or existing == own:
            return Problem(409, "Conflict", "A concurrent change conflicted; try again.")
        return conflict(f"The code {code!r} is taken.", id=str(existing))


async def _organizations_of_trainings(
    db: AsyncSession, training_ids: Sequence[uuid.UUID]
) -> list[list[str]]:
    found = await store.trainings_by_ids(db, training_ids)
    missing = [str(t) for t in training_ids if t not in found]
    if missing:
        raise invalid("training_ids", f"unknown trainings: {', '.join(missing)}")
    return [found[t]["organizations"] for t in training_ids]


async def _parent(db: AsyncSession, parent_id: uuid.UUID | None) -> dict[str, Any] | None:
    if parent_id is None:
        return None
    parent = await store.row_by_id(db, store.curricula, parent_id)
    if parent is None:
        raise invalid("parent_id", f"no curriculum with id {parent_id}")
    return parent


async def _check_may_hang_under(db: AsyncSession, actor: Principal, parent: dict[str, Any]) -> None:
    parent_orgs = await _organizations_of_trainings(
        db, [uuid.UUID(t) for t in parent["training_ids"]]
    )
    if not domain.may_hang_under(
        actor,
        parent_is_root=parent["parent_id"] is None,
        parent_training_organizations=parent_orgs,
    ):
        raise forbidden("You may not add to this curriculum.")


async def _check_curriculum_exists(db: AsyncSession, curriculum_id: uuid.UUID | None) -> None:
    if curriculum_id is not None and (
        await store.row_by_id(db, store.curricula, curriculum_id) is None
    ):
        raise invalid("curriculum_id", f"no curriculum with id {curriculum_id}")


def _pattern(q: str | None) -> str | None:
    return domain.like_pattern(q) if q else None


async def _announce(
    db: AsyncSession, type_: str, resource: Versioned, actor: Principal, **extra: Any
) -> None:
    data = {**resource.model_dump(mode="json"), "actor": actor.sub, **extra}
    event = new_event(SERVICE, type_, data, subject=str(resource.id), request_id=request_id.get())
    await store.record_event(db, event)
