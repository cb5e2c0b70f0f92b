TEXTS: dict[str, tuple[str, str]] = {
    "curricula.title": ("Cursus", "Curricula"),
    "curricula.lead": (
        "Chaque cursus regroupe des formations ; s’inscrire à un cursus inscrit à la session par "
        "défaut de chacune de ses formations et de celles des cursus en dessous, sauf sous un "
        "cursus bloquant.",
        "Each curriculum groups trainings; registering to one registers to the default session "
        "of each of its trainings and of those of the curricula below it, except below a "
        "blocking one.",
    ),
    "curricula.empty": ("Aucun cursus pour l’instant.", "No curriculum yet."),
    "curricula.new_root": ("Nouveau cursus racine", "New root curriculum"),
    "curricula.new": ("Nouveau cursus", "New curriculum"),
    "curricula.edit_of": ("Modifier le cursus {code}", "Edit the curriculum {code}"),
    "curricula.back": ("Retour aux cursus", "Back to the curricula"),
    "curricula.blocking": ("bloquant", "blocking"),
    "curricula.trainings": ("Formations :", "Trainings:"),
    "curricula.no_trainings": ("Aucune formation.", "No training."),
    "curricula.add_child": ("Ajouter un cursus en dessous", "Add a curriculum below"),
    "curricula.delete": ("Supprimer le cursus {code}", "Delete the curriculum {code}"),
    "curricula.delete_sure": (
        "Supprimer le cursus {code} « {title} » ? Les formations qu’il regroupe restent.",
        "Delete the curriculum {code} “{title}”? The trainings it groups stay.",
    ),
    "curricula.delete_submit": ("Oui, supprimer", "Yes, delete"),
    "curricula.keep": ("Non, le garder", "No, keep it"),
    "curricula.root": ("(aucun : un cursus racine)", "(none: a root curriculum)"),
    "curricula.help.training_ids": (
        "Choisissez une ou plusieurs formations (Ctrl ou Maj pour en choisir plusieurs). Sous "
        "un autre cursus, il faut gérer chacune d’elles.",
        "Choose one or more trainings (Ctrl or Shift to choose several). Below another "
        "curriculum, you must manage each of them.",
    ),
    "curricula.help.blocking": (
        "S’inscrire à un cursus au-dessus n’inscrit ni à celui-ci ni à ceux en dessous.",
        "Registering to a curriculum above registers neither to this one nor to those below it.",
    ),
    "curricula.delete_refused": (
        "Ce cursus a encore des cursus en dessous, ou une session y est rattachée : "
        "supprimez-les ou détachez-la d’abord.",
        "This curriculum still has curricula below it, or a session is attached to it: delete "
        "them or detach it first.",
    ),
    "done.curriculum_created": ("Le cursus est créé.", "The curriculum is created."),
    "done.curriculum_saved": ("Le cursus est enregistré.", "The curriculum is saved."),
    "done.curriculum_deleted": ("Le cursus est supprimé.", "The curriculum is deleted."),
    "field.parent_id": ("Cursus parent", "Parent curriculum"),
    "field.training_ids": ("Formations", "Trainings"),
    "field.blocking": ("Bloquant", "Blocking"),
}
