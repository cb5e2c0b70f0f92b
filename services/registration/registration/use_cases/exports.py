"""What a session's managers read of all its registrations: the CSV export and the statistics of
the answers to its questions."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from registration import store
from registration.answers import QuestionCounts, answer_counts
from registration.records import SessionRow
from registration.use_cases import Database
from registration.use_cases.changes import registration_of
from shared.auth import Principal
from shared.events import Question, Registration, SessionRules
from shared.refusals import forbidden, not_found


@dataclass(frozen=True)
class Export:
    """The session's questions (one column each) and every registration of it."""

    questions: list[Question]
    registrations: list[Registration]


async def export(database: Database, actor: Principal, session_id: uuid.UUID) -> Export:
    async with database() as db:
        session = await _managed_session(db, actor, session_id, "exports its registrations")
        rows = await store.session_registrations(db, session_id)
    questions = SessionRules.model_validate(session["rules"]).questions
    return Export(questions, [registration_of(row) for row in rows])


async def answer_statistics(
    database: Database, actor: Principal, session_id: uuid.UUID
) -> list[QuestionCounts]:
    """GET /api/sessions/{id}/answers: per question, over the active registrations."""
    async with database() as db:
        session = await _managed_session(db, actor, session_id, "reads its answers")
        rows = await store.active_registrations(db, session_id)
    questions = SessionRules.model_validate(session["rules"]).questions
    return answer_counts(questions, (row["answers"] for row in rows))


async def _managed_session(
    db: AsyncSession, actor: Principal, session_id: uuid.UUID, what: str
) -> SessionRow:
    session = await store.session_by_id(db, session_id)
    if session is None or session["status"] == "deleted":
        raise not_found("session", session_id)
    if not actor.manages_training_of(session["organizations"]):
        raise forbidden(f"Only a manager of the training {what}.")
    return session
