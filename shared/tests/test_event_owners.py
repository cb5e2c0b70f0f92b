"""Who owns each event type (docs/reference/events.md), and the consumer's check of an
envelope's `source`."""

import pytest

from shared.events import (
    CURRICULUM_EVENTS,
    DATA_MODELS,
    EVENT_EVENTS,
    EVENT_REGISTRATION_EVENTS,
    REGISTER,
    REGISTRATION_EVENTS,
    SEND_CONFIRMATION,
    SESSION_EVENTS,
    TRAINING_EVENTS,
    new_event,
    owner_of,
)
from shared.messaging.consumer import ForgedSource, Rejected, check_source

pytestmark = pytest.mark.unit

CATALOG_TYPES = TRAINING_EVENTS + SESSION_EVENTS + EVENT_EVENTS + CURRICULUM_EVENTS
REGISTRATION_TYPES = (
    *REGISTRATION_EVENTS,
    "registration.offered",
    "registration.completed",
    *EVENT_REGISTRATION_EVENTS,
    "attendance.recorded",
    "attendance.validated",
    SEND_CONFIRMATION,
)


@pytest.mark.parametrize("type_", CATALOG_TYPES)
def test_the_catalog_owns_its_types(type_: str) -> None:
    assert owner_of(type_) == "training/catalog"


@pytest.mark.parametrize("type_", REGISTRATION_TYPES)
def test_registration_owns_its_facts_and_the_confirmation_command(type_: str) -> None:
    assert owner_of(type_) == "training/registration"


def test_every_type_has_an_owner_but_the_platforms_command() -> None:
    assert {t for t in DATA_MODELS if owner_of(t) is None} == {REGISTER}


def test_a_new_type_of_a_family_is_still_its_owners() -> None:
    assert owner_of("catalog.session.renamed") == "training/catalog"
    assert owner_of("attendance.reopened") == "training/registration"


@pytest.mark.parametrize(
    "type_", [REGISTER, "notification.other", "test.x", "catalogue.session.updated", "catalog"]
)
def test_nobody_owns_a_type_outside_the_families(type_: str) -> None:
    assert owner_of(type_) is None


@pytest.mark.parametrize(
    ("service", "type_"),
    [
        ("catalog", "catalog.session.updated"),
        ("registration", "registration.confirmed"),
        ("registration", SEND_CONFIRMATION),
        ("platform", REGISTER),
        ("evil", "test.x"),
    ],
)
def test_an_event_from_its_owner_passes(service: str, type_: str) -> None:
    check_source(new_event(service, type_, {}).to_message())


@pytest.mark.parametrize(
    ("source", "type_"),
    [
        ("training/registration", "catalog.session.updated"),
        ("evil", "catalog.session.updated"),
        ("training/catalog", "registration.confirmed"),
        ("training/notification", SEND_CONFIRMATION),
        (None, "event_registration.registered"),
        (["training/catalog"], "catalog.event.created"),
    ],
)
def test_an_event_from_another_source_is_rejected_with_the_reason(
    source: object, type_: str
) -> None:
    envelope = new_event("catalog", type_, {}).to_message() | {"source": source}
    with pytest.raises(ForgedSource) as raised:
        check_source(envelope)
    assert isinstance(raised.value, Rejected)
    assert f"does not own {type_}: {owner_of(type_)} does" in str(raised.value)


def test_a_sources_words_are_clipped_in_the_reason() -> None:
    envelope = new_event("x" * 5000, "catalog.session.updated", {}).to_message()
    with pytest.raises(ForgedSource) as raised:
        check_source(envelope)
    assert len(str(raised.value)) < 300


def test_an_envelope_without_a_type_is_left_to_the_handler() -> None:
    check_source({"source": "evil"})
    check_source({"source": "evil", "type": 3})
