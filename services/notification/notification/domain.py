"""What a learner is told about a registration fact, in their language; free of I/O."""

from dataclasses import dataclass
from typing import Final

from shared.events import Locale, RegistrationData

STEP_NAMES: Final[dict[Locale, dict[str, str]]] = {
    "en": {
        "user": "your confirmation by email",
        "organization": "your organization manager's validation",
        "registration": "the registration manager's validation",
        "validator": "the session validators' approval",
    },
    "fr": {
        "user": "votre confirmation par e-mail",
        "organization": "la validation de votre gestionnaire d'organisation",
        "registration": "la validation du gestionnaire des inscriptions",
        "validator": "l'approbation des validateurs de la session",
    },
}


@dataclass(frozen=True)
class Notice:
    kind: str
    subject: str
    body: str


def delivery_key(event_id: str, recipient: str, channel: str) -> str:
    """One delivery per (fact, recipient, channel), whatever the broker redelivers."""
    return f"{event_id}:{recipient}:{channel}"


def registration_notice(fact: str, registration: RegistrationData) -> Notice | None:
    """The learner's notice for a `registration.<fact>` event, or None when there is none."""
    locale = registration.user.locale
    if fact != "requested":
        return None
    if registration.status == "pending":
        steps = ", ".join(STEP_NAMES[locale][s] for s in registration.pending_validations)
        if locale == "en":
            return Notice(
                "registration.pending",
                "Your registration request was received",
                f"Your registration is pending. It awaits {steps}.",
            )
        return Notice(
            "registration.pending",
            "Votre demande d'inscription a été reçue",
            f"Votre inscription est en attente. Elle attend {steps}.",
        )
    if locale == "en":
        return Notice(
            "registration.requested",
            "Your registration request was received",
            "We received your registration request; you will be told when it is decided.",
        )
    return Notice(
        "registration.requested",
        "Votre demande d'inscription a été reçue",
        "Nous avons reçu votre demande d'inscription ; vous serez informé de la décision.",
    )
