"""The queries on what each user has of their own: a calendar feed, email preferences, the
unsubscribe links given out. Their tables are store.py's (one schema); this module is store.py's
other half, the only other one that writes SQL."""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.preferences import CATEGORIES, Category, EmailPreferences, category_of
from notification.records import FeedEventRow, FeedRow
from notification.tables import (
    calendar_feeds,
    email_preferences,
    event_registrations,
    events,
    sessions,
    unsubscribe_links,
)

# --- calendar feeds -------------------------------------------------------------------------


async def feed_of(db: AsyncSession, user_id: str, first_hash: str) -> FeedRow:
    """The user's feed, locked for this transaction; made at rotation 0 (whose secret hashes to
    `first_hash`) when they have none yet."""
    await db.execute(
        pg_insert(calendar_feeds)
        .values(user_id=user_id, rotation=0, secret_hash=first_hash)
        .on_conflict_do_nothing(index_elements=[calendar_feeds.c.user_id])
    )
    query = (
        select(calendar_feeds.c.user_id, calendar_feeds.c.rotation, calendar_feeds.c.secret_hash)
        .where(calendar_feeds.c.user_id == user_id)
        .with_for_update()
    )
    return FeedRow(**(await db.execute(query)).mappings().one())


async def set_feed(db: AsyncSession, user_id: str, rotation: int, secret_hash: str) -> None:
    await db.execute(
        update(calendar_feeds)
        .where(calendar_feeds.c.user_id == user_id)
        .values(rotation=rotation, secret_hash=secret_hash, updated_at=func.now())
    )


async def feed_owner(db: AsyncSession, secret_hash: str) -> str | None:
    query = select(calendar_feeds.c.user_id).where(calendar_feeds.c.secret_hash == secret_hash)
    owner: str | None = (await db.execute(query)).scalar_one_or_none()
    return owner


async def feed_events(db: AsyncSession, user_id: str, since: datetime) -> list[FeedEventRow]:
    """The events, not deleted, of sessions neither cancelled nor deleted, ending at `since` or
    later, that the user is registered to or tutors; by start."""
    registered = select(event_registrations.c.event_id).where(
        event_registrations.c.user_id == user_id, event_registrations.c.status == "registered"
    )
    query = (
        select(
            events.c.id,
            events.c.title,
            events.c.start,
            events.c.end,
            events.c.location,
            events.c.version,
            events.c.replicated_at,
            sessions.c.title.label("session_title"),
        )
        .join(sessions, sessions.c.id == events.c.session_id)
        .where(
            events.c.deleted.is_(False),
            sessions.c.status.not_in(("cancelled", "deleted")),
            events.c.end >= since,
            events.c.id.in_(registered) | sessions.c.tutors.contains([user_id]),
        )
        .order_by(events.c.start, events.c.id)
    )
    return [FeedEventRow(**row) for row in (await db.execute(query)).mappings()]


# --- email preferences ----------------------------------------------------------------------


async def preferences_of(db: AsyncSession, user_ids: list[str]) -> dict[str, EmailPreferences]:
    """Each user's preferences; the defaults (everything on) for one who never set any."""
    if not user_ids:
        return {}
    found = {
        row["user_id"]: EmailPreferences(**{category: row[category] for category in CATEGORIES})
        for row in (
            await db.execute(
                select(email_preferences).where(email_preferences.c.user_id.in_(user_ids))
            )
        ).mappings()
    }
    return {user_id: found.get(user_id, EmailPreferences()) for user_id in user_ids}


async def save_preferences(db: AsyncSession, user_id: str, chosen: EmailPreferences) -> None:
    values = {category: getattr(chosen, category) for category in CATEGORIES}
    stmt = pg_insert(email_preferences).values(user_id=user_id, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[email_preferences.c.user_id], set_={**values, "updated_at": func.now()}
    )
    await db.execute(stmt)


async def turn_off(db: AsyncSession, user_id: str, category: Category) -> None:
    """That category off for the user, the others as they were (on, for one who set none)."""
    stmt = pg_insert(email_preferences).values(user_id=user_id, **{category: False})
    stmt = stmt.on_conflict_do_update(
        index_elements=[email_preferences.c.user_id],
        set_={category: False, "updated_at": func.now()},
    )
    await db.execute(stmt)


# --- unsubscribe links ----------------------------------------------------------------------


async def add_unsubscribe_links(db: AsyncSession, links: dict[str, tuple[str, Category]]) -> None:
    """The hashes of the tokens given out (hash → user, category); known ones are kept."""
    if not links:
        return
    rows = [
        {"token_hash": token_hash, "user_id": user_id, "category": category}
        for token_hash, (user_id, category) in links.items()
    ]
    await db.execute(
        pg_insert(unsubscribe_links)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[unsubscribe_links.c.token_hash])
    )


async def unsubscribe_link(db: AsyncSession, token_hash: str) -> tuple[str, Category] | None:
    """Whose link this is, and which category it turns off."""
    query = select(unsubscribe_links.c.user_id, unsubscribe_links.c.category).where(
        unsubscribe_links.c.token_hash == token_hash
    )
    row = (await db.execute(query)).first()
    category = category_of(row.category) if row is not None else None
    if row is None or category is None:
        return None
    return str(row.user_id), category
