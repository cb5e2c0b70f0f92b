"""Notification HTTP routes: parse, call the use case, shape the answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from notification.service import InboxMessage, InboxPage, Notifications
from shared.auth import CurrentPrincipal

router = APIRouter(prefix="/api")


def _notifications(request: Request) -> Notifications:
    notifications: Notifications = request.app.state.notifications
    return notifications


NotificationService = Annotated[Notifications, Depends(_notifications)]


@router.get("/inbox", response_model=InboxPage)
async def inbox(
    reader: CurrentPrincipal,
    notifications: NotificationService,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> InboxPage:
    return await notifications.inbox(reader, unread_only=unread, limit=limit, offset=offset)


@router.post("/inbox/{message_id}/read", response_model=InboxMessage)
async def mark_read(
    message_id: uuid.UUID, reader: CurrentPrincipal, notifications: NotificationService
) -> InboxMessage:
    return await notifications.mark_read(reader, message_id)
