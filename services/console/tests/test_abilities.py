"""What the console shows the viewer may do, rule by rule as the contract's "Who may do what" says
(platform_admin may always), and what it hides because the API would refuse it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from console import abilities
from console.viewer import Viewer

pytestmark = pytest.mark.unit

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def viewer(
    sub: str = "someone",
    *,
    roles: tuple[str, ...] = (),
    organizations: tuple[str, ...] = (),
    managed: tuple[str, ...] = (),
) -> Viewer:
    return Viewer(
        token="t",
        id=sub,
        name=sub,
        email="",
        locale="fr",
        roles=frozenset(roles),
        organizations=frozenset(organizations),
        managed_organizations=frozenset(managed),
        expires_at=None,
    )


ADMIN = viewer("root", roles=("platform_admin",))
MANAGER = viewer("marie", roles=("training_manager",), organizations=("org-1",))
OTHER_MANAGER = viewer("paul", roles=("training_manager",), organizations=("org-2",))
MEMBER = viewer("zoe", organizations=("org-1",))  # in org-1, but no manager
ORG_MANAGER = viewer("olga", managed=("org-1",))
VALIDATOR = viewer("vic")
TUTOR = viewer("tom")
LEARNER = viewer("lea", organizations=("org-1",))
STRANGER = viewer("sam", organizations=("org-3",))


def session(**rules: Any) -> dict[str, Any]:
    return {
        "id": "s-1",
        "organizations": ["org-1", "org-4"],
        "tutors": ["tom"],
        "validators": ["vic"],
        "public_unregistration": False,
        **rules,
    }


def registration(status: str = "pending", pending: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": "r-1",
        "status": status,
        "pending_validations": list(pending),
        "user": {"id": "lea", "organizations": ["org-1"]},
    }


# --- trainings, sessions, events --------------------------------------------------------------


def test_who_creates_a_training() -> None:
    assert abilities.may_create_training(ADMIN)
    assert abilities.may_create_training(MANAGER)
    assert not abilities.may_create_training(MEMBER)
    assert not abilities.may_create_training(ORG_MANAGER)
    # a training manager of no organization can be the manager of no training's organizations
    assert not abilities.may_create_training(viewer("x", roles=("training_manager",)))


def test_the_manager_of_a_training_shares_one_of_its_organizations() -> None:
    training = {"organizations": ["org-1", "org-4"]}
    assert abilities.manages(ADMIN, training)
    assert abilities.manages(MANAGER, training)
    assert abilities.manages(
        viewer("y", roles=("training_manager",), organizations=("org-4",)), training
    )
    assert not abilities.manages(OTHER_MANAGER, training)
    assert not abilities.manages(MEMBER, training)  # in the organization, without the role
    assert not abilities.manages(ORG_MANAGER, training)  # manages learners, not trainings
    assert not abilities.manages(MANAGER, {"organizations": []})
    assert not abilities.manages(MANAGER, {})
    assert abilities.manages(ADMIN, {})


def test_events_comments_and_messages_manager_or_tutor() -> None:
    assert abilities.may_run_session(ADMIN, session())
    assert abilities.may_run_session(MANAGER, session())
    assert abilities.may_run_session(TUTOR, session())
    assert not abilities.may_run_session(OTHER_MANAGER, session())
    assert not abilities.may_run_session(VALIDATOR, session())
    assert not abilities.may_run_session(LEARNER, session())
    assert abilities.tutors(TUTOR, session())
    assert not abilities.tutors(TUTOR, session(tutors=[]))
    assert not abilities.tutors(TUTOR, session(tutors=None))
    assert not abilities.tutors(TUTOR, session(tutors="tom"))  # a string is no list of ids


def test_curricula_roots_and_the_email_log_are_the_admins() -> None:
    assert abilities.may_create_root_curriculum(ADMIN)
    assert not abilities.may_create_root_curriculum(MANAGER)
    assert abilities.may_see_deliveries(ADMIN)
    assert not abilities.may_see_deliveries(MANAGER)
    assert not abilities.may_see_deliveries(ORG_MANAGER)


# --- validations ------------------------------------------------------------------------------


def test_each_step_goes_to_whom_it_is_for() -> None:
    pending = registration("pending", ("organization", "registration", "validator"))
    assert abilities.validation_steps(ORG_MANAGER, pending, session()) == ["organization"]
    assert abilities.validation_steps(MANAGER, pending, session()) == ["registration"]
    assert abilities.validation_steps(VALIDATOR, pending, session()) == ["validator"]
    assert abilities.validation_steps(ADMIN, pending, session()) == ["all"]
    for nobody in (OTHER_MANAGER, TUTOR, LEARNER, STRANGER, MEMBER):
        assert abilities.validation_steps(nobody, pending, session()) == []


def test_a_viewer_entitled_to_several_steps_gets_them_in_the_registrations_order() -> None:
    both = viewer("vic", roles=("training_manager",), organizations=("org-1",), managed=("org-1",))
    pending = registration("pending", ("validator", "organization"))
    assert abilities.validation_steps(both, pending, session()) == ["validator", "organization"]


def test_the_organization_step_is_for_the_learners_organizations_at_registration() -> None:
    pending = registration("pending", ("organization",))
    pending["user"]["organizations"] = ["org-9"]
    assert abilities.validation_steps(ORG_MANAGER, pending, session()) == []
    assert abilities.validation_steps(viewer("o", managed=("org-9",)), pending, session()) == [
        "organization"
    ]
    assert not abilities.organization_manager_of(ORG_MANAGER, {"user": None})


def test_nothing_but_all_while_the_learner_has_not_confirmed() -> None:
    awaiting_learner = registration("pending", ("user", "organization", "registration"))
    assert abilities.validation_steps(MANAGER, awaiting_learner, session()) == []
    assert abilities.validation_steps(ORG_MANAGER, awaiting_learner, session()) == []
    assert abilities.validation_steps(ADMIN, awaiting_learner, session()) == ["all"]


@pytest.mark.parametrize("status", ["pending", "waitlisted", "offered"])
def test_validations_are_given_while_a_registration_waits(status: str) -> None:
    assert abilities.validation_steps(MANAGER, registration(status, ("registration",)), session())


@pytest.mark.parametrize("status", ["confirmed", "refused", "cancelled", "expired"])
def test_no_validation_once_it_is_decided(status: str) -> None:
    decided = registration(status, ("registration",))
    assert abilities.validation_steps(MANAGER, decided, session()) == []
    assert abilities.validation_steps(ADMIN, decided, session()) == []


def test_no_validation_when_none_is_pending() -> None:
    assert abilities.validation_steps(ADMIN, registration("waitlisted"), session()) == []
    assert abilities.validation_steps(MANAGER, registration("waitlisted"), session()) == []


# --- refusing ---------------------------------------------------------------------------------


def test_a_manager_refuses_any_request_that_awaits_a_validation() -> None:
    pending = registration("pending", ("validator",))
    assert abilities.may_refuse(MANAGER, pending, session())
    assert abilities.may_refuse(ADMIN, pending, session())
    assert not abilities.may_refuse(OTHER_MANAGER, pending, session())


def test_whoever_a_pending_step_awaits_may_refuse() -> None:
    assert abilities.may_refuse(VALIDATOR, registration("pending", ("validator",)), session())
    assert abilities.may_refuse(
        ORG_MANAGER, registration("waitlisted", ("organization",)), session()
    )
    assert not abilities.may_refuse(
        VALIDATOR, registration("pending", ("organization",)), session()
    )
    assert not abilities.may_refuse(ORG_MANAGER, registration("pending", ("validator",)), session())
    assert not abilities.may_refuse(TUTOR, registration("pending", ("registration",)), session())
    assert not abilities.may_refuse(LEARNER, registration("pending", ("registration",)), session())


def test_nothing_to_refuse_once_nothing_awaits_a_decision() -> None:
    # the API answers 409 ("cancel it instead"): the console offers no refusal
    for status in ("confirmed", "waitlisted", "offered"):
        assert not abilities.may_refuse(MANAGER, registration(status), session())
        assert not abilities.may_refuse(ADMIN, registration(status), session())
    for status in ("refused", "cancelled", "expired"):
        assert not abilities.may_refuse(ADMIN, registration(status, ("registration",)), session())


# --- cancelling -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "confirmed", "waitlisted", "offered"])
def test_a_manager_cancels_an_active_registration(status: str) -> None:
    assert abilities.may_cancel(MANAGER, registration(status), session(), now=NOW)
    assert abilities.may_cancel(ADMIN, registration(status), session(), now=NOW)
    assert not abilities.may_cancel(OTHER_MANAGER, registration(status), session(), now=NOW)
    assert not abilities.may_cancel(TUTOR, registration(status), session(), now=NOW)


@pytest.mark.parametrize("status", ["refused", "cancelled", "expired"])
def test_an_ended_registration_is_cancelled_by_nobody(status: str) -> None:
    open_session = session(public_unregistration=True)
    assert not abilities.may_cancel(ADMIN, registration(status), open_session, now=NOW)
    assert not abilities.may_cancel(LEARNER, registration(status), open_session, now=NOW)


def test_the_learner_cancels_their_own_only_where_the_session_allows_it() -> None:
    own = registration("confirmed")
    assert abilities.is_own(LEARNER, own)
    assert not abilities.is_own(STRANGER, own)
    assert not abilities.may_cancel(LEARNER, own, session(), now=NOW)
    assert abilities.may_cancel(LEARNER, own, session(public_unregistration=True), now=NOW)
    assert not abilities.may_cancel(STRANGER, own, session(public_unregistration=True), now=NOW)


def test_the_learner_cancels_only_until_unregistration_closes() -> None:
    own = registration("confirmed")
    later = (NOW + timedelta(hours=1)).isoformat()
    now = NOW.isoformat()
    earlier = (NOW - timedelta(seconds=1)).isoformat()
    assert abilities.may_cancel(
        LEARNER, own, session(public_unregistration=True, unregistration_closes_at=later), now=NOW
    )
    for closed in (now, earlier):  # closed from its closing time on
        closing = session(public_unregistration=True, unregistration_closes_at=closed)
        assert not abilities.may_cancel(LEARNER, own, closing, now=NOW)
        assert abilities.may_cancel(MANAGER, own, closing, now=NOW)  # managers are not bound
    odd = session(public_unregistration=True, unregistration_closes_at="not a time")
    assert abilities.may_cancel(LEARNER, own, odd, now=NOW)  # the API decides


def test_the_clock_is_now_by_default() -> None:
    own = registration("confirmed")
    past = session(public_unregistration=True, unregistration_closes_at="2000-01-01T00:00:00+00:00")
    future = session(public_unregistration=True, unregistration_closes_at="2999-01-01T00:00:00Z")
    assert not abilities.may_cancel(LEARNER, own, past)
    assert abilities.may_cancel(LEARNER, own, future)
