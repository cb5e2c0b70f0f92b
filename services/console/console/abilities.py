"""What the viewer may do, as the contract's authorization rules say, to hide what the API would
refuse. Display only: the API decides, and a refusal it answers is shown in words all the same.

Every function takes the resource as the API answered it (its `organizations`, `tutors`,
`validators`, `user`, `pending_validations`).
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from console.viewer import Viewer

Resource = Mapping[str, Any]


def _ids(values: object) -> frozenset[str]:
    if not isinstance(values, Iterable) or isinstance(values, str):
        return frozenset()
    return frozenset(str(value) for value in values)


def may_create_training(viewer: Viewer) -> bool:
    """A training belongs to organizations its creator manages: a training manager of none may
    create none."""
    return viewer.is_admin or (viewer.is_training_manager and bool(viewer.organizations))


def manages(viewer: Viewer, resource: Resource) -> bool:
    """Manager of a training, or of a session or event of it (by its `organizations`)."""
    if viewer.is_admin:
        return True
    organizations = _ids(resource.get("organizations"))
    return viewer.is_training_manager and bool(viewer.organizations & organizations)


def tutors(viewer: Viewer, session: Resource) -> bool:
    return viewer.id in _ids(session.get("tutors"))


def may_run_session(viewer: Viewer, session: Resource) -> bool:
    """Events, comments, registering learners, messages, attendance: manager or tutor."""
    return manages(viewer, session) or tutors(viewer, session)


def validator_of(viewer: Viewer, session: Resource) -> bool:
    return viewer.id in _ids(session.get("validators"))


def organization_manager_of(viewer: Viewer, registration: Resource) -> bool:
    user = registration.get("user")
    learner_organizations = _ids(user.get("organizations")) if isinstance(user, Mapping) else ()
    return bool(viewer.managed_organizations & frozenset(learner_organizations))


def validation_steps(viewer: Viewer, registration: Resource, session: Resource) -> list[str]:
    """The steps of `pending_validations` the viewer may give now (`all` for an admin)."""
    if registration.get("status") not in ("pending", "waitlisted", "offered"):
        return []
    pending = [str(step) for step in registration.get("pending_validations") or []]
    if not pending:
        return []
    if viewer.is_admin:
        return ["all"]
    if "user" in pending:  # the learner confirms first
        return []
    entitled = {
        "organization": organization_manager_of(viewer, registration),
        "registration": manages(viewer, session),
        "validator": validator_of(viewer, session),
    }
    return [step for step in pending if entitled.get(step)]


def may_refuse(viewer: Viewer, registration: Resource, session: Resource) -> bool:
    if registration.get("status") not in ("pending", "waitlisted", "offered"):
        return False
    pending = set(registration.get("pending_validations") or [])
    if not pending:  # nothing awaits a decision: the API answers 409 (cancel it instead)
        return False
    entitled = ("organization" in pending and organization_manager_of(viewer, registration)) or (
        "validator" in pending and validator_of(viewer, session)
    )
    return manages(viewer, session) or bool(entitled)


def is_own(viewer: Viewer, registration: Resource) -> bool:
    user = registration.get("user")
    return isinstance(user, Mapping) and user.get("id") == viewer.id


def may_cancel(
    viewer: Viewer, registration: Resource, session: Resource, *, now: datetime | None = None
) -> bool:
    """A manager always; the learner where the session allows it, until its
    `unregistration_closes_at` (managers are not bound by it)."""
    if registration.get("status") not in ("pending", "confirmed", "waitlisted", "offered"):
        return False
    if manages(viewer, session):
        return True
    if not (is_own(viewer, registration) and session.get("public_unregistration")):
        return False
    closes = _moment(session.get("unregistration_closes_at"))
    return closes is None or (now or datetime.now(UTC)) < closes


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def may_see_deliveries(viewer: Viewer) -> bool:
    return viewer.is_admin


def may_create_root_curriculum(viewer: Viewer) -> bool:
    return viewer.is_admin
