"""The replicas' typed rows as the domain and the HTTP answers see them (no I/O)."""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from notification.api.models import Delivery, MessageReport
from notification.records import ContactRow, DeliveryRow, EventRow, SessionMessageRow, SessionRow
from notification.use_cases.messages import Report
from notification.use_cases.notices import Letterhead
from notification.use_cases.views import event_view, recipient, session_view

pytestmark = pytest.mark.unit

NOW = datetime(2027, 1, 10, 8, 30, tzinfo=UTC)


def _event(*, deleted: bool = False) -> EventRow:
    return EventRow(
        id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        title="Atelier",
        start=datetime(2027, 3, 1, 8, 0, tzinfo=UTC),
        end=datetime(2027, 3, 1, 10, 0, tzinfo=UTC),
        location=None,
        utc_offset_minutes=60,
        deleted=deleted,
        version=1,
        replicated_at=NOW,
    )


def test_a_session_row_becomes_the_domain_view_with_tuples() -> None:
    row = SessionRow(
        id=uuid.uuid4(),
        training_id=uuid.uuid4(),
        title="Sécurité",
        start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 3),
        location="Lyon",
        organizations=["org"],
        tutors=["t"],
        validators=[],
        status="scheduled",
        version=2,
        replicated_at=NOW,
    )
    view = session_view(row)
    assert view is not None
    assert (view.organizations, view.tutors, view.validators) == (("org",), ("t",), ())
    assert session_view(None) is None


def test_an_event_is_shown_in_the_offset_the_catalog_gave_and_not_once_deleted() -> None:
    view = event_view(_event())
    assert view is not None
    assert view.start.utcoffset() == timedelta(hours=1)
    assert view.start == datetime(2027, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    assert event_view(_event(deleted=True)) is None


def test_a_recipient_without_email_or_known_locale_gets_the_inbox_in_french() -> None:
    contact = recipient(ContactRow("u", "", "Léa", "de", NOW))
    assert (contact.email, contact.locale) == (None, "fr")
    assert recipient(ContactRow("u", "u@example.org", "Léa", "en", NOW)).locale == "en"


def test_the_organizer_is_the_address_of_the_from_header() -> None:
    letterhead = Letterhead.of(public_url="https://x", mail_from="Formation <a@b.example>")
    assert letterhead == Letterhead("https://x", "a@b.example")
    assert Letterhead.of(public_url="https://x", mail_from="").organizer == (
        "no-reply@training.local"
    )


def test_a_delivery_shows_its_text_part_and_whether_it_carries_an_invitation() -> None:
    row = DeliveryRow(
        id=uuid.uuid4(),
        delivery_key="k",
        user_id="u",
        recipient="u@example.org",
        kind="registration.confirmed",
        subject="Confirmée",
        text_body="texte",
        html_body="<p>texte</p>",
        calendar="BEGIN:VCALENDAR",
        session_message_id=None,
        status="sent",
        attempts=1,
        last_error=None,
        next_attempt_at=NOW,
        created_at=NOW,
        updated_at=NOW,
        sent_at=NOW,
    )
    shown = Delivery.of(row)
    assert (shown.body, shown.calendar, shown.status) == ("texte", True, "sent")


def test_a_report_counts_every_status_even_those_without_emails() -> None:
    message = SessionMessageRow(
        id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        sender_id="m",
        subject="Salle",
        body="Salle 4",
        channels=["internal", "email"],
        audience="confirmed",
        recipients=2,
        created_at=NOW,
    )
    report = MessageReport.of(Report(message, internal=2, deliveries={"sent": 1, "pending": 1}))
    assert report.deliveries.model_dump() == {"pending": 1, "sent": 1, "captured": 0, "failed": 0}
    assert (report.internal, report.channels) == (2, ["internal", "email"])
