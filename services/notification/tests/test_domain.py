import uuid
from datetime import UTC, datetime

import pytest
from notification.domain import delivery_key, registration_notice

from shared.events import RegistrationData, RegistrationUser

pytestmark = pytest.mark.unit


def _registration(locale: str, status: str, pending: list[str]) -> RegistrationData:
    now = datetime.now(UTC)
    return RegistrationData.model_validate(
        {
            "id": uuid.uuid4(),
            "session_id": uuid.uuid4(),
            "training_id": uuid.uuid4(),
            "user": RegistrationUser(id="u1", email="u1@example.org", name="U", locale=locale),
            "status": status,
            "pending_validations": pending,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
    )


def test_a_pending_request_says_what_it_awaits_in_the_learners_language() -> None:
    notice = registration_notice(
        "requested", _registration("en", "pending", ["user", "organization"])
    )
    assert notice is not None
    assert "your confirmation by email" in notice.body
    assert "organization manager" in notice.body
    french = registration_notice("requested", _registration("fr", "pending", ["registration"]))
    assert french is not None
    assert "gestionnaire des inscriptions" in french.body


def test_delivery_keys_differ_by_fact_recipient_and_channel() -> None:
    keys = {
        delivery_key("e1", "u1", "internal"),
        delivery_key("e1", "u1", "email"),
        delivery_key("e2", "u1", "internal"),
        delivery_key("e1", "u2", "internal"),
    }
    assert len(keys) == 4
