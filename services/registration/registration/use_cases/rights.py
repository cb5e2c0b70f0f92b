"""Who the caller is to a registration, as the domain weighs it (`Rights`, `EventRights`)."""

from registration.domain import Rights
from registration.event_domain import EventRights
from registration.records import EventRow, SessionRow
from shared.auth import Principal
from shared.events import RegistrationUser, SessionRules


def session_rights(actor: Principal, session: SessionRow, learner: RegistrationUser) -> Rights:
    rules = SessionRules.model_validate(session["rules"])
    return Rights(
        learner=actor.sub == learner.id,
        manager=actor.manages_training_of(session["organizations"]),
        organization_manager=not set(actor.managed_organizations).isdisjoint(learner.organizations),
        validator=actor.sub in rules.validators,
        tutor=actor.sub in session["tutors"],
        admin=actor.is_platform_admin,
    )


def event_rights(actor: Principal, event: EventRow, learner: str) -> EventRights:
    return EventRights(
        learner=actor.sub == learner,
        manager=actor.manages_training_of(event["organizations"]),
        tutor=actor.sub in event["tutors"],
        admin=actor.is_platform_admin,
    )


def as_learner(actor: Principal) -> RegistrationUser:
    """The caller, registering themself."""
    return RegistrationUser(
        id=actor.sub,
        email=actor.email,
        name=actor.name,
        locale=actor.locale,
        organizations=list(actor.organizations),
    )
