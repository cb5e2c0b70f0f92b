"""A person's calendar feed: its URL, a new one, and the feed itself."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import feeds, personal_store
from notification.links import Links, digest, well_formed
from shared.auth import Principal
from shared.db import transaction
from shared.refusals import NotFound, Refusal


class UnknownLink(NotFound):
    """A feed or unsubscribe URL that is no one's: a 404 that names nothing, the secret least."""

    def __init__(self, what: str) -> None:
        Refusal.__init__(self, f"No {what} at this address.")


@dataclass(frozen=True)
class Feed:
    text: str
    etag: str


async def feed_url(
    sessions: async_sessionmaker[AsyncSession], links: Links, reader: Principal
) -> str:
    """The same URL on every call until it is rotated (made on the first call)."""
    async with transaction(sessions) as db:
        row = await personal_store.feed_of(db, reader.sub, digest(links.feed_secret(reader.sub, 0)))
        secret = links.feed_secret(reader.sub, row.rotation)
        if digest(secret) != row.secret_hash:
            # the link key changed: the URLs of the old key are dead, this is the feed's now
            await personal_store.set_feed(db, reader.sub, row.rotation, digest(secret))
    return links.feed_url(secret)


async def rotate_feed(
    sessions: async_sessionmaker[AsyncSession], links: Links, reader: Principal
) -> str:
    """A new URL; the one before answers 404 from the commit on."""
    async with transaction(sessions) as db:
        row = await personal_store.feed_of(db, reader.sub, digest(links.feed_secret(reader.sub, 0)))
        rotation = row.rotation + 1
        secret = links.feed_secret(reader.sub, rotation)
        await personal_store.set_feed(db, reader.sub, rotation, digest(secret))
    return links.feed_url(secret)


async def feed(sessions: async_sessionmaker[AsyncSession], secret: str) -> Feed:
    """The events of the feed's owner as they are now; a secret that is no one's: 404."""
    if not well_formed(secret):
        raise UnknownLink("calendar feed")
    async with sessions() as db:
        owner = await personal_store.feed_owner(db, digest(secret))
        if owner is None:
            raise UnknownLink("calendar feed")
        rows = await personal_store.feed_events(db, owner, feeds.feed_since(datetime.now(UTC)))
    text = feeds.feed_text(rows)
    return Feed(text, feeds.etag_of(text))
