from datetime import date

import pytest
from catalog.domain import CatalogRuleError, check_session_dates, may_manage, session_rules

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
