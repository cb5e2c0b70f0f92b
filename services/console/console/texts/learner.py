TEXTS: dict[str, tuple[str, str]] = {
    # the catalog
    "learner.catalog.title": ("Catalogue des sessions", "Session catalog"),
    "learner.catalog.lead": (
        "Les sessions en cours et à venir, les plus proches d’abord. Celles qui sont ouvertes "
        "vous permettent de vous inscrire vous-même.",
        "The sessions under way and to come, soonest first. Those that are open let you "
        "register yourself.",
    ),
    "learner.catalog.lead_begun": (
        "Les sessions déjà commencées, des plus récentes aux plus anciennes.",
        "The sessions that have already begun, latest first.",
    ),
    "learner.catalog.see_begun": (
        "Voir les sessions déjà commencées ou passées",
        "See the sessions already begun or past",
    ),
    "learner.catalog.see_coming": ("Voir les sessions à venir", "See the sessions to come"),
    "learner.catalog.under_way": ("En cours", "Under way"),
    "learner.catalog.coming": ("À venir", "To come"),
    "learner.catalog.begun": ("Déjà commencées", "Already begun"),
    "learner.catalog.register": ("s’inscrire", "register"),
    "learner.catalog.search": ("Titre de la session", "Session title"),
    "learner.catalog.session": ("Session", "Session"),
    "learner.catalog.dates": ("Dates", "Dates"),
    "learner.catalog.location": ("Lieu", "Place"),
    "learner.catalog.seats": ("Places restantes", "Seats left"),
    "learner.catalog.open": ("Inscription ouverte", "Open for registration"),
    "learner.catalog.seats_left": ("{free} sur {max}", "{free} of {max}"),
    "learner.catalog.waitlisted": ("{count} en liste d’attente", "{count} on the waiting list"),
    "learner.catalog.seats_unknown": ("pas encore connu", "not known yet"),
    "learner.catalog.open_now": ("ouverte", "open"),
    "learner.catalog.closed_now": ("fermée", "closed"),
    "learner.catalog.full": ("complet : liste d’attente", "full: waiting list"),
    # one session and its register form
    "learner.session.description": ("Description", "Description"),
    "learner.session.events": ("Séances", "Events"),
    "learner.session.no_events": (
        "Aucune séance n’est encore prévue.",
        "No event is planned yet.",
    ),
    "learner.session.opens": ("Ouverture des inscriptions", "Registration opens"),
    "learner.session.closes": ("Clôture des inscriptions", "Registration closes"),
    "learner.session.unregistration_closes": (
        "Désinscription possible jusqu’au",
        "Unregistration possible until",
    ),
    "learner.session.cancelled": (
        "Cette session est annulée.",
        "This session is cancelled.",
    ),
    "learner.session.not_open": (
        "L’inscription à cette session n’est pas ouverte pour le moment.",
        "Registration to this session is not open at the moment.",
    ),
    "learner.session.full": (
        "Il ne reste aucune place : en vous inscrivant, vous rejoignez la liste d’attente.",
        "No seat is left: registering puts you on the waiting list.",
    ),
    "learner.register.title": ("S’inscrire", "Register"),
    "learner.register.questions": (
        "Les organisateurs vous posent ces questions.",
        "The organizers ask you these questions.",
    ),
    "learner.register.required": ("obligatoire", "required"),
    "learner.register.required_note": (
        "Les questions marquées « obligatoire » doivent recevoir une réponse.",
        "The questions marked “required” must be answered.",
    ),
    "learner.register.submit": ("M’inscrire à cette session", "Register for this session"),
    "learner.register.already": (
        "Vous êtes déjà inscrit·e à cette session.",
        "You are already registered for this session.",
    ),
    "learner.register.current": (
        "État de votre inscription : {status}.",
        "Your registration's status: {status}.",
    ),
    "learner.register.see_it": ("Voir mon inscription", "See my registration"),
    "learner.register.window": (
        "L’inscription à cette session n’est pas ouverte en ce moment : elle se fait pendant la "
        "période prévue par les organisateurs.",
        "Registration to this session is not open right now: it takes place during the period "
        "the organizers set.",
    ),
    "learner.register.session_cancelled": (
        "Cette session a été annulée : on ne peut plus s’y inscrire.",
        "This session has been cancelled: nobody can register any more.",
    ),
    "learner.register.not_public": (
        "Cette session n’accepte pas les inscriptions directes : adressez-vous à ses "
        "gestionnaires.",
        "This session does not take registrations from learners: ask its managers.",
    ),
    "learner.answer.yes": ("Oui", "Yes"),
    "learner.answer.no": ("Non", "No"),
    "learner.answer.required": ("une réponse est nécessaire", "an answer is required"),
    "learner.answer.text": ("la réponse doit être un texte", "the answer must be a text"),
    "learner.answer.choice": (
        "choisissez l’une des réponses proposées",
        "choose one of the answers offered",
    ),
    "learner.answer.multiple": (
        "choisissez parmi les réponses proposées",
        "choose among the answers offered",
    ),
    "learner.answer.boolean": ("répondez par oui ou par non", "answer yes or no"),
    "learner.answer.unknown": (
        "cette question n’est plus posée : rechargez la page",
        "this question is no longer asked: reload the page",
    ),
    "learner.answer.error": ("Erreur : {message}", "Error: {message}"),
    "done.learner_registered": (
        "Votre demande d’inscription est enregistrée.",
        "Your registration request is recorded.",
    ),
    # my registrations
    "learner.mine.title": ("Mes inscriptions", "My registrations"),
    "learner.mine.empty": (
        "Vous n’êtes inscrit·e à aucune session. Le catalogue vous présente celles qui sont "
        "ouvertes.",
        "You are not registered for any session. The catalog shows the open ones.",
    ),
    "learner.mine.session_gone": ("session supprimée", "deleted session"),
    "learner.mine.status": ("État", "Status"),
    "learner.mine.requested": ("Demandée le", "Requested on"),
    "learner.mine.awaits": ("En attente de", "Waiting for"),
    "learner.mine.position": ("Position en liste d’attente", "Place on the waiting list"),
    "learner.mine.position_value": ("n° {position}", "number {position}"),
    "learner.mine.offer_until": (
        "Une place vous est proposée jusqu’au {deadline}.",
        "A seat is offered to you until {deadline}.",
    ),
    "learner.mine.accept": ("Accepter la place", "Accept the seat"),
    "learner.mine.decline": ("Refuser la place", "Decline the seat"),
    "learner.mine.cancel": ("Annuler mon inscription", "Cancel my registration"),
    "learner.mine.cancel_confirm": (
        "Annuler votre inscription libère votre place ; vous ne pourrez pas revenir en arrière.",
        "Cancelling your registration frees your seat; you cannot undo it.",
    ),
    "learner.mine.completion": ("Réussite", "Completion"),
    "learner.mine.completed": (
        "Session réussie : {rate} % des heures suivies ({hours} sur {total}).",
        "Session completed: {rate}% of the hours attended ({hours} of {total}).",
    ),
    "learner.mine.not_completed": (
        "Session non réussie : {rate} % des heures suivies ({hours} sur {total}).",
        "Session not completed: {rate}% of the hours attended ({hours} of {total}).",
    ),
    "learner.mine.certificate": (
        "Télécharger l’attestation (PDF)",
        "Download the certificate (PDF)",
    ),
    "learner.mine.certificate_of": ("attestation de {title}", "certificate of {title}"),
    "learner.mine.certificate_when": (
        "(dès qu’une séance à laquelle vous avez assisté a sa présence validée)",
        "(once an event you attended has its attendance validated)",
    ),
    "learner.mine.no_certificate": (
        "L’attestation n’est pas encore disponible : aucune présence validée pour le moment.",
        "The certificate is not available yet: no attendance has been validated so far.",
    ),
    "done.learner_cancelled": ("Votre inscription est annulée.", "Your registration is cancelled."),
    "done.learner_accepted": (
        "Vous avez accepté la place proposée.",
        "You have accepted the seat offered.",
    ),
    "done.learner_declined": (
        "Vous avez refusé la place proposée.",
        "You have declined the seat offered.",
    ),
    # a registration's status and what it awaits, in words
    "learner.status.pending": ("en attente de validation", "awaiting validation"),
    "learner.status.confirmed": ("confirmée", "confirmed"),
    "learner.status.waitlisted": ("en liste d’attente", "on the waiting list"),
    "learner.status.offered": ("une place vous est proposée", "a seat is offered to you"),
    "learner.status.refused": ("refusée", "refused"),
    "learner.status.cancelled": ("annulée", "cancelled"),
    "learner.status.expired": ("expirée", "expired"),
    "learner.awaits.user": ("votre confirmation par e-mail", "your email confirmation"),
    "learner.awaits.organization": ("votre organisation", "your organization"),
    "learner.awaits.registration": (
        "les gestionnaires de la formation",
        "the training's managers",
    ),
    "learner.awaits.validator": ("les valideurs de la session", "the session's validators"),
}
