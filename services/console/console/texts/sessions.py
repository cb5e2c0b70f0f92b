TEXTS: dict[str, tuple[str, str]] = {
    # the sessions table
    "sessions.title": ("Sessions", "Sessions"),
    "sessions.new": ("Nouvelle session", "New session"),
    "sessions.filters": ("Filtrer les sessions", "Filter the sessions"),
    "sessions.search": ("Titre", "Title"),
    "sessions.training": ("Formation", "Training"),
    "sessions.any_training": ("Toutes les formations", "Every training"),
    "sessions.status": ("État", "Status"),
    "sessions.any_status": ("Tous les états", "Every status"),
    "sessions.status.scheduled": ("prévue", "scheduled"),
    "sessions.status.cancelled": ("annulée", "cancelled"),
    "sessions.starts_after": ("Commence le ou après le", "Starts on or after"),
    "sessions.starts_before": ("Commence le ou avant le", "Starts on or before"),
    "sessions.clear_filters": ("Effacer les filtres", "Clear the filters"),
    "sessions.session": ("Session", "Session"),
    "sessions.dates": ("Dates", "Dates"),
    "sessions.created_at": ("Créée le", "Created on"),
    "sessions.actions": ("Actions", "Actions"),
    "sessions.events": ("Séances ({count})", "Events ({count})"),
    "sessions.no_events": ("Aucune séance.", "No event."),
    "sessions.all_events": ("Voir les {total} séances", "See all {total} events"),
    "sessions.event_comments": ("Commentaires", "Comments"),
    "sessions.action.event": ("Créer une séance", "Create an event"),
    "sessions.action.message": ("Écrire aux apprenants", "Message the learners"),
    "sessions.action.workspace": ("Espace d’activités", "Workspace"),
    # creating a session from a training
    "sessions.back": ("Retour aux sessions", "Back to the sessions"),
    "sessions.pick.lead": (
        "Choisissez d’abord la formation de la session : cherchez-la par son titre ou son code.",
        "First choose the session's training: find it by its title or code.",
    ),
    "sessions.pick.search": ("Titre ou code de la formation", "Title or code of the training"),
    "sessions.pick.found": ("Formations trouvées", "Trainings found"),
    "sessions.pick.none": (
        "Aucune formation que vous gérez ne correspond à « {q} ».",
        "No training you manage matches “{q}”.",
    ),
    "sessions.pick.more": (
        "D’autres formations correspondent : précisez la recherche.",
        "More trainings match: narrow the search.",
    ),
    "sessions.new_of": ("Nouvelle session de « {title} »", "New session of “{title}”"),
    "sessions.new_lead": (
        "Les règles sont reprises de la formation {code} ; changez celles qui diffèrent pour "
        "cette session. Les organisations sont celles de la formation.",
        "The rules are those of the training {code}; change those that differ for this "
        "session. Its organizations are the training's.",
    ),
    "sessions.back_to_training": ("Retour à la formation « {title} »", "Back to “{title}”"),
    "sessions.create": ("Créer la session", "Create the session"),
    "sessions.rules_heading": ("Règles d’inscription", "Registration rules"),
    "sessions.no_curriculum": ("(aucun)", "(none)"),
    "sessions.legend.window": ("Période d’inscription", "Registration window"),
    "sessions.help.window": (
        "Quand les apprenants s’inscrivent et se désinscrivent eux-mêmes (vide : sans limite). "
        "Les gestionnaires n’y sont pas tenus.",
        "When learners register and unregister themselves (empty: no limit). Managers are not "
        "bound by it.",
    ),
    "sessions.help.workspace_url": (
        "L’adresse de l’espace d’activités de la session, s’il y en a un.",
        "The address of the session's workspace, if it has one.",
    ),
    "sessions.help.tutors": (
        "Les identifiants des formateurs, un par ligne ou séparés par des virgules.",
        "The tutors' user ids, one per line or separated by commas.",
    ),
    "sessions.help.default_session": (
        "La session où les apprenants sont inscrits par les cursus ; elle remplace l’actuelle "
        "session par défaut de la formation.",
        "The session learners are registered to through the curricula; it replaces the "
        "training's current default session.",
    ),
    "sessions.help.curriculum_id": (
        "Rattacher la session à un cursus.",
        "Attach the session to a curriculum.",
    ),
    # editing, cancelling, deleting
    "sessions.edit_of": ("Modifier la session « {title} »", "Edit the session “{title}”"),
    "sessions.of_training": ("Formation : {title} ({code})", "Training: {title} ({code})"),
    "sessions.back_to_session": ("Retour à la session « {title} »", "Back to “{title}”"),
    "sessions.cancel_heading": ("Annuler la session", "Cancel the session"),
    "sessions.cancel_link": ("Annuler la session « {title} »", "Cancel the session “{title}”"),
    "sessions.cancel_of": ("Annuler la session « {title} »", "Cancel the session “{title}”"),
    "sessions.cancel_lead": (
        "Toutes ses inscriptions en cours seront annulées et les apprenants prévenus.",
        "All its active registrations will be cancelled and the learners told.",
    ),
    "sessions.cancel_submit": ("Annuler la session", "Cancel the session"),
    "sessions.already_cancelled": ("Cette session est déjà annulée.", "This session is cancelled."),
    "sessions.delete_heading": ("Supprimer la session", "Delete the session"),
    "sessions.delete": ("Supprimer la session « {title} »", "Delete the session “{title}”"),
    "sessions.delete_sure": (
        "Voulez-vous vraiment supprimer la session « {title} » ({dates}) ?",
        "Do you really want to delete the session “{title}” ({dates})?",
    ),
    "sessions.delete_lead": (
        "Ses séances disparaissent, ses inscriptions en cours sont annulées et les apprenants "
        "prévenus. Cela ne peut pas être défait.",
        "Its events go, its active registrations are cancelled and the learners told. This "
        "cannot be undone.",
    ),
    "sessions.delete_submit": ("Oui, supprimer", "Yes, delete"),
    "sessions.keep": ("Non, la garder", "No, keep it"),
    "done.session_created": ("La session est créée.", "The session is created."),
    "done.session_saved": ("La session est enregistrée.", "The session is saved."),
    "done.session_cancelled": ("La session est annulée.", "The session is cancelled."),
    "done.session_deleted": ("La session est supprimée.", "The session is deleted."),
    # the rules form (templates/sessions/rules.html), a training's and a session's
    "sessions.rules.legend.registration": ("Inscriptions", "Registration"),
    "sessions.rules.legend.seats": ("Places", "Seats"),
    "sessions.rules.legend.validation": ("Validations", "Validations"),
    "sessions.rules.legend.follow_up": ("Suivi", "Follow-up"),
    "sessions.rules.help.public_registration": (
        "Les apprenants s’inscrivent eux-mêmes depuis le catalogue.",
        "Learners register themselves from the catalog.",
    ),
    "sessions.rules.help.public_unregistration": (
        "Les apprenants annulent eux-mêmes leur inscription.",
        "Learners cancel their registration themselves.",
    ),
    "sessions.rules.help.event_registration_mode": (
        "Automatique : les inscrits confirmés le sont à chaque séance. Manuelle : le "
        "gestionnaire ou le formateur les inscrit. Publique : ils s’inscrivent eux-mêmes.",
        "Automatic: confirmed learners are registered to every event. Manual: the manager or "
        "tutor registers them. Public: they register themselves.",
    ),
    "sessions.rules.mode.auto": ("automatique", "automatic"),
    "sessions.rules.mode.manual": ("manuelle", "manual"),
    "sessions.rules.mode.public": ("publique", "public"),
    "sessions.rules.help.max_users": (
        "Vide : illimité. Une fois la limite atteinte, les demandes vont en liste d’attente.",
        "Empty: unlimited. Once it is reached, requests go to the waitlist.",
    ),
    "sessions.rules.help.waitlist_offer_hours": (
        "Vide : une place libérée revient aussitôt au premier de la liste d’attente. Sinon, elle "
        "lui est proposée pendant ce nombre d’heures.",
        "Empty: a freed seat goes at once to the head of the waitlist. Otherwise it is offered "
        "to them for this many hours.",
    ),
    "sessions.rules.help.user_validation": (
        "L’apprenant confirme sa demande par le lien reçu par e-mail.",
        "The learner confirms their request through the emailed link.",
    ),
    "sessions.rules.help.organization_validation": (
        "Un responsable de l’organisation de l’apprenant valide la demande.",
        "A manager of the learner's organization validates the request.",
    ),
    "sessions.rules.help.registration_validation": (
        "Un gestionnaire des inscriptions valide la demande (ou les validateurs nommés).",
        "A registrations manager validates the request (or the validators named).",
    ),
    "sessions.rules.help.validators": (
        "Les identifiants des personnes qui valident, un par ligne ou séparés par des virgules.",
        "The user ids of the people who validate, one per line or separated by commas.",
    ),
    "sessions.rules.help.confirmation_hours": (
        "Le temps laissé à l’apprenant pour confirmer (72 h si vide).",
        "How long the learner has to confirm (72 hours when empty).",
    ),
    "sessions.rules.help.completion_rate": (
        "Vide : pas d’achèvement. Sinon, la part (1 à 100 %) des heures de séances à suivre.",
        "Empty: no completion. Otherwise the share (1 to 100 %) of event hours to attend.",
    ),
    "sessions.rules.help.reminder_hours": (
        "Combien d’heures avant chaque séance les apprenants reçoivent un rappel, séparées par "
        "des virgules (5 au plus, vide : aucun rappel).",
        "How many hours before each event learners get a reminder, separated by commas (5 at "
        "most, empty: no reminder).",
    ),
    "sessions.rules.help.questions": (
        "Ce que l’apprenant répond en s’inscrivant ({count} questions au plus). Une ligne sans "
        "identifiant ni libellé est ignorée ; videz-les pour retirer une question.",
        "What the learner answers when registering ({count} questions at most). A row without "
        "id and label is left out; empty them to remove a question.",
    ),
    "sessions.rules.question": ("Question {number}", "Question {number}"),
    "sessions.rules.help.question_id": (
        "Un identifiant court, unique, en minuscules et tirets (par exemple « regime »).",
        "A short unique id, in lowercase and hyphens (for example “diet”).",
    ),
    "sessions.rules.kind.text": ("texte libre", "free text"),
    "sessions.rules.kind.choice": ("un choix", "one choice"),
    "sessions.rules.kind.multiple": ("plusieurs choix", "several choices"),
    "sessions.rules.kind.boolean": ("oui ou non", "yes or no"),
    "sessions.rules.help.choices": (
        "Pour « un choix » et « plusieurs choix » : de 2 à 50 choix, un par ligne.",
        "For “one choice” and “several choices”: 2 to 50 choices, one per line.",
    ),
    # the fields, as the API's refusals name them
    "field.public_registration": ("Inscription publique", "Public registration"),
    "field.public_unregistration": ("Désinscription publique", "Public unregistration"),
    "field.event_registration_mode": ("Inscription aux séances", "Registration to events"),
    "field.max_users": ("Nombre maximum d’inscrits", "Maximum number of learners"),
    "field.user_validation": ("Validation par l’apprenant", "Validation by the learner"),
    "field.organization_validation": (
        "Validation par l’organisation",
        "Validation by the organization",
    ),
    "field.registration_validation": ("Validation de l’inscription", "Registration validation"),
    "field.validators": ("Validateurs", "Validators"),
    "field.confirmation_hours": ("Délai de confirmation (heures)", "Time to confirm (hours)"),
    "field.waitlist_offer_hours": (
        "Durée d’une place proposée (heures)",
        "How long a seat is offered (hours)",
    ),
    "field.completion_rate": ("Taux d’achèvement (%)", "Completion rate (%)"),
    "field.reminder_hours": ("Rappels (heures avant)", "Reminders (hours before)"),
    "field.questions": ("Questions à l’inscription", "Registration questions"),
    "field.id": ("Identifiant", "Id"),
    "field.label": ("Libellé", "Label"),
    "field.kind": ("Type de réponse", "Kind of answer"),
    "field.required": ("Réponse obligatoire", "Answer required"),
    "field.choices": ("Choix", "Choices"),
    "field.start_date": ("Date de début", "Start date"),
    "field.end_date": ("Date de fin", "End date"),
    "field.location": ("Lieu", "Location"),
    "field.workspace_url": ("Espace d’activités (adresse)", "Workspace (address)"),
    "field.tutors": ("Formateurs", "Tutors"),
    "field.default_session": ("Session par défaut", "Default session"),
    "field.curriculum_id": ("Cursus", "Curriculum"),
    "field.registration_opens_at": ("Inscriptions ouvertes à partir du", "Registration opens"),
    "field.registration_closes_at": ("Inscriptions closes le", "Registration closes"),
    "field.unregistration_closes_at": ("Désinscriptions closes le", "Unregistration closes"),
    "field.reason": ("Motif", "Reason"),
    # what awaits the viewer (/awaiting): validations, the sessions they tutor or validate
    "nav.awaiting": ("À traiter", "To act on"),
    "awaiting.title": ("Ce qui vous attend", "What awaits you"),
    "awaiting.lead": (
        "Les demandes d’inscription qui attendent une validation que vous pouvez donner, et "
        "les sessions dont vous êtes formateur ou validateur.",
        "The registration requests waiting for a validation you may give, and the sessions "
        "you tutor or validate.",
    ),
    "awaiting.home": (
        "voir ce qui vous attend : inscriptions à valider, sessions que vous animez ou validez",
        "see what awaits you: registrations to validate, sessions you tutor or validate",
    ),
    "awaiting.validations": ("Inscriptions à valider", "Registrations to validate"),
    "awaiting.learner": ("Apprenant·e", "Learner"),
    "awaiting.session": ("Session", "Session"),
    "awaiting.requested": ("Demandée le", "Requested"),
    "awaiting.actions": ("Actions", "Actions"),
    "awaiting.refuse_there": ("Refuser ou voir sur la session", "Refuse or see on the session"),
    "awaiting.more": (
        "D’autres demandes attendent : la page de chaque session les montre toutes.",
        "More requests are waiting: each session's page shows them all.",
    ),
    "awaiting.no_validations": (
        "Aucune inscription n’attend votre validation.",
        "No registration awaits your validation.",
    ),
    "awaiting.sessions": (
        "Vos sessions en cours et à venir",
        "Your sessions under way and to come",
    ),
    "awaiting.as_tutor": ("formateur", "tutor"),
    "awaiting.as_validator": ("validateur", "validator"),
    "awaiting.no_sessions": (
        "Vous n’êtes formateur ni validateur d’aucune session en cours ou à venir.",
        "You tutor or validate no session under way or to come.",
    ),
    "account.inbox.to_session": (
        "Voir la demande sur la page de la session",
        "See the request on the session's page",
    ),
    "account.inbox.to_catalog_session": ("Voir la session", "See the session"),
}
