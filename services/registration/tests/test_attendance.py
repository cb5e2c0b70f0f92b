"""The attendance list, bulk marking and validation, without I/O."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from registration.attendance import (
    MAX_NOTE,
    PRESENCE_STATUSES,
    Mark,
    PresenceState,
    attendance_list,
    counts,
    mark,
    validate,
)
from registration.event_domain import EventRights

from shared.events import PresenceCounts
from shared.refusals import Forbidden, Invalid

pytestmark = pytest.mark.unit

MANAGER = EventRights(manager=True)
TUTOR = EventRights(tutor=True)
ADMIN = EventRights(admin=True)
LEARNER = EventRights(learner=True)
NOW = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
LIST = (PresenceState("ana"), PresenceState("bob"), PresenceState("cy"))


# --- the list follows the registrations ---------------------------------------------------------


def test_each_registered_learner_has_a_presence_unknown_at_first() -> None:
    kept = {"bob": PresenceState("bob", "present", marked_by="tut")}
    assert attendance_list(["ana", "bob"], kept) == [PresenceState("ana"), kept["bob"]]


def test_a_learner_no_longer_registered_keeps_none_in_the_list() -> None:
    kept = {"ana": PresenceState("ana", "present"), "gone": PresenceState("gone", "present")}
    assert [p.user_id for p in attendance_list(["ana"], kept)] == ["ana"]


# --- marking ------------------------------------------------------------------------------------


def test_a_tutor_marks_before_validation_and_each_change_is_recorded() -> None:
    marked = mark(
        LIST,
        [Mark("ana", "present"), Mark("bob", "absent_justified", "ill")],
        TUTOR,
        validated=False,
        actor="tut",
    )
    assert [p.status for p in marked.presences] == ["present", "absent_justified", "unknown"]
    assert marked.presences[1].note == "ill"
    assert [(c.after.user_id, c.previous_status, c.actor) for c in marked.changes] == [
        ("ana", "unknown", "tut"),
        ("bob", "unknown", "tut"),
    ]
    assert all(c.after.marked_by == "tut" for c in marked.changes)


def test_an_unchanged_item_yields_no_change() -> None:
    before = (PresenceState("ana", "present", "late"),)
    marked = mark(before, [Mark("ana", "present")], MANAGER, validated=False, actor="m")
    assert marked.changes == ()
    assert marked.presences == before


def test_a_note_is_kept_when_none_and_cleared_when_empty() -> None:
    before = (PresenceState("ana", "absent_justified", "ill"),)
    kept = mark(before, [Mark("ana", "absent_unjustified")], MANAGER, validated=False, actor="m")
    assert kept.presences[0].note == "ill"
    cleared = mark(
        before, [Mark("ana", "absent_justified", "")], MANAGER, validated=False, actor="m"
    )
    assert cleared.presences[0].note is None
    assert cleared.changes[0].previous_status == "absent_justified"


def test_marked_absent_loses_the_learners_signature() -> None:
    before = (PresenceState("ana", "present", signed_at=NOW),)
    marked = mark(before, [Mark("ana", "absent_justified")], MANAGER, validated=False, actor="m")
    assert marked.presences[0].signed_at is None
    noted = mark(before, [Mark("ana", "present", "on time")], MANAGER, validated=False, actor="m")
    assert noted.presences[0].signed_at == NOW


def test_learners_not_registered_are_all_named_and_nothing_changes() -> None:
    items = [Mark("ana", "present"), Mark("zed", "present"), Mark("yan", "present")]
    with pytest.raises(Invalid) as refused:
        mark(LIST, items, MANAGER, validated=False, actor="m")
    assert refused.value.field == "items"
    assert "zed" in refused.value.detail
    assert "yan" in refused.value.detail
    assert "ana" not in refused.value.detail


def test_a_learner_named_twice_is_invalid() -> None:
    items = [Mark("ana", "present"), Mark("ana", "absent_justified")]
    with pytest.raises(Invalid, match="twice"):
        mark(LIST, items, MANAGER, validated=False, actor="m")


def test_a_note_of_2000_characters_passes_one_more_is_invalid() -> None:
    fits = mark(LIST, [Mark("ana", "present", "n" * MAX_NOTE)], TUTOR, validated=False, actor="t")
    assert fits.presences[0].note == "n" * MAX_NOTE
    with pytest.raises(Invalid, match="note"):
        mark(
            LIST, [Mark("ana", "present", "n" * (MAX_NOTE + 1))], TUTOR, validated=False, actor="t"
        )


def test_after_validation_a_tutor_is_forbidden_a_manager_marks() -> None:
    with pytest.raises(Forbidden):
        mark(LIST, [Mark("ana", "present")], TUTOR, validated=True, actor="t")
    for rights in (MANAGER, ADMIN):
        marked = mark(LIST, [Mark("ana", "present")], rights, validated=True, actor="m")
        assert marked.presences[0].status == "present"


def test_a_validated_attendance_takes_no_unknown() -> None:
    before = (PresenceState("ana", "present"),)
    with pytest.raises(Invalid, match="unknown"):
        mark(before, [Mark("ana", "unknown")], MANAGER, validated=True, actor="m")


@pytest.mark.parametrize("rights", [LEARNER, EventRights()])
def test_neither_a_learner_nor_a_stranger_marks(rights: EventRights) -> None:
    with pytest.raises(Forbidden):
        mark(LIST, [Mark("ana", "present")], rights, validated=False, actor="x")


# --- validation ---------------------------------------------------------------------------------


def test_validation_makes_every_unknown_absent_unjustified_and_counts() -> None:
    before = (PresenceState("ana", "present"), PresenceState("bob"), PresenceState("cy"))
    done = validate(before, MANAGER, validated=False, actor="m")
    assert [p.status for p in done.presences] == [
        "present",
        "absent_unjustified",
        "absent_unjustified",
    ]
    assert [(c.after.user_id, c.previous_status) for c in done.changes] == [
        ("bob", "unknown"),
        ("cy", "unknown"),
    ]
    assert done.counts == PresenceCounts(present=1, absent_unjustified=2)
    assert done.announces


def test_validating_twice_is_idempotent_and_announces_nothing() -> None:
    once = validate(LIST, MANAGER, validated=False, actor="m")
    twice = validate(once.presences, MANAGER, validated=True, actor="m")
    assert twice.presences == once.presences
    assert twice.changes == ()
    assert not twice.announces
    assert twice.counts == once.counts


@pytest.mark.parametrize("rights", [TUTOR, LEARNER, EventRights()])
def test_only_a_manager_validates(rights: EventRights) -> None:
    with pytest.raises(Forbidden):
        validate(LIST, rights, validated=False, actor="x")


# --- properties ---------------------------------------------------------------------------------

users = st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8)
statuses = st.sampled_from(PRESENCE_STATUSES)


@st.composite
def presences_and_marks(draw: st.DrawFn) -> tuple[list[PresenceState], list[Mark]]:
    registered = draw(users)
    presences = [PresenceState(u, draw(statuses)) for u in registered]
    marked = draw(st.lists(st.sampled_from(registered), unique=True)) if registered else []
    return presences, [
        Mark(u, draw(statuses), draw(st.none() | st.text(max_size=3))) for u in marked
    ]


@given(presences_and_marks(), st.sampled_from("xyz"), st.integers(min_value=0))
def test_a_batch_with_one_stranger_changes_nothing(
    drawn: tuple[list[PresenceState], list[Mark]], stranger: str, at: int
) -> None:
    presences, items = drawn
    items.insert(at % (len(items) + 1), Mark(stranger, "present"))
    frozen = list(presences)
    with pytest.raises(Invalid) as refused:
        mark(presences, items, MANAGER, validated=False, actor="m")
    assert stranger in refused.value.detail
    assert presences == frozen


@given(presences_and_marks())
def test_marking_changes_exactly_the_presences_it_records(
    drawn: tuple[list[PresenceState], list[Mark]],
) -> None:
    presences, items = drawn
    marked = mark(presences, items, TUTOR, validated=False, actor="t")
    changed = {c.after.user_id for c in marked.changes}
    for before, after in zip(presences, marked.presences, strict=True):
        assert (before != after) == (before.user_id in changed)
    assert sum(counts(marked.presences).model_dump().values()) == len(presences)
