from datetime import UTC, date, datetime, timedelta

import pytest
from catalog.domain import (
    CatalogRuleError,
    changes,
    check_event_times,
    check_no_cycle,
    check_session_dates,
    curriculum_organizations,
    distinct,
    like_pattern,
    manages_curriculum,
    may_hang_under,
    may_manage,
    may_write_events,
    session_rules,
)
from hypothesis import given
from hypothesis import strategies as st

from shared.auth import Principal
from shared.events import SessionRules

pytestmark = pytest.mark.unit


def test_a_session_copies_every_rule_it_omits_from_the_training() -> None:
    training = SessionRules(public_registration=True, max_users=20, validators=["v"]).model_dump()
    rules = session_rules(training, {"max_users": 5, "user_validation": True})
    assert rules == {**training, "max_users": 5, "user_validation": True}


def test_an_explicit_null_max_users_overrides_the_training() -> None:
    training = SessionRules(max_users=20).model_dump()
    assert session_rules(training, {"max_users": None})["max_users"] is None


def test_session_dates() -> None:
    check_session_dates(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(CatalogRuleError) as refused:
        check_session_dates(date(2026, 1, 2), date(2026, 1, 1))
    assert refused.value.loc == "end_date"


def test_only_managers_of_the_organizations_manage() -> None:
    assert may_manage(
        Principal(sub="m", roles=("training_manager",), organizations=("o1",)), ["o1"]
    )
    assert not may_manage(
        Principal(sub="m", roles=("training_manager",), organizations=("o2",)), ["o1"]
    )
    assert not may_manage(Principal(sub="l", organizations=("o1",)), ["o1"])
    assert may_manage(Principal(sub="a", roles=("platform_admin",)), ["o1"])


MANAGER = Principal(sub="m", roles=("training_manager",), organizations=("o1",))
OTHER_MANAGER = Principal(sub="m2", roles=("training_manager",), organizations=("o2",))
ADMIN = Principal(sub="a", roles=("platform_admin",))
TUTOR = Principal(sub="t")
LEARNER = Principal(sub="l", organizations=("o1",))


def test_event_times() -> None:
    start = datetime(2027, 3, 1, 9, tzinfo=UTC)
    check_event_times(start, start + timedelta(minutes=1))
    for end in (start, start - timedelta(hours=1)):
        with pytest.raises(CatalogRuleError) as refused:
            check_event_times(start, end)
        assert refused.value.loc == "end"


def test_events_and_their_comments_are_written_by_managers_and_tutors_only() -> None:
    assert may_write_events(MANAGER, ["o1"], [])
    assert may_write_events(TUTOR, ["o1"], ["t"])
    assert may_write_events(ADMIN, ["o1"], [])
    assert not may_write_events(TUTOR, ["o1"], ["someone"])  # not (or no longer) a tutor
    assert not may_write_events(LEARNER, ["o1"], [])
    assert not may_write_events(OTHER_MANAGER, ["o1"], ["t"])


def test_changes_keeps_only_what_differs() -> None:
    current = {"title": "a", "max_users": 3, "tutors": ["x"]}
    assert changes(current, {"title": "a", "max_users": None, "tutors": ["x"]}) == {
        "max_users": None
    }
    assert changes(current, {}) == {}


def test_distinct_keeps_the_first_occurrence() -> None:
    assert distinct(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("Abc", "%abc%"),
        ("100%", "%100\\%%"),
        ("a_b", "%a\\_b%"),
        ("back\\slash", "%back\\\\slash%"),
        ("%' OR 1=1 --", "%\\%' or 1=1 --%"),
    ],
)
def test_like_pattern_makes_wildcards_literal(text: str, pattern: str) -> None:
    assert like_pattern(text) == pattern


def test_roots_belong_to_platform_admins() -> None:
    assert manages_curriculum(ADMIN, is_root=True, training_organizations=[])
    assert not manages_curriculum(MANAGER, is_root=True, training_organizations=[["o1"]])


def test_a_node_is_managed_by_who_manages_every_training_it_lists() -> None:
    assert manages_curriculum(MANAGER, is_root=False, training_organizations=[["o1"], ["o1", "o2"]])
    assert not manages_curriculum(MANAGER, is_root=False, training_organizations=[["o1"], ["o2"]])
    assert not manages_curriculum(MANAGER, is_root=False, training_organizations=[])
    assert not manages_curriculum(LEARNER, is_root=False, training_organizations=[["o1"]])
    assert manages_curriculum(ADMIN, is_root=False, training_organizations=[])


def test_who_may_hang_a_child_under_a_node() -> None:
    assert may_hang_under(MANAGER, parent_is_root=True, parent_training_organizations=[])
    assert not may_hang_under(LEARNER, parent_is_root=True, parent_training_organizations=[])
    assert may_hang_under(MANAGER, parent_is_root=False, parent_training_organizations=[["o1"]])
    assert not may_hang_under(
        OTHER_MANAGER, parent_is_root=False, parent_training_organizations=[["o1"]]
    )


def test_a_node_cannot_be_placed_under_itself_or_its_descendants() -> None:
    check_no_cycle("a", ["b", "root"])
    for lineage in (["a"], ["c", "a", "root"]):
        with pytest.raises(CatalogRuleError) as refused:
            check_no_cycle("a", lineage)
        assert refused.value.loc == "parent_id"


@given(st.lists(st.lists(st.sampled_from(["o1", "o2", "o3", "o4"]), max_size=3), max_size=5))
def test_a_node_carries_the_union_of_its_trainings_organizations(
    orgs: list[list[str]],
) -> None:
    union = curriculum_organizations(orgs)
    assert union == sorted(set(union))
    assert set(union) == {org for training in orgs for org in training}
