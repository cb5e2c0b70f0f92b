TEXTS: dict[str, tuple[str, str]] = {
    "trainings.title": ("Formations", "Trainings"),
    "trainings.new": ("Nouvelle formation", "New training"),
    "trainings.create": ("Créer la formation", "Create the training"),
    "trainings.back": ("Retour aux formations", "Back to the trainings"),
    "trainings.search": ("Titre ou code", "Title or code"),
    "trainings.public": ("Inscription publique", "Public registration"),
    "trainings.created_at": ("Créée le", "Created on"),
    "trainings.version": ("Version", "Version"),
    "trainings.help.organizations": (
        "Les identifiants des organisations, un par ligne ou séparés par des virgules. Les "
        "sessions de la formation en font partie.",
        "The organizations' ids, one per line or separated by commas. The training's sessions "
        "belong to them.",
    ),
    "trainings.rules_heading": (
        "Règles par défaut des sessions",
        "Default rules of the sessions",
    ),
    "trainings.rules_lead": (
        "Chaque nouvelle session de la formation part de ces règles ; elle peut ensuite avoir "
        "les siennes.",
        "Each new session of the training starts from these rules; it may then have its own.",
    ),
    "trainings.code_taken": (
        "Ce code est déjà celui d’une autre formation : choisissez-en un autre.",
        "This code is already another training's: choose another one.",
    ),
    "trainings.code_taken_link": ("Voir cette formation", "See that training"),
    "trainings.sessions": ("Sessions de la formation", "Sessions of the training"),
    "trainings.new_session": ("Créer une session de cette formation", "Create a session of it"),
    "trainings.no_sessions": ("Aucune session pour l’instant.", "No session yet."),
    "trainings.all_sessions": ("Voir les {total} sessions", "See all {total} sessions"),
    "trainings.edit": ("Modifier la formation", "Edit the training"),
    "trainings.delete_heading": ("Supprimer la formation", "Delete the training"),
    "trainings.delete_lead": (
        "Une formation ne peut être supprimée que lorsqu’elle n’a plus aucune session.",
        "A training can be deleted only once it has no session left.",
    ),
    "trainings.delete": ("Supprimer la formation « {title} »", "Delete the training “{title}”"),
    "trainings.delete_sure": (
        "Supprimer la formation {code} « {title} » ? Cela ne peut pas être annulé.",
        "Delete the training {code} “{title}”? This cannot be undone.",
    ),
    "trainings.delete_submit": ("Oui, supprimer", "Yes, delete"),
    "trainings.keep": ("Non, la garder", "No, keep it"),
    "trainings.delete_has_sessions": (
        "Cette formation a encore des sessions : supprimez-les d’abord, puis la formation.",
        "This training still has sessions: delete them first, then the training.",
    ),
    "done.training_created": ("La formation est créée.", "The training is created."),
    "done.training_saved": ("La formation est enregistrée.", "The training is saved."),
    "done.training_deleted": ("La formation est supprimée.", "The training is deleted."),
    "field.code": ("Code", "Code"),
    "field.title": ("Titre", "Title"),
    "field.description": ("Description", "Description"),
    "field.organizations": ("Organisations", "Organizations"),
}
