TEXTS: dict[str, tuple[str, str]] = {
    "sign_in.title": ("Connexion", "Sign in"),
    "sign_in.lead": (
        "Collez le jeton d’accès que la plateforme vous a donné. Il n’est gardé que le temps de "
        "cette session du navigateur.",
        "Paste the access token the platform gave you. It is kept only for this browser session.",
    ),
    "sign_in.token": ("Jeton d’accès", "Access token"),
    "sign_in.submit": ("Se connecter", "Sign in"),
    "sign_in.unreadable": (
        "Ce jeton n’est pas lisible ou il a expiré.",
        "This token cannot be read or it has expired.",
    ),
    "sign_in.not_a_token": (
        "Ce n’est pas un jeton d’accès : un jeton ne contient ni accent ni symbole comme €.",
        "This is not an access token: a token holds no accented letter nor sign such as €.",
    ),
    "sign_in.link_off": (
        "Un lien de connexion ne fonctionne que sur un poste de développement : collez le jeton "
        "ci-dessous.",
        "A sign-in link works only on a development machine: paste the token below.",
    ),
    "sign_in.refused": (
        "Votre session a pris fin : reconnectez-vous.",
        "Your session has ended: please sign in again.",
    ),
    "sign_in.signed_in_as": ("Connecté·e en tant que {name}", "Signed in as {name}"),
    "sign_in.sign_out": ("Se déconnecter", "Sign out"),
}
