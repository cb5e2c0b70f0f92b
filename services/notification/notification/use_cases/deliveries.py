"""The email log, for platform admins."""

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import store
from notification.domain import DeliveryStatus
from notification.records import DeliverySlice
from notification.registration_notices import redact_tokens
from shared.auth import Principal
from shared.listing import Listing
from shared.refusals import forbidden


async def deliveries(
    sessions: async_sessionmaker[AsyncSession],
    reader: Principal,
    listing: Listing,
    *,
    user_id: str | None = None,
    status: DeliveryStatus | None = None,
    kind: str | None = None,
) -> DeliverySlice:
    """The emails, their text redacted: a confirmation token is the learner's alone."""
    if not reader.is_platform_admin:
        raise forbidden("Only a platform admin may read the email log.")
    async with sessions() as db:
        page = await store.deliveries_page(db, listing, user_id=user_id, status=status, kind=kind)
    items = [replace(row, text_body=redact_tokens(row.text_body)) for row in page.items]
    return DeliverySlice(items, page.total)
