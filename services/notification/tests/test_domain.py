"""The pure rules: who is told what on which channel, calendars, and the words of every notice."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from notification import domain
from notification.calendar import escape_text, fold, fold_by_character, invitation
from notification.domain import (
    BOTH,
    CalendarEntry,
    Recipient,
    RosterEntry,
    SessionView,
    delivery_key,
)
from notification.event_notices import event_registration_notices
from notification.registration_notices import confirmation_notice, redact_tokens
from notification.registration_notices import registration_notices as notices_of
from notification.sender import RetryPolicy
from notification.session_notices import (
    audience_statuses,
    session_cancelled_notices,
    session_message_notices,
    session_rescheduled_notices,
)
from notification.templates import format_day, render

from shared.events import EventRegistrationData, RegistrationData, SendConfirmation

pytestmark = pytest.mark.unit

NOW = datetime(2027, 1, 10, 8, 30, tzinfo=UTC)
PUBLIC_URL = "https://lms.example.org"


def registration_notices(
    fact: str,
    event_id: str,
    registration: RegistrationData,
    session: SessionView | None,
    **known: Any,
) -> list[domain.Notice]:
    """The notices of a registration fact, their links under PUBLIC_URL."""
    return notices_of(fact, event_id, registration, session, public_url=PUBLIC_URL, **known)


def _session(**changes: Any) -> SessionView:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "title": "Sécurité au travail",
        "start_date": date(2027, 3, 1),
        "end_date": date(2027, 3, 3),
        "location": "Lyon, salle 2",
        "organizations": ("org",),
        "tutors": ("tutor-1",),
        "validators": ("val-1", "val-2"),
        "status": "scheduled",
        "version": 1,
    }
    values.update(changes)
    return SessionView(**values)


def _registration(
    locale: str = "fr",
    status: str = "pending",
    pending: list[str] | None = None,
    **changes: Any,
) -> RegistrationData:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "session_id": uuid.uuid4(),
        "training_id": uuid.uuid4(),
        "user": {"id": "u1", "email": "u1@example.org", "name": "Léa", "locale": locale},
        "status": status,
        "pending_validations": pending or [],
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return RegistrationData.model_validate(values)


def _kinds(notices: list[domain.Notice]) -> list[tuple[str, str]]:
    return [(n.kind, n.recipient.user_id) for n in notices]


# --- who is told what -----------------------------------------------------------------------


def test_delivery_keys_differ_by_fact_recipient_and_channel() -> None:
    keys = {
        delivery_key("e1", "u1", "internal"),
        delivery_key("e1", "u1", "email"),
        delivery_key("e2", "u1", "internal"),
        delivery_key("e1", "u2", "internal"),
    }
    assert len(keys) == 4


@pytest.mark.parametrize(
    ("fact", "status", "reason", "kind"),
    [
        ("confirmed", "confirmed", None, "registration.confirmed"),
        ("waitlisted", "waitlisted", None, "registration.waitlisted"),
        ("promoted", "pending", None, "registration.promoted"),
        ("refused", "refused", "full", "registration.refused"),
        ("cancelled", "cancelled", None, "registration.cancelled"),
        ("cancelled", "cancelled", "session_deleted", "registration.cancelled"),
        ("cancelled", "cancelled", "moved", "registration.moved"),
        ("cancelled", "cancelled", "session_cancelled", "session.cancelled"),
        ("expired", "expired", None, "registration.expired"),
    ],
)
def test_each_fact_reaches_the_learner_on_both_channels(
    fact: str, status: str, reason: str | None, kind: str
) -> None:
    registration = _registration(status=status, reason=reason)
    notices = registration_notices(fact, "event-1", registration, _session())
    assert _kinds(notices) == [(kind, "u1")]
    assert notices[0].channels == BOTH


def test_validated_and_moved_events_tell_the_learner_nothing() -> None:
    for fact in ("validated", "moved"):
        assert registration_notices(fact, "e", _registration(status="pending"), None) == []


def test_a_pending_request_says_what_it_awaits_but_leaves_the_link_to_the_command() -> None:
    awaiting_others = _registration(pending=["organization", "registration"])
    notices = registration_notices("requested", "e", awaiting_others, _session())
    assert _kinds(notices) == [("registration.pending", "u1")]
    words = render(notices[0])
    assert "gestionnaire d'organisation" in words.body
    assert "gestionnaire des inscriptions" in words.body
    # awaiting the learner: the send_confirmation command tells it, with the link
    awaiting_user = _registration(pending=["user", "organization"])
    assert registration_notices("requested", "e", awaiting_user, _session()) == []
    # confirmed or waitlisted at creation: their own events tell it
    assert registration_notices("requested", "e", _registration(status="confirmed"), None) == []


def test_validators_are_told_once_the_learner_no_longer_pends() -> None:
    session = _session()
    waiting_for_user = _registration(pending=["user", "validator"])
    assert registration_notices("requested", "e1", waiting_for_user, session) == []
    after_confirming = _registration(id=waiting_for_user.id, pending=["validator"], version=2)
    notices = registration_notices(
        "validated",
        "e2",
        after_confirming,
        session,
        contacts={"val-2": Recipient("val-2", "v2@example.org", "Victor", "en")},
    )
    assert _kinds(notices) == [
        ("registration.awaits_validation", "val-1"),
        ("registration.awaits_validation", "val-2"),
    ]
    assert all(n.channels == ("internal",) for n in notices)
    # one fact per registration: whichever event says it first, it is said once
    assert len({n.fact for n in notices}) == 1
    assert notices[1].recipient.locale == "en"
    assert "Léa" in render(notices[1]).body


def test_a_stale_event_tells_no_one() -> None:
    waitlisted = _registration(status="waitlisted", waitlist_position=3, version=1)
    assert registration_notices("waitlisted", "e", waitlisted, None, known_version=2) == []
    assert registration_notices("waitlisted", "e", waitlisted, None, known_version=1) != []


def test_a_confirmed_registration_carries_an_all_day_invitation() -> None:
    session = _session()
    notices = registration_notices("confirmed", "e", _registration(status="confirmed"), session)
    calendar = notices[0].calendar
    assert calendar is not None
    assert (calendar.start, calendar.end) == (session.start_date, session.end_date)
    assert calendar.method == "REQUEST"


def test_the_session_cancellation_reaches_active_learners_and_those_it_ended() -> None:
    session = _session(status="cancelled")
    roster = [
        RosterEntry(uuid.uuid4(), Recipient("a", "a@x.org", "A"), "confirmed"),
        RosterEntry(uuid.uuid4(), Recipient("b", "b@x.org", "B"), "waitlisted"),
        RosterEntry(uuid.uuid4(), Recipient("c", "c@x.org", "C"), "cancelled", "session_cancelled"),
        RosterEntry(uuid.uuid4(), Recipient("d", "d@x.org", "D"), "cancelled", "by learner"),
        RosterEntry(uuid.uuid4(), Recipient("e", "e@x.org", "E"), "refused"),
    ]
    notices = session_cancelled_notices(session, roster, "trainer ill")
    assert [n.recipient.user_id for n in notices] == ["a", "b", "c"]
    # the same fact key as registration.cancelled (reason session_cancelled) uses
    by_registration = registration_notices(
        "cancelled",
        "other-event",
        _registration(status="cancelled", reason="session_cancelled", session_id=session.id),
        session,
    )
    assert by_registration[0].fact == notices[0].fact
    assert "trainer ill" in render(notices[0]).body


def test_new_dates_reach_active_learners_once_per_version() -> None:
    before = _session(version=3)
    after = SessionView(**{**before.__dict__, "start_date": date(2027, 4, 1), "version": 4})
    roster = [
        RosterEntry(uuid.uuid4(), Recipient("a", "a@x.org", "A", "en"), "confirmed"),
        RosterEntry(uuid.uuid4(), Recipient("b", "b@x.org", "B"), "pending"),
        RosterEntry(uuid.uuid4(), Recipient("c", "c@x.org", "C"), "cancelled"),
    ]
    notices = session_rescheduled_notices(before, after, roster)
    assert [n.recipient.user_id for n in notices] == ["a", "b"]
    assert notices[0].calendar is not None
    assert notices[0].calendar.sequence == 4
    assert notices[1].calendar is None
    assert "1 April 2027" in render(notices[0]).body
    assert session_rescheduled_notices(after, after, roster) == []
    renamed = SessionView(**{**before.__dict__, "title": "Other", "version": 5})
    assert session_rescheduled_notices(before, renamed, roster) == []
    assert session_rescheduled_notices(after, before, roster) == []  # stale


def test_the_confirmation_request_carries_the_link() -> None:
    registration = _registration(locale="en", pending=["user", "organization"])
    command = SendConfirmation(
        registration=registration, token="abc_DEF-123", expires_at=NOW + timedelta(hours=72)
    )
    notice = confirmation_notice("cmd-1", command, _session(), "https://lms.example.org/")
    url = f"https://lms.example.org/confirm?registration={registration.id}&token=abc_DEF-123"
    assert notice.context["confirm_url"] == url
    words = render(notice)
    assert url in words.text
    assert f'href="{url.replace("&", "&amp;")}"' in words.html
    assert "organization manager" in words.body


def test_event_registration_facts_carry_the_events_times() -> None:
    event = domain.EventView(
        uuid.uuid4(),
        uuid.uuid4(),
        "Atelier",
        datetime(2027, 3, 1, 9, tzinfo=UTC),
        datetime(2027, 3, 1, 12, tzinfo=UTC),
        None,
        2,
    )
    data = EventRegistrationData.model_validate(
        {
            "id": uuid.uuid4(),
            "event_id": event.id,
            "session_id": event.session_id,
            "user_id": "u1",
            "status": "registered",
            "version": 1,
            "created_at": NOW,
            "updated_at": NOW,
        }
    )
    inbox_only = event_registration_notices("registered", "e", data, event, None, None)
    assert inbox_only[0].channels == ("internal",)  # no address known
    contact = Recipient("u1", "u1@x.org", "Léa")
    notices = event_registration_notices("registered", "e", data, event, None, contact)
    assert notices[0].channels == BOTH
    assert notices[0].calendar is not None
    assert notices[0].calendar.start == event.start
    cancelled = event_registration_notices("cancelled", "e", data, event, None, contact)
    assert cancelled[0].calendar is not None
    assert cancelled[0].calendar.method == "CANCEL"


def test_a_managers_message_goes_to_the_roster_on_the_chosen_channels() -> None:
    roster = [
        RosterEntry(uuid.uuid4(), Recipient("a", "a@x.org", "A"), "confirmed"),
        RosterEntry(uuid.uuid4(), Recipient("b", None, "B"), "confirmed"),
    ]
    message_id = uuid.uuid4()
    emails = session_message_notices(
        message_id, _session(), "Salle", "<b>Salle 3</b>", ("email",), roster, "Marie"
    )
    assert [n.recipient.user_id for n in emails] == ["a"]  # no address, no email
    both = session_message_notices(
        message_id, _session(), "Salle", "<b>Salle 3</b>", BOTH, roster, "Marie"
    )
    assert [n.channels for n in both] == [BOTH, ("internal",)]
    words = render(both[0])
    assert words.subject == "Salle"
    assert "<b>Salle 3</b>" in words.text
    assert "&lt;b&gt;Salle 3&lt;/b&gt;" in words.html  # autoescaped
    assert audience_statuses("confirmed") == ("confirmed",)
    assert set(audience_statuses("all")) == {"pending", "confirmed", "waitlisted", "offered"}


def test_retries_back_off_and_end_failed() -> None:
    policy = RetryPolicy(max_attempts=4, base=2, cap=5)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [2, 4, 5, 5]
    assert [policy.after_failure(n) for n in (1, 3, 4, 5)] == [
        "pending",
        "pending",
        "failed",
        "failed",
    ]


# --- words ----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize(
    ("fact", "status", "extra"),
    [
        ("requested", "pending", {"pending_validations": ["registration"]}),
        ("confirmed", "confirmed", {}),
        ("waitlisted", "waitlisted", {"waitlist_position": 4}),
        ("promoted", "pending", {"pending_validations": ["organization"]}),
        ("promoted", "confirmed", {}),
        ("refused", "refused", {"reason": "Prérequis manquants"}),
        ("cancelled", "cancelled", {"reason": "session_deleted"}),
        ("cancelled", "cancelled", {"reason": "moved"}),
        ("cancelled", "cancelled", {"reason": "session_cancelled"}),
        ("expired", "expired", {}),
    ],
)
def test_every_notice_has_words_in_both_languages(
    locale: str, fact: str, status: str, extra: dict[str, Any]
) -> None:
    registration = _registration(locale=locale, status=status, **extra)
    for session in (_session(), None):  # also before the session is known
        notice = registration_notices(fact, "e", registration, session)[0]
        words = render(notice)
        assert words.subject
        assert words.body
        assert "Léa" in words.body
        assert words.html.startswith("<!DOCTYPE html>")
        assert f'lang="{locale}"' in words.html
        if session is not None:
            assert "Sécurité au travail" in words.subject
    if status == "waitlisted":
        assert "4" in words.body


def test_words_say_what_happened_in_the_learners_language() -> None:
    waitlisted = _registration(locale="en", status="waitlisted", waitlist_position=2)
    words = render(registration_notices("waitlisted", "e", waitlisted, _session())[0])
    assert words.subject == 'Waiting list: "Sécurité au travail"'
    assert "position 2" in words.body
    confirmed = _registration(locale="fr", status="confirmed", previous_status="waitlisted")
    words = render(registration_notices("confirmed", "e", confirmed, _session())[0])
    assert words.subject == "Inscription confirmée : « Sécurité au travail »"
    assert "Une place s'est libérée" in words.body
    assert "du 1er mars 2027 au 3 mars 2027, Lyon, salle 2" in words.body


def test_html_escapes_what_users_typed() -> None:
    registration = _registration(status="confirmed")
    registration.user.name = "<script>x</script>"
    words = render(registration_notices("confirmed", "e", registration, _session())[0])
    assert "<script>" not in words.html
    assert "&lt;script&gt;" in words.html
    assert "<script>x</script>" in words.text


# --- calendars ------------------------------------------------------------------------------


def _unfold(ics: str) -> list[str]:
    assert ics.endswith("\r\n")
    assert "\n" not in ics.replace("\r\n", "")
    return ics.replace("\r\n ", "").split("\r\n")[:-1]


def test_text_is_escaped_per_rfc_5545() -> None:
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


def test_lines_fold_at_75_octets_without_splitting_characters() -> None:
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line)
    for physical in folded.split("\r\n"):
        assert len(physical.encode()) <= 75
    assert folded.replace("\r\n ", "") == line
    assert fold("SHORT:x") == "SHORT:x"


@pytest.mark.parametrize("length", [74, 75, 76, 148, 149, 150, 223, 500])
@pytest.mark.parametrize("head", ["", "é", "DESCRIPTION:"])
def test_a_long_line_folds_as_character_by_character(length: int, head: str) -> None:
    line = head + "".join(chr(ord("a") + n % 26) for n in range(length))
    folded = fold(line)
    assert folded == fold_by_character(line)
    assert folded.replace("\r\n ", "") == line
    assert all(len(physical.encode()) <= 75 for physical in folded.split("\r\n"))


def test_a_session_invitation_is_all_day_with_an_exclusive_end() -> None:
    entry = CalendarEntry(
        uid="registration-1@training",
        summary="Sécurité, niveau 1; pratique",
        start=date(2027, 3, 1),
        end=date(2027, 3, 3),
        location="Lyon",
        description="x" * 200,
        sequence=2,
        attendee=Recipient("u1", "u1@example.org", 'Léa "L" Martin'),
    )
    lines = _unfold(invitation(entry, organizer="no-reply@training.local", now=NOW))
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert "METHOD:REQUEST" in lines
    assert "VERSION:2.0" in lines
    assert "UID:registration-1@training" in lines
    assert "DTSTAMP:20270110T083000Z" in lines
    assert "DTSTART;VALUE=DATE:20270301" in lines
    assert "DTEND;VALUE=DATE:20270304" in lines
    assert "SUMMARY:Sécurité\\, niveau 1\\; pratique" in lines
    assert "SEQUENCE:2" in lines
    assert "ORGANIZER:mailto:no-reply@training.local" in lines
    assert any(line.startswith("ATTENDEE;CN=\"Léa 'L' Martin\"") for line in lines)


def test_an_event_invitation_has_utc_date_times() -> None:
    from datetime import timezone

    paris = timezone(timedelta(hours=1))
    entry = CalendarEntry(
        uid="event-registration-1@training",
        summary="Atelier",
        start=datetime(2027, 3, 1, 9, 0, tzinfo=paris),
        end=datetime(2027, 3, 1, 12, 30, tzinfo=paris),
        location=None,
        description="",
        sequence=0,
        method="CANCEL",
    )
    lines = _unfold(invitation(entry, organizer="o@x.org", now=NOW))
    assert "DTSTART:20270301T080000Z" in lines
    assert "DTEND:20270301T113000Z" in lines
    assert "METHOD:CANCEL" in lines
    assert "STATUS:CANCELLED" in lines


def test_the_delivery_log_never_shows_a_confirmation_token() -> None:
    text = "Confirmez : https://lms.example.org/confirm?registration=abc&token=s3cr-t_X9 merci"
    assert redact_tokens(text) == (
        "Confirmez : https://lms.example.org/confirm?registration=abc&token=[redacted] merci"
    )
    assert redact_tokens("no link here") == "no link here"


def test_dates_read_as_each_language_writes_them() -> None:
    assert format_day(date(2027, 3, 1), "fr") == "1er mars 2027"
    assert format_day(date(2027, 3, 2), "fr") == "2 mars 2027"
    assert format_day(date(2027, 3, 1), "en") == "1 March 2027"
