TEXTS: dict[str, tuple[str, str]] = {
    # the inbox
    "account.inbox.title": ("Messages", "Inbox"),
    "account.inbox.unread_count": ("Non lus : {count}", "Unread: {count}"),
    "account.inbox.unread_only": ("Seulement les messages non lus", "Unread messages only"),
    "account.inbox.unread": ("non lu", "unread"),
    "account.inbox.read": ("lu", "read"),
    "account.inbox.mark_read": ("Marquer comme lu", "Mark as read"),
    "account.inbox.empty": ("Aucun message.", "No message."),
    "done.inbox_read": ("Le message est marqué comme lu.", "The message is marked as read."),
    # the account: calendar feed and email preferences
    "account.title": ("Mon compte", "My account"),
    "account.name": ("Nom", "Name"),
    "account.email": ("Adresse e-mail", "Email address"),
    "account.calendar.title": ("Mon agenda", "My calendar"),
    "account.calendar.lead": (
        "Abonnez votre logiciel d’agenda à cette adresse : il y trouvera les séances auxquelles "
        "vous êtes inscrit·e, toujours à jour.",
        "Subscribe your calendar application to this address: it will find the events you are "
        "registered to there, always up to date.",
    ),
    "account.calendar.url": ("Adresse de l’agenda (à copier)", "Calendar address (to copy)"),
    "account.calendar.secret": (
        "Cette adresse donne accès à votre agenda sans mot de passe : ne la partagez pas.",
        "This address opens your calendar without a password: do not share it.",
    ),
    "account.calendar.rotate": ("Changer l’adresse de l’agenda", "Change the calendar address"),
    "account.calendar.rotate_lead": (
        "L’ancienne adresse cessera aussitôt de fonctionner : il faudra abonner à nouveau vos "
        "agendas avec la nouvelle.",
        "The old address stops working at once: you will need to subscribe your calendars "
        "again with the new one.",
    ),
    "done.calendar_rotated": (
        "L’agenda a une nouvelle adresse ; l’ancienne ne fonctionne plus.",
        "The calendar has a new address; the old one no longer works.",
    ),
    "account.preferences.title": ("E-mails facultatifs", "Optional emails"),
    "account.preferences.legend": (
        "Je souhaite recevoir par e-mail :",
        "I want to receive by email:",
    ),
    "account.preferences.reminders": ("les rappels avant les séances", "reminders before events"),
    "account.preferences.messages": (
        "les messages des gestionnaires et formateurs",
        "messages from managers and tutors",
    ),
    "account.preferences.changes": (
        "les changements d’horaire ou de lieu des séances",
        "changes of an event's time or place",
    ),
    "account.preferences.always": (
        "Les e-mails sur vos inscriptions (dont le lien de confirmation) sont toujours envoyés, "
        "et tous les messages restent dans votre messagerie.",
        "Emails about your registrations (the confirmation link among them) are always sent, and "
        "every message stays in your inbox.",
    ),
    "account.preferences.save": ("Enregistrer mes choix", "Save my choices"),
    "done.preferences_saved": ("Vos choix sont enregistrés.", "Your choices are saved."),
}
