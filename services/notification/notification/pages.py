"""The one-click unsubscribe page, in the user's language: what the link turns off and a button
that does it (a form: no script), then what was done; no I/O."""

from typing import Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notification.preferences import Category
from shared.events import Locale

WHAT: Final[dict[Category, dict[Locale, str]]] = {
    "reminders": {"fr": "les rappels avant vos séances", "en": "reminders before your events"},
    "messages": {
        "fr": "les messages des responsables de vos sessions",
        "en": "messages from the managers of your sessions",
    },
    "changes": {
        "fr": "les avis de changement de vos séances",
        "en": "notices of changes to your events",
    },
}
WORDS: Final[dict[Locale, dict[str, str]]] = {
    "fr": {
        "title": "Se désabonner",
        "ask": "Ne plus recevoir par email {what} ?",
        "button": "Me désabonner",
        "done_title": "Désabonnement enregistré",
        "done": "Vous ne recevrez plus par email {what}. Vous pouvez les réactiver dans vos "
        "préférences.",
        "footer": "Les emails sur vos inscriptions vous sont toujours envoyés.",
    },
    "en": {
        "title": "Unsubscribe",
        "ask": "Stop receiving {what} by email?",
        "button": "Unsubscribe",
        "done_title": "You are unsubscribed",
        "done": "You will no longer receive {what} by email. You can turn them back on in "
        "your preferences.",
        "footer": "Emails about your registrations are still sent to you.",
    },
}

_ENV = Environment(
    loader=PackageLoader("notification", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",)),
    undefined=StrictUndefined,
)


def unsubscribe_page(category: Category, locale: Locale, *, done: bool) -> str:
    words = WORDS[locale]
    what = WHAT[category][locale]
    return _ENV.get_template("unsubscribe.html").render(
        lang=locale,
        title=words["done_title" if done else "title"],
        text=(words["done"] if done else words["ask"]).format(what=what),
        button=None if done else words["button"],
        footer=words["footer"],
    )
