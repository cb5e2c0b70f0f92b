"""What a registration fact tells its learner (and the session's validators); no I/O.

The `*Words` are what each kind's templates read (`templates/<locale>/<kind>.txt`)."""

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final, Literal, TypedDict
from urllib.parse import urlencode

from notification.domain import (
    ACTIVE,
    INTERNAL_ONLY,
    MOVED,
    OFFER_DECLINED,
    OFFER_EXPIRED,
    SESSION_CANCELLED,
    Notice,
    Recipient,
    SessionView,
    channels_for,
    is_stale,
    session_calendar,
)
from shared.events import (
    CertificateAvailable,
    Completion,
    Locale,
    Registration,
    RegistrationData,
    SendConfirmation,
    ValidationStep,
)

OfferAnswer = Literal["accept", "decline"]

STEP_NAMES: Final[dict[Locale, dict[ValidationStep, str]]] = {
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


class LearnerWords(TypedDict):
    name: str
    session: SessionView | None
    status: str
    steps: list[str]
    position: int | None
    reason: str | None
    previous_status: str | None


class OfferWords(TypedDict):
    name: str
    session: SessionView | None
    offer_expires_at: datetime | None
    accept_url: str
    decline_url: str


class ValidatorWords(TypedDict):
    name: str
    learner: str
    learner_email: str | None
    session: SessionView | None
    registration_id: str


class ConfirmationWords(TypedDict):
    name: str
    session: SessionView | None
    status: str
    position: int | None
    steps: list[str]
    confirm_url: str
    expires_at: datetime


class CertificateWords(TypedDict):
    name: str
    session: SessionView | None
    completion: Completion | None
    certificate_url: str
    verification_url: str


def _link(public_url: str, page: str, query: Mapping[str, str]) -> str:
    return f"{public_url.rstrip('/')}/{page}?{urlencode(query)}"


def confirmation_url(public_url: str, registration_id: uuid.UUID, token: str) -> str:
    return _link(public_url, "confirm", {"registration": str(registration_id), "token": token})


def offer_url(public_url: str, registration_id: uuid.UUID, answer: OfferAnswer) -> str:
    """Where the learner accepts or declines a seat offered from the waitlist."""
    return _link(public_url, "offer", {"registration": str(registration_id), "answer": answer})


def verification_url(public_url: str, certificate_id: uuid.UUID) -> str:
    """Where a third party checks a certificate the learner shows them."""
    return f"{public_url.rstrip('/')}/api/certificates/{certificate_id}"


_TOKEN_IN_LINK = re.compile(r"([?&]token=)[A-Za-z0-9_-]+")


def redact_tokens(text: str) -> str:
    """An email as the delivery log shows it: a confirmation token is the learner's alone."""
    return _TOKEN_IN_LINK.sub(r"\1[redacted]", text)


def step_names(locale: Locale, steps: Iterable[ValidationStep]) -> list[str]:
    return [STEP_NAMES[locale][step] for step in steps]


def awaits_validators(status: str, pending: Sequence[ValidationStep]) -> bool:
    """Validators may act once the learner has confirmed: registration refuses their step while
    `user` pends (docs/reference/http.md)."""
    return status in ACTIVE and "validator" in pending and "user" not in pending


def _learner(registration: Registration) -> Recipient:
    user = registration.user
    return Recipient(user.id, user.email or None, user.name, user.locale)


def _registration_ref(registration: Registration) -> dict[str, str]:
    return {"registration_id": str(registration.id), "session_id": str(registration.session_id)}


def _learner_kind(fact: str, registration: RegistrationData) -> str | None:
    match fact:
        case "requested":
            # confirmed/waitlisted at creation are told by their own events; a request that
            # awaits the learner is told by the send_confirmation command (it holds the link)
            if registration.status == "pending" and "user" not in registration.pending_validations:
                return "registration.pending"
            return None
        case "confirmed" | "waitlisted" | "offered" | "promoted" | "refused":
            return f"registration.{fact}"
        case "expired":
            if registration.reason == OFFER_EXPIRED:
                return "registration.offer_expired"
            return "registration.expired"
        case "cancelled":
            if registration.reason == SESSION_CANCELLED:
                return "session.cancelled"
            if registration.reason == MOVED:
                return "registration.moved"
            if registration.reason == OFFER_DECLINED:
                return "registration.offer_declined"
            return "registration.cancelled"
        case _:
            return None


def registration_notices(
    fact: str,
    event_id: str,
    registration: RegistrationData,
    session: SessionView | None,
    *,
    public_url: str,
    known_version: int | None = None,
    contacts: Mapping[str, Recipient] | None = None,
) -> list[Notice]:
    """The learner's notice for `registration.<fact>`, and the validators' when it awaits them.
    `public_url` is the base of the links an offered seat's notice carries.

    A stale event (older than the registration we hold) tells no one: the learner has already
    been told what happened after it.
    """
    if is_stale(registration.version, known_version):
        return []
    learner = _learner(registration)
    ref = _registration_ref(registration)
    notices: list[Notice] = []
    kind = _learner_kind(fact, registration)
    if kind is not None:
        fact_key = event_id
        if kind == "session.cancelled":
            # the same fact as catalog.session.cancelled: whichever comes first tells it
            fact_key = f"session:{registration.session_id}:cancelled"
        words = _learner_words(kind, registration, learner, session, public_url)
        calendar = None
        if kind == "registration.confirmed" and session is not None:
            calendar = session_calendar(session, registration.id, learner)
        notices.append(Notice(kind, fact_key, learner, channels_for(learner), words, ref, calendar))
    if session is not None and awaits_validators(
        registration.status, registration.pending_validations
    ):
        notices += _validators_notices(registration, learner, session, contacts or {})
    return notices


def _learner_words(
    kind: str,
    registration: RegistrationData,
    learner: Recipient,
    session: SessionView | None,
    public_url: str,
) -> LearnerWords | OfferWords:
    if kind == "registration.offered":
        return OfferWords(
            name=learner.name,
            session=session,
            offer_expires_at=registration.offer_expires_at,
            accept_url=offer_url(public_url, registration.id, "accept"),
            decline_url=offer_url(public_url, registration.id, "decline"),
        )
    return LearnerWords(
        name=learner.name,
        session=session,
        status=registration.status,
        steps=step_names(learner.locale, registration.pending_validations),
        position=registration.waitlist_position,
        reason=registration.reason,
        previous_status=registration.previous_status,
    )


def _validators_notices(
    registration: RegistrationData,
    learner: Recipient,
    session: SessionView,
    contacts: Mapping[str, Recipient],
) -> list[Notice]:
    """Once per registration, whichever event first shows it awaiting them."""
    notices = []
    for validator in session.validators:
        recipient = contacts.get(validator, Recipient(validator, None, ""))
        words = ValidatorWords(
            name=recipient.name,
            learner=learner.name or learner.user_id,
            learner_email=learner.email,
            session=session,
            registration_id=str(registration.id),
        )
        notices.append(
            Notice(
                "registration.awaits_validation",
                f"registration:{registration.id}:awaits-validator",
                recipient,
                INTERNAL_ONLY,
                words,
                _registration_ref(registration),
            )
        )
    return notices


def confirmation_notice(
    event_id: str, command: SendConfirmation, session: SessionView | None, public_url: str
) -> Notice:
    """The request to confirm: the only notice that carries the confirmation link."""
    registration = command.registration
    learner = _learner(registration)
    others = [step for step in registration.pending_validations if step != "user"]
    words = ConfirmationWords(
        name=learner.name,
        session=session,
        status=registration.status,
        position=registration.waitlist_position,
        steps=step_names(learner.locale, others),
        confirm_url=confirmation_url(public_url, registration.id, command.token),
        expires_at=command.expires_at,
    )
    return Notice(
        "registration.confirmation_requested",
        event_id,
        learner,
        channels_for(learner),
        words,
        _registration_ref(registration),
    )


def certificate_notice(
    command: CertificateAvailable, session: SessionView | None, public_url: str
) -> Notice:
    """The learner's certificate is available: once per registration, however often registration
    says so (a redelivery, or the command sent again with a new event id)."""
    registration = command.registration
    learner = _learner(registration)
    words = CertificateWords(
        name=learner.name,
        session=session,
        completion=registration.completion,
        certificate_url=command.certificate_url,
        verification_url=verification_url(public_url, command.certificate_id),
    )
    return Notice(
        "registration.certificate_available",
        f"registration:{registration.id}:certificate",
        learner,
        channels_for(learner),
        words,
        {**_registration_ref(registration), "certificate_id": str(command.certificate_id)},
    )
