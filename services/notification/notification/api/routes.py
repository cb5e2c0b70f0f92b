"""Notification HTTP routes: parse, call the use case, shape the answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from notification.api.models import (
    DeliveryPage,
    InboxMessage,
    InboxPage,
    MessageAccepted,
    MessageReport,
    MessageRequest,
)
from notification.domain import DeliveryStatus
from notification.use_cases import Notifications
from shared.auth import CurrentPrincipal
from shared.bounds import Code, Ident, Limit, Offset
from shared.listing import DEFAULT_LIMIT, Listing, list_params
from shared.openapi import by_id, problems

router = APIRouter(prefix="/api")


def _notifications(request: Request) -> Notifications:
    notifications: Notifications = request.app.state.notifications
    return notifications


NotificationService = Annotated[Notifications, Depends(_notifications)]
DeliveryList = Annotated[
    Listing, Depends(list_params("created_at", "updated_at", "status", "attempts", "kind"))
]


@router.get("/inbox", response_model=InboxPage)
async def inbox(
    reader: CurrentPrincipal,
    notifications: NotificationService,
    unread: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> InboxPage:
    page = await notifications.inbox(reader, unread_only=unread, limit=limit, offset=offset)
    return InboxPage.of(page)


@router.post("/inbox/{message_id}/read", response_model=InboxMessage, responses=problems(403))
async def mark_read(
    message_id: uuid.UUID, reader: CurrentPrincipal, notifications: NotificationService
) -> InboxMessage:
    return InboxMessage.of(await notifications.mark_read(reader, message_id))


@router.post(
    "/messages",
    response_model=MessageAccepted,
    status_code=202,
    responses={
        **problems(403, 404),
        202: {
            "description": "Accepted: the inbox is written, the emails go out in the background.",
            "links": by_id("message_id", "message_report"),
        },
    },
)
async def post_message(
    request: MessageRequest, sender: CurrentPrincipal, notifications: NotificationService
) -> MessageAccepted:
    """A message to the session's confirmed learners (or all active ones), by internal
    message, email or both; the emails go out in the background."""
    return MessageAccepted.of(await notifications.post_message(sender, request.message()))


@router.get("/messages/{message_id}", response_model=MessageReport, responses=problems(403))
async def message_report(
    message_id: uuid.UUID, reader: CurrentPrincipal, notifications: NotificationService
) -> MessageReport:
    return MessageReport.of(await notifications.message_report(reader, message_id))


@router.get("/deliveries", response_model=DeliveryPage, responses=problems(403))
async def deliveries(
    reader: CurrentPrincipal,
    notifications: NotificationService,
    listing: DeliveryList,
    user_id: Ident | None = None,
    status: DeliveryStatus | None = None,
    kind: Annotated[Code | None, Query(description="the fact or message kind")] = None,
) -> DeliveryPage:
    """The email log (platform admins): recipient, subject, status, attempts, last error."""
    page = await notifications.deliveries(
        reader, listing, user_id=user_id, status=status, kind=kind
    )
    return DeliveryPage.of(page)
