TEXTS: dict[str, tuple[str, str]] = {
    "email_links.see_mine": ("Voir mes inscriptions", "See my registrations"),
    "email_links.bad.title": ("Ce lien est incomplet", "This link is incomplete"),
    "email_links.bad.lead": (
        "L’adresse ouverte ne contient pas les informations attendues : elle a peut-être été "
        "coupée. Ouvrez de nouveau le lien de l’e-mail, en entier.",
        "The address opened lacks the information expected: it may have been cut. Open the "
        "email's link again, whole.",
    ),
    "email_links.not_theirs.title": (
        "Cette inscription n’est pas accessible",
        "This registration cannot be reached",
    ),
    "email_links.not_theirs.lead": (
        "Vous êtes connecté·e en tant que {name}, et cette inscription n’est pas la vôtre ou "
        "n’existe plus.",
        "You are signed in as {name}, and this registration is not yours or no longer exists.",
    ),
    "email_links.not_theirs.sign_out": (
        "Si l’e-mail vous a été adressé sous un autre compte, déconnectez-vous puis ouvrez de "
        "nouveau le lien.",
        "If the email was sent to you under another account, sign out and open the link again.",
    ),
    "email_links.confirm.title": (
        "Confirmation de votre inscription",
        "Confirming your registration",
    ),
    "email_links.confirm.confirmed": (
        "Merci : votre inscription est confirmée.",
        "Thank you: your registration is confirmed.",
    ),
    "email_links.confirm.pending": (
        "Merci : votre adresse est confirmée. Votre inscription attend maintenant une autre étape.",
        "Thank you: your address is confirmed. Your registration now awaits another step.",
    ),
    "email_links.confirm.waitlisted": (
        "Merci : votre demande est confirmée. Vous êtes en liste d’attente.",
        "Thank you: your request is confirmed. You are on the waiting list.",
    ),
    "email_links.confirm.already": (
        "Votre inscription était déjà confirmée : il n’y a plus rien à faire.",
        "Your registration was already confirmed: nothing more to do.",
    ),
    "email_links.confirm.expired": (
        "Le délai pour confirmer est dépassé : la demande a expiré. Inscrivez-vous de nouveau "
        "depuis le catalogue.",
        "The time to confirm is over: the request has expired. Register again from the catalog.",
    ),
    "email_links.confirm.ended": (
        "Cette inscription est terminée : il n’y a plus rien à confirmer.",
        "This registration has ended: there is nothing left to confirm.",
    ),
    "email_links.confirm.wrong_token": (
        "Ce lien de confirmation n’est pas valable. Utilisez le lien du dernier e-mail reçu, "
        "en entier.",
        "This confirmation link is not valid. Use the link of the latest email received, whole.",
    ),
    "email_links.offer.title": ("La place qui vous est proposée", "The seat offered to you"),
    "email_links.offer.accept_lead": (
        "Pour prendre cette place, confirmez ci-dessous.",
        "To take this seat, confirm below.",
    ),
    "email_links.offer.decline_lead": (
        "Pour laisser cette place à la personne suivante, confirmez ci-dessous. Votre inscription "
        "sera annulée.",
        "To leave this seat to the next person, confirm below. Your registration will be "
        "cancelled.",
    ),
    "email_links.offer.accept": ("Accepter la place", "Accept the seat"),
    "email_links.offer.decline": ("Refuser la place", "Decline the seat"),
    "email_links.offer.other_accept": (
        "Finalement, je préfère accepter la place",
        "After all, I would rather accept the seat",
    ),
    "email_links.offer.other_decline": (
        "Finalement, je préfère refuser la place",
        "After all, I would rather decline the seat",
    ),
    "email_links.offer.yours": ("La place est à vous.", "The seat is yours."),
    "email_links.offer.over": (
        "Cette proposition n’est plus ouverte : voici l’état de votre inscription.",
        "This offer is no longer open: here is your registration's status.",
    ),
    "done.offer_accepted": (
        "Vous avez accepté la place proposée.",
        "You have accepted the seat offered.",
    ),
    "done.offer_declined": (
        "Vous avez refusé la place : elle va à la personne suivante.",
        "You have declined the seat: it goes to the next person.",
    ),
}
