"""`/api/events/{id}/comments` and `/api/comments`: comments on an event (séance)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import ConfigDict

from catalog.api.bodies import Strict
from catalog.api.deps import CatalogDatabase
from catalog.domain import Comment
from catalog.use_cases import comments
from shared.auth import CurrentPrincipal
from shared.bounds import Body
from shared.listing import Listing, Page, list_params
from shared.openapi import by_id, created, problems

router = APIRouter(prefix="/api")

CommentList = Annotated[Listing, Depends(list_params("created_at"))]


class CommentBody(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"body": "Apporter ses chaussures de sécurité."}]}
    )

    body: Body


@router.get("/events/{event_id}/comments", response_model=Page[Comment])
async def list_comments(
    event_id: uuid.UUID, _: CurrentPrincipal, database: CatalogDatabase, listing: CommentList
) -> Page[Comment]:
    return await comments.of_event(database, event_id, listing)


@router.post(
    "/events/{event_id}/comments",
    status_code=201,
    response_model=Comment,
    responses={
        **problems(403),
        **created("The comment.", by_id("comment_id", "update_comment", "delete_comment")),
    },
)
async def create_comment(
    event_id: uuid.UUID, body: CommentBody, actor: CurrentPrincipal, database: CatalogDatabase
) -> Comment:
    return await comments.create(database, actor, event_id, body.body)


@router.patch("/comments/{comment_id}", response_model=Comment, responses=problems(403))
async def update_comment(
    comment_id: uuid.UUID, body: CommentBody, actor: CurrentPrincipal, database: CatalogDatabase
) -> Comment:
    return await comments.update(database, actor, comment_id, body.body)


@router.delete("/comments/{comment_id}", status_code=204, responses=problems(403))
async def delete_comment(
    comment_id: uuid.UUID, actor: CurrentPrincipal, database: CatalogDatabase
) -> Response:
    await comments.delete(database, actor, comment_id)
    return Response(status_code=204)
