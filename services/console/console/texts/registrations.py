"""A session's page (`session_page.*`) and its registrations (`registrations.*`)."""

TEXTS: dict[str, tuple[str, str]] = {
    # --- the session's page ---
    "session_page.back": ("Toutes les sessions", "All sessions"),
    "session_page.training": ("Formation", "Training"),
    "session_page.dates": ("Dates", "Dates"),
    "session_page.location": ("Lieu", "Location"),
    "session_page.no_location": ("non précisé", "not given"),
    "session_page.status": ("État", "Status"),
    "session_page.status.scheduled": ("programmée", "scheduled"),
    "session_page.status.cancelled": ("annulée", "cancelled"),
    "session_page.tutors": ("Formateurs", "Tutors"),
    "session_page.default_session": ("Session par défaut", "Default session"),
    "session_page.edit": ("Modifier la session", "Edit the session"),
    "session_page.message": (
        "Envoyer un message aux apprenants",
        "Send a message to the learners",
    ),
    "session_page.new_event": ("Créer une séance", "Create an event"),
    "session_page.workspace": ("Espace d’activités", "Workspace"),
    "session_page.cancel_session": ("Annuler la session", "Cancel the session"),
    "session_page.delete_session": ("Supprimer la session", "Delete the session"),
    "session_page.rules": ("Règles d’inscription", "Registration rules"),
    "session_page.rule.public": (
        "Les apprenants peuvent s’inscrire eux-mêmes.",
        "Learners may register themselves.",
    ),
    "session_page.rule.not_public": (
        "Seuls les gestionnaires et formateurs inscrivent les apprenants.",
        "Only managers and tutors register learners.",
    ),
    "session_page.rule.self_cancel": (
        "Les apprenants peuvent annuler leur inscription eux-mêmes.",
        "Learners may cancel their registration themselves.",
    ),
    "session_page.rule.no_self_cancel": (
        "Les apprenants ne peuvent pas annuler leur inscription eux-mêmes.",
        "Learners may not cancel their registration themselves.",
    ),
    "session_page.rule.validations": (
        "Une demande d’inscription attend : {steps}.",
        "A registration request awaits: {steps}.",
    ),
    "session_page.rule.no_validation": (
        "Une demande d’inscription n’attend aucune validation.",
        "A registration request awaits no validation.",
    ),
    "session_page.rule.confirmation": (
        "L’apprenant a {hours} pour confirmer sa demande.",
        "The learner has {hours} to confirm their request.",
    ),
    "session_page.rule.validators": ("Validateurs : {validators}.", "Validators: {validators}."),
    "session_page.rule.unlimited": ("Le nombre de places est illimité.", "Seats are unlimited."),
    "session_page.rule.max_users": (
        "{count} places ; au-delà, les demandes vont en liste d’attente.",
        "{count} seats; beyond them, requests join the waitlist.",
    ),
    "session_page.rule.line_at_once": (
        "Une place libérée va aussitôt au premier de la liste d’attente.",
        "A freed seat goes at once to the first in line.",
    ),
    "session_page.rule.line_offer": (
        "Une place libérée est proposée au premier de la liste d’attente, qui a {hours} pour "
        "l’accepter.",
        "A freed seat is offered to the first in line, who has {hours} to accept it.",
    ),
    "session_page.rule.events.auto": (
        "Les inscrits confirmés sont inscrits automatiquement aux séances.",
        "Confirmed learners are registered to the events automatically.",
    ),
    "session_page.rule.events.manual": (
        "Le gestionnaire ou le formateur inscrit les apprenants aux séances.",
        "The manager or tutor registers learners to the events.",
    ),
    "session_page.rule.events.public": (
        "Les apprenants s’inscrivent eux-mêmes aux séances.",
        "Learners register themselves to the events.",
    ),
    "session_page.rule.window": (
        "Les apprenants s’inscrivent eux-mêmes du {opens} au {closes}.",
        "Learners register themselves from {opens} to {closes}.",
    ),
    "session_page.rule.opens": (
        "Les inscriptions des apprenants ouvrent le {opens}.",
        "Learners' registration opens on {opens}.",
    ),
    "session_page.rule.closes": (
        "Les inscriptions des apprenants ferment le {closes}.",
        "Learners' registration closes on {closes}.",
    ),
    "session_page.rule.unregistration_closes": (
        "Les désinscriptions des apprenants ferment le {closes}.",
        "Learners' unregistration closes on {closes}.",
    ),
    "session_page.rule.completion": (
        "La session est réussie avec {rate} % des heures de séance suivies.",
        "The session is completed with {rate}% of its event hours attended.",
    ),
    "session_page.seats": ("Places", "Seats"),
    "session_page.seats.max": ("Places au total", "Seats in all"),
    "session_page.seats.taken": ("Places prises", "Seats taken"),
    "session_page.seats.waitlisted": ("En liste d’attente", "On the waitlist"),
    "session_page.seats.free": ("Places libres", "Seats free"),
    "session_page.seats.open": (
        "Inscriptions ouvertes aux apprenants",
        "Open to learners' registration",
    ),
    "session_page.seats.unknown": (
        "Les places ne sont pas encore connues (la session vient d’être créée).",
        "The seats are not known yet (the session was just created).",
    ),
    "session_page.line": ("Liste d’attente", "Waitlist"),
    "session_page.line.empty": ("Personne n’attend.", "Nobody is waiting."),
    "session_page.offered": (
        "Places proposées, en attente de réponse :",
        "Seats offered, awaiting an answer:",
    ),
    "session_page.offered.item": ("{name}, jusqu’au {until}", "{name}, until {until}"),
    # --- registrations ---
    "registrations.heading": ("Inscriptions", "Registrations"),
    "registrations.filters": ("Filtrer les inscriptions", "Filter the registrations"),
    "registrations.filter_status": ("État", "Status"),
    "registrations.any_status": ("tous", "any"),
    "registrations.status.pending": ("en attente de validation", "awaiting validation"),
    "registrations.status.confirmed": ("confirmée", "confirmed"),
    "registrations.status.waitlisted": ("en liste d’attente", "waitlisted"),
    "registrations.status.offered": ("place proposée", "seat offered"),
    "registrations.status.refused": ("refusée", "refused"),
    "registrations.status.cancelled": ("annulée", "cancelled"),
    "registrations.status.expired": ("expirée", "expired"),
    "registrations.forced": ("place forcée", "forced seat"),
    "registrations.export": (
        "Exporter les inscriptions (CSV)",
        "Export the registrations (CSV)",
    ),
    "registrations.empty": ("Aucune inscription.", "No registrations."),
    "registrations.col.learner": ("Apprenant", "Learner"),
    "registrations.col.status": ("État", "Status"),
    "registrations.col.position": ("Rang", "Position"),
    "registrations.col.awaits": ("En attente de", "Awaits"),
    "registrations.col.created_at": ("Demandée le", "Requested on"),
    "registrations.col.actions": ("Actions", "Actions"),
    "registrations.step.user": ("la confirmation de l’apprenant", "the learner's confirmation"),
    "registrations.step.organization": (
        "la validation par l’organisation",
        "the organization's validation",
    ),
    "registrations.step.registration": (
        "la validation par un gestionnaire",
        "a manager's validation",
    ),
    "registrations.step.validator": (
        "la validation par un validateur désigné",
        "a named validator's validation",
    ),
    "registrations.awaits.user": ("la confirmation de l’apprenant", "the learner's confirmation"),
    "registrations.awaits.organization": (
        "la validation de l’organisation",
        "the organization's validation",
    ),
    "registrations.awaits.registration": (
        "la validation d’un gestionnaire",
        "a manager's validation",
    ),
    "registrations.awaits.validator": (
        "la validation d’un validateur",
        "a validator's validation",
    ),
    "registrations.awaits.seat": (
        "une place (rang {position})",
        "a seat (position {position})",
    ),
    "registrations.awaits.offer": (
        "la réponse de l’apprenant à la place proposée, jusqu’au {until}",
        "the learner's answer to the seat offered, until {until}",
    ),
    "registrations.validate.organization": (
        "Valider pour l’organisation",
        "Validate for the organization",
    ),
    "registrations.validate.registration": (
        "Valider l’inscription",
        "Validate the registration",
    ),
    "registrations.validate.validator": (
        "Valider en tant que validateur",
        "Validate as validator",
    ),
    "registrations.validate.all": (
        "Valider toutes les étapes",
        "Validate every step",
    ),
    "registrations.refuse": ("Refuser…", "Refuse…"),
    "registrations.refuse_submit": ("Refuser l’inscription", "Refuse the registration"),
    "registrations.reason": ("Motif (facultatif)", "Reason (optional)"),
    "registrations.cancel": ("Annuler…", "Cancel…"),
    "registrations.cancel_submit": ("Annuler l’inscription", "Cancel the registration"),
    "registrations.move": ("Déplacer…", "Move…"),
    "registrations.move_to": ("Vers la session", "To the session"),
    "registrations.move_submit": ("Déplacer l’inscription", "Move the registration"),
    "registrations.add": ("Inscrire un apprenant", "Register a learner"),
    "registrations.user_id": ("Identifiant de l’apprenant", "Learner's id"),
    "registrations.email": ("Adresse e-mail", "Email address"),
    "registrations.name": ("Nom", "Name"),
    "registrations.locale": ("Langue", "Language"),
    "registrations.locale.fr": ("français", "French"),
    "registrations.locale.en": ("anglais", "English"),
    "registrations.organizations": ("Organisations", "Organizations"),
    "registrations.organizations_help": (
        "Leurs identifiants, séparés par des virgules (pour la validation par l’organisation).",
        "Their ids, separated by commas (for the organization's validation).",
    ),
    "registrations.force": (
        "Forcer une place au-delà du maximum",
        "Force a seat beyond the maximum",
    ),
    "registrations.force_help": (
        "L’apprenant prend une place même si la session est complète.",
        "The learner takes a seat even when the session is full.",
    ),
    "registrations.add_submit": ("Inscrire", "Register"),
    "registrations.bulk": ("Inscrire plusieurs apprenants", "Register several learners"),
    "registrations.bulk.lines": ("Apprenants, un par ligne", "Learners, one a line"),
    "registrations.bulk.help": (
        "Chaque ligne : identifiant,e-mail,nom[,langue] — par exemple « lea,lea@example.org,"
        "Léa Martin,fr ». La langue (fr ou en) est facultative.",
        "Each line: id,email,name[,language] — for instance “lea,lea@example.org,Léa Martin,fr”. "
        "The language (fr or en) is optional.",
    ),
    "registrations.bulk.organizations_help": (
        "Les organisations de tous ces apprenants, séparées par des virgules (facultatif).",
        "The organizations of all these learners, separated by commas (optional).",
    ),
    "registrations.bulk.submit": ("Inscrire ces apprenants", "Register these learners"),
    "registrations.bulk.results": ("Résultat, ligne par ligne", "Outcome, line by line"),
    "registrations.bulk.too_many": (
        "{most} apprenants au plus à la fois",
        "at most {most} learners at a time",
    ),
    "registrations.bulk.nothing": ("Aucune ligne à lire.", "No line to read."),
    "registrations.bulk.line": ("Ligne", "Line"),
    "registrations.bulk.text": ("Texte", "Text"),
    "registrations.bulk.outcome": ("Résultat", "Outcome"),
    "registrations.bulk.ok": ("Inscrit : {status}.", "Registered: {status}."),
    "registrations.bulk.refused": ("Refusé :", "Refused:"),
    "registrations.bulk.unread": ("Non envoyée :", "Not sent:"),
    "registrations.bulk.not_sent": ("Non envoyée.", "Not sent."),
    "registrations.bulk.on_line": ("ligne {line} : {message}", "line {line}: {message}"),
    "registrations.bulk.error.fields": (
        "il faut 3 ou 4 valeurs séparées par des virgules (identifiant,e-mail,nom[,langue]).",
        "3 or 4 values separated by commas are needed (id,email,name[,language]).",
    ),
    "registrations.bulk.error.id": ("l’identifiant manque.", "the id is missing."),
    "registrations.bulk.error.email": (
        "l’adresse e-mail n’en est pas une.",
        "the email address is not one.",
    ),
    "registrations.bulk.error.name": ("le nom manque.", "the name is missing."),
    "registrations.bulk.error.locale": (
        "la langue doit être fr ou en.",
        "the language must be fr or en.",
    ),
    "registrations.answers": ("Réponses à l’inscription", "Sign-up answers"),
    "registrations.answers.answered": ("{count} réponse(s).", "{count} answer(s)."),
    "registrations.answers.choice": ("Choix", "Choice"),
    "registrations.answers.count": ("Nombre", "Count"),
    # --- notices after an action ---
    "done.registration_validated": ("L’inscription est validée.", "The registration is validated."),
    "done.registration_refused": ("L’inscription est refusée.", "The registration is refused."),
    "done.registration_cancelled": (
        "L’inscription est annulée.",
        "The registration is cancelled.",
    ),
    "done.registration_moved": (
        "L’inscription est déplacée vers l’autre session.",
        "The registration is moved to the other session.",
    ),
    "done.learner_added": ("L’apprenant est inscrit.", "The learner is registered."),
    # --- the API's fields, named in its 422s ---
    "field.email": ("Adresse e-mail", "Email address"),
    "field.name": ("Nom", "Name"),
    "field.locale": ("Langue", "Language"),
    "field.users": ("Apprenants", "Learners"),
    "field.step": ("Étape de validation", "Validation step"),
    "field.session_id": ("Session", "Session"),
}
