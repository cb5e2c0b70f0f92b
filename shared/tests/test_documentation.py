import pytest

from shared.events import (
    EVENT_REGISTRATION_EVENTS,
    REGISTER,
    REGISTRATION_EVENTS,
    SEND_CONFIRMATION,
    SESSION_EVENTS,
)
from shared.messaging import COMMANDS_EXCHANGE, service_queue
from shared.messaging.documentation import received_types

pytestmark = pytest.mark.unit


def test_a_topic_binding_receives_the_events_it_matches_and_no_command() -> None:
    queue = service_queue("notification", "registrations", binding_keys=["registration.#"])

    # `registration.register` matches the pattern, but commands never travel on training.events
    assert received_types(queue) == list(REGISTRATION_EVENTS)


def test_star_is_one_word_and_hash_zero_or_more() -> None:
    one_word = service_queue("audit", "sessions", binding_keys=["catalog.*.cancelled"])
    any_words = service_queue("audit", "everything", binding_keys=["#.waitlisted"])

    assert received_types(one_word) == ["catalog.session.cancelled"]
    assert received_types(any_words) == ["registration.waitlisted", "event_registration.waitlisted"]


def test_several_binding_keys_add_up() -> None:
    queue = service_queue(
        "audit", "mixed", binding_keys=["catalog.session.#", "event_registration.#"]
    )

    assert received_types(queue) == [*SESSION_EVENTS, *EVENT_REGISTRATION_EVENTS]


def test_a_direct_binding_receives_exactly_its_command() -> None:
    queue = service_queue(
        "registration", "commands", binding_keys=[REGISTER], exchange=COMMANDS_EXCHANGE
    )

    assert received_types(queue) == [REGISTER]
    assert SEND_CONFIRMATION not in received_types(queue)
