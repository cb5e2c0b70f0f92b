"""The documents' words in French and English; days, hours and durations are shared.locales'."""

from dataclasses import dataclass
from typing import Final

from registration.documents.content import PresenceStatus
from shared.events import Locale


@dataclass(frozen=True)
class Words:
    sheet: str
    certificate: str
    training: str
    session: str
    event: str
    when: str
    place: str
    dates: str
    nowhere: str
    number: str
    learner: str
    signature: str
    status: str
    signed_at: str
    registered: str
    trainer_signature: str
    attests: str
    took_part: str
    attended_events: str
    duration: str
    total: str
    issued_on: str
    certificate_id: str
    verify_at: str
    statuses: dict[PresenceStatus, str]


WORDS: Final[dict[Locale, Words]] = {
    "fr": Words(
        sheet="Feuille d'émargement",
        certificate="Attestation de présence",
        training="Formation",
        session="Session",
        event="Séance",
        when="Date et horaires",
        place="Lieu",
        dates="Dates",
        nowhere="non précisé",
        number="N°",
        learner="Participant ou participante",
        signature="Signature",
        status="Statut",
        signed_at="Signé à",
        registered="Inscrits :",
        trainer_signature="Nom et signature du formateur ou de la formatrice",
        attests="Nous attestons que",
        took_part="a suivi la formation",
        attended_events="Séances suivies",
        duration="Durée",
        total="Durée totale de présence",
        issued_on="Fait le",
        certificate_id="Identifiant de l'attestation",
        verify_at="Vérification",
        statuses={
            "unknown": "Non renseigné",
            "present": "Présence",
            "absent_justified": "Absence justifiée",
            "absent_unjustified": "Absence non justifiée",
        },
    ),
    "en": Words(
        sheet="Attendance sheet",
        certificate="Certificate of attendance",
        training="Training",
        session="Session",
        event="Event",
        when="Date and times",
        place="Place",
        dates="Dates",
        nowhere="not given",
        number="No.",
        learner="Learner",
        signature="Signature",
        status="Status",
        signed_at="Signed at",
        registered="Registered:",
        trainer_signature="Trainer's name and signature",
        attests="This is to certify that",
        took_part="attended the training",
        attended_events="Events attended",
        duration="Duration",
        total="Total hours attended",
        issued_on="Issued on",
        certificate_id="Certificate ID",
        verify_at="Verify at",
        statuses={
            "unknown": "Not recorded",
            "present": "Present",
            "absent_justified": "Absent (justified)",
            "absent_unjustified": "Absent (unjustified)",
        },
    ),
}
