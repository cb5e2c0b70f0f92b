"""The pure rules of change notices: when an event's learners are told of a change, what (old and
new), and the invitation or cancellation they get, read back strictly: the UID of the invitations
sent before, a higher SEQUENCE."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from notification.calendar import invitation
from notification.change_notices import (
    CHANGES,
    Attendee,
    cancelled_fact,
    ended_fact,
    event_cancelled_notices,
    event_changed_notices,
    event_changes,
)
from notification.domain import BOTH, EventView, Recipient, SessionView
from notification.event_notices import event_registration_notices, event_uid
from notification.templates import render

from shared.events import EventRegistrationData

from .ics_checks import parse_strictly

pytestmark = pytest.mark.unit

NOW = datetime(2027, 1, 10, 8, 30, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))
ORGANIZER = "no-reply@training.local"
SESSION = SessionView(
    id=uuid.uuid4(),
    title="Sécurité au travail",
    start_date=date(2027, 3, 1),
    end_date=date(2027, 3, 3),
    location="Lyon",
    organizations=("org",),
    tutors=(),
    validators=(),
    status="scheduled",
    version=1,
)
BEFORE = EventView(
    id=uuid.uuid4(),
    session_id=SESSION.id,
    title="Atelier pratique, gestes et postures au poste de travail, niveau avancé",
    start=datetime(2027, 3, 1, 9, 0, tzinfo=PARIS),
    end=datetime(2027, 3, 1, 12, 0, tzinfo=PARIS),
    location="Salle 4",
    version=3,
)
MOVED = replace(
    BEFORE,
    start=datetime(2027, 3, 2, 14, 0, tzinfo=PARIS),
    end=datetime(2027, 3, 2, 17, 30, tzinfo=PARIS),
    version=4,
)
LEA = Recipient("lea", "lea@example.org", "Léa", "fr")
BOB = Recipient("bob", "bob@example.org", "Bob", "en")


def _attendee(learner: Recipient, version: int = 1) -> Attendee:
    return Attendee(uuid.uuid4(), learner, version)


def _sent_before(attendee: Attendee, event: EventView) -> str:
    """The invitation the learner got when they were registered (event_registration.registered)."""
    data = EventRegistrationData(
        id=attendee.event_registration_id,
        event_id=event.id,
        session_id=event.session_id,
        user_id=attendee.learner.user_id,
        status="registered",
        version=attendee.version,
        created_at=NOW,
        updated_at=NOW,
    )
    [notice] = event_registration_notices(
        "registered", "e1", data, event, SESSION, attendee.learner
    )
    assert notice.calendar is not None
    return invitation(notice.calendar, organizer=ORGANIZER, now=NOW)


def test_times_and_place_are_what_learners_are_told_of() -> None:
    assert event_changes(BEFORE, MOVED) == ["start", "end"]
    assert event_changes(BEFORE, replace(BEFORE, location="Salle 9", version=4)) == ["location"]
    assert event_changes(BEFORE, replace(BEFORE, location=None, version=4)) == ["location"]
    later_end = replace(BEFORE, end=BEFORE.end + timedelta(minutes=30), version=4)
    assert event_changes(BEFORE, later_end) == ["end"]
    # the same instant in another offset is not a move
    same = replace(BEFORE, start=BEFORE.start.astimezone(UTC), version=4)
    assert event_changes(BEFORE, same) == []


def test_a_title_change_a_replay_or_a_stale_version_tells_no_one() -> None:
    renamed = replace(BEFORE, title="Autre titre", version=4)
    assert event_changed_notices(BEFORE, renamed, SESSION, [_attendee(LEA)]) == []
    replayed = replace(MOVED, version=BEFORE.version)
    assert event_changed_notices(BEFORE, replayed, SESSION, [_attendee(LEA)]) == []
    assert event_changed_notices(MOVED, BEFORE, SESSION, [_attendee(LEA)]) == []  # stale
    assert event_changed_notices(None, MOVED, SESSION, [_attendee(LEA)]) == []


def test_a_moved_event_tells_each_learner_old_and_new_in_their_language() -> None:
    lea, bob = _attendee(LEA), _attendee(BOB, version=5)
    notices = event_changed_notices(BEFORE, MOVED, SESSION, [lea, bob])
    assert [n.recipient for n in notices] == [LEA, BOB]
    assert {n.fact for n in notices} == {f"event:{MOVED.id}:changed:v4"}
    assert all(n.kind == "event.changed" and n.channels == BOTH for n in notices)
    assert all(n.category == CHANGES for n in notices)
    assert notices[0].ref == {
        "event_registration_id": str(lea.event_registration_id),
        "event_id": str(MOVED.id),
        "session_id": str(SESSION.id),
    }
    fr, en = render(notices[0]), render(notices[1])
    assert fr.subject.startswith("Séance déplacée : Atelier pratique")
    assert "2 mars 2027, 14\u00a0h\u00a000 \u2013 17\u00a0h\u00a030 (UTC+01:00)" in fr.body
    was = "1er mars 2027, 9\u00a0h\u00a000 \u2013 12\u00a0h\u00a000 (UTC+01:00)"
    assert f"au lieu du {was}" in fr.body
    assert "Lieu : Salle 4." in fr.body
    assert en.subject.startswith("Event moved: Atelier pratique")
    assert "on 2 March 2027, 14:00 \u2013 17:30 (UTC+01:00)" in en.body
    assert "(instead of 1 March 2027, 09:00 \u2013 12:00 (UTC+01:00))" in en.body


def test_a_new_place_is_told_with_the_old_one() -> None:
    elsewhere = replace(BEFORE, location="Bâtiment B, salle 12", version=4)
    [fr] = event_changed_notices(BEFORE, elsewhere, SESSION, [_attendee(LEA)])
    body = render(fr).body
    assert render(fr).subject.startswith("Séance changée de lieu")
    assert "Lieu : Bâtiment B, salle 12 (au lieu de : Salle 4)." in body
    assert "toujours lieu le 1er mars 2027" in body
    [en] = event_changed_notices(BEFORE, elsewhere, SESSION, [_attendee(BOB)])
    assert "Place: Bâtiment B, salle 12 (instead of: Salle 4)." in render(en).body


def test_the_updated_invitation_replaces_the_one_sent_before() -> None:
    for version in (1, 2, 7):  # the event registration's version may pass the event's
        attendee = _attendee(LEA, version)
        before = parse_strictly(_sent_before(attendee, BEFORE)).only("VEVENT")
        [notice] = event_changed_notices(BEFORE, MOVED, SESSION, [attendee])
        assert notice.calendar is not None
        calendar = parse_strictly(invitation(notice.calendar, organizer=ORGANIZER, now=NOW))
        assert calendar.value("METHOD") == "REQUEST"
        event = calendar.only("VEVENT")
        assert event.value("UID") == before.value("UID")
        assert event.value("UID") == event_uid(attendee.event_registration_id)
        assert int(event.value("SEQUENCE")) > int(before.value("SEQUENCE"))
        assert event.value("DTSTART") == "20270302T130000Z"
        assert event.value("DTEND") == "20270302T163000Z"
        assert event.value("STATUS") == "CONFIRMED"
        assert event.value("LOCATION") == "Salle 4"


def test_each_later_change_has_a_higher_sequence() -> None:
    attendee = _attendee(LEA, 2)
    again = replace(MOVED, location="Salle 5", version=5)
    sequences = []
    for before, after in ((BEFORE, MOVED), (MOVED, again)):
        [notice] = event_changed_notices(before, after, SESSION, [attendee])
        assert notice.calendar is not None
        sequences.append(notice.calendar.sequence)
    [cancelled] = event_cancelled_notices(again, SESSION, [attendee], "event_deleted")
    assert cancelled.calendar is not None
    sequences.append(cancelled.calendar.sequence)
    assert sequences == sorted(set(sequences))


@pytest.mark.parametrize("why", ["event_deleted", "session_cancelled", "registration_ended"])
def test_a_cancellation_takes_the_event_out_of_the_calendar(why: str) -> None:
    attendee = _attendee(BOB, 3)
    sent = parse_strictly(_sent_before(attendee, BEFORE)).only("VEVENT")
    [notice] = event_cancelled_notices(BEFORE, SESSION, [attendee], why)  # type: ignore[arg-type]
    assert notice.kind == "event.cancelled"
    assert notice.category == CHANGES
    assert notice.fact == ended_fact(attendee.event_registration_id, 3)
    assert notice.calendar is not None
    calendar = parse_strictly(invitation(notice.calendar, organizer=ORGANIZER, now=NOW))
    assert calendar.value("METHOD") == "CANCEL"
    event = calendar.only("VEVENT")
    assert event.value("STATUS") == "CANCELLED"
    assert event.value("UID") == sent.value("UID")
    assert int(event.value("SEQUENCE")) > int(sent.value("SEQUENCE"))
    words = render(notice)
    assert "1 March 2027, 09:00 \u2013 12:00 (UTC+01:00)" in words.body
    assert "removes it from your calendar" in words.body


def test_cancellations_say_why_in_each_language() -> None:
    lea = _attendee(LEA)
    deleted = render(event_cancelled_notices(BEFORE, SESSION, [lea], "event_deleted")[0])
    assert deleted.subject.startswith("Séance annulée : ")
    assert "est annulée" in deleted.body
    session = render(event_cancelled_notices(BEFORE, SESSION, [lea], "session_cancelled")[0])
    assert session.subject.startswith("Séance retirée de votre agenda")
    assert "La session « Sécurité au travail » est annulée" in session.body
    ended = render(event_cancelled_notices(BEFORE, SESSION, [lea], "registration_ended")[0])
    assert "Votre inscription à la session « Sécurité au travail » a pris fin" in ended.body
    bob = _attendee(BOB)
    english = render(event_cancelled_notices(BEFORE, None, [bob], "registration_ended")[0])
    assert "Your registration has ended: you are no longer expected" in english.body
    assert english.subject.startswith("Event removed from your calendar")


def test_a_learner_without_an_email_gets_the_inbox_message() -> None:
    unreachable = Recipient("zoe", None, "Zoé")
    [notice] = event_changed_notices(BEFORE, MOVED, SESSION, [_attendee(unreachable)])
    assert notice.channels == ("internal",)


def test_the_events_of_a_cancelled_session_are_no_ones_to_move() -> None:
    for status in ("cancelled", "deleted"):
        gone = replace(SESSION, status=status)
        assert event_changed_notices(BEFORE, MOVED, gone, [_attendee(LEA)]) == []
    assert len(event_changed_notices(BEFORE, MOVED, None, [_attendee(LEA)])) == 1


def test_registrations_own_end_of_a_place_is_the_fact_told_before() -> None:
    place = uuid.uuid4()
    ended = ended_fact(place, 2)
    assert cancelled_fact("evt-1", place, ("registered", 2), 3) == ended
    # a waitlisted place never had an invitation; an unknown one, a replay: their own fact
    assert cancelled_fact("evt-1", place, ("waitlisted", 2), 3) == "evt-1"
    assert cancelled_fact("evt-1", place, None, 3) == "evt-1"
    assert cancelled_fact("evt-1", place, ("registered", 3), 3) == "evt-1"
    [notice] = event_cancelled_notices(BEFORE, SESSION, [Attendee(place, LEA, 2)], "event_deleted")
    assert notice.fact == ended
