"""The answers to a session's questions over HTTP, for its managers: how many answered each
question and chose each choice."""

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from registration.api.deps import RegistrationService
from shared.auth import CurrentPrincipal
from shared.events import QuestionKind
from shared.openapi import problems

router = APIRouter(prefix="/api")


class QuestionStatistics(BaseModel):
    id: str
    label: str
    kind: QuestionKind
    answered: int = Field(description="Active registrations that answered it.")
    counts: dict[str, int] | None = Field(
        default=None,
        description="Per choice (`choice`, `multiple`: every choice, 0 included) or per "
        '`"true"`/`"false"` (`boolean`); absent for `text`.',
    )


class AnswerStatistics(BaseModel):
    questions: list[QuestionStatistics]


@router.get(
    "/sessions/{session_id}/answers",
    response_model=AnswerStatistics,
    response_model_exclude_none=True,
    responses=problems(403),
)
async def answer_statistics(
    session_id: uuid.UUID, actor: CurrentPrincipal, registrations: RegistrationService
) -> AnswerStatistics:
    found = await registrations.answer_statistics(actor, session_id)
    return AnswerStatistics(
        questions=[
            QuestionStatistics(
                id=q.id, label=q.label, kind=q.kind, answered=q.answered, counts=q.counts
            )
            for q in found
        ]
    )
