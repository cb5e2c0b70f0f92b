"""The replicas' rows as the domain sees them: a session, an event, a recipient, a roster."""

from collections.abc import Iterable
from datetime import timedelta, timezone

from notification import domain
from notification.records import ContactRow, EventRow, RosterRow, SessionRow
from shared.events import Locale

_LOCALES: dict[str, Locale] = {"fr": "fr", "en": "en"}


def session_view(row: SessionRow | None) -> domain.SessionView | None:
    if row is None:
        return None
    return domain.SessionView(
        id=row.id,
        title=row.title,
        start_date=row.start_date,
        end_date=row.end_date,
        location=row.location,
        organizations=tuple(row.organizations),
        tutors=tuple(row.tutors),
        validators=tuple(row.validators),
        status=row.status,
        version=row.version,
    )


def event_view(row: EventRow | None) -> domain.EventView | None:
    if row is None or row.deleted:
        return None
    zone = timezone(timedelta(minutes=row.utc_offset_minutes))
    return domain.EventView(
        id=row.id,
        session_id=row.session_id,
        title=row.title,
        start=row.start.astimezone(zone),
        end=row.end.astimezone(zone),
        location=row.location,
        version=row.version,
    )


def recipient(row: RosterRow | ContactRow) -> domain.Recipient:
    locale = _LOCALES.get(row.locale, domain.DEFAULT_LOCALE)
    return domain.Recipient(row.user_id, row.email or None, row.name, locale)


def roster(rows: Iterable[RosterRow]) -> list[domain.RosterEntry]:
    return [domain.RosterEntry(row.id, recipient(row), row.status, row.reason) for row in rows]
