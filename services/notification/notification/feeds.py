"""A person's calendar feed: which events, as what calendar text, under which ETag; no I/O."""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Final

from notification.calendar import feed
from notification.domain import CalendarEntry
from notification.records import FeedEventRow

SINCE: Final = timedelta(days=90)
"""How far back a feed goes: the events that ended at most this long ago."""
NAME: Final = "Formation"


def feed_since(now: datetime) -> datetime:
    return now.astimezone(UTC) - SINCE


def feed_text(rows: list[FeedEventRow]) -> str:
    """One VEVENT per event, under a UID of its own (not an invitation's: the feed is a
    calendar of its own in the client), its SEQUENCE the event's version."""
    entries = [
        (
            CalendarEntry(
                uid=f"feed-event-{row.id}@training",
                summary=row.title,
                start=row.start,
                end=row.end,
                location=row.location,
                description=row.session_title,
                sequence=row.version,
            ),
            row.replicated_at,
        )
        for row in rows
    ]
    return feed(entries, name=NAME)


def etag_of(text: str) -> str:
    """A strong ETag: the same text, the same tag."""
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names this ETag (RFC 9110 §13.1.2: weak comparison, or `*`)."""
    if if_none_match is None:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)
