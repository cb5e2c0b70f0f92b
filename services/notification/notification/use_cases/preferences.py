"""A user's email preferences, and the one-click unsubscribe links of the optional emails."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import personal_store, store
from notification.domain import DEFAULT_LOCALE
from notification.links import digest, well_formed
from notification.preferences import Category, EmailPreferences
from notification.use_cases.calendar_feeds import UnknownLink
from notification.use_cases.views import recipient
from shared.auth import Principal
from shared.db import transaction
from shared.events import Locale


@dataclass(frozen=True)
class Unsubscription:
    """What an unsubscribe link stands for, and the language to say it in."""

    category: Category
    locale: Locale


async def preferences(
    sessions: async_sessionmaker[AsyncSession], reader: Principal
) -> EmailPreferences:
    async with sessions() as db:
        return (await personal_store.preferences_of(db, [reader.sub]))[reader.sub]


async def set_preferences(
    sessions: async_sessionmaker[AsyncSession], reader: Principal, chosen: EmailPreferences
) -> EmailPreferences:
    async with transaction(sessions) as db:
        await personal_store.save_preferences(db, reader.sub, chosen)
    return chosen


async def unsubscription(
    sessions: async_sessionmaker[AsyncSession], token: str, *, confirm: bool
) -> Unsubscription:
    """What the link turns off; with `confirm`, turned off. A token that is no one's: 404."""
    if not well_formed(token):
        raise UnknownLink("unsubscribe link")
    async with transaction(sessions) as db:
        link = await personal_store.unsubscribe_link(db, digest(token))
        if link is None:
            raise UnknownLink("unsubscribe link")
        user_id, category = link
        if confirm:
            await personal_store.turn_off(db, user_id, category)
        contact = (await store.contacts_of(db, [user_id])).get(user_id)
    locale = recipient(contact).locale if contact is not None else DEFAULT_LOCALE
    return Unsubscription(category, locale)
