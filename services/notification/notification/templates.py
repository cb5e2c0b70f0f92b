"""A notice in words: subject, text and HTML, from the Jinja2 templates of its kind and locale.

`templates/<locale>/<kind>.txt` holds two blocks, `subject` and `body` (plain text: the inbox
message and the email's text part); `m` in them is `templates/<locale>/_macros.txt`.
`templates/email.html` lays the same body out as HTML, with autoescape on, so nothing a user
typed (a name, a manager's message) becomes markup.
"""

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notification.domain import Notice
from shared.events import Locale
from shared.locales import format_day as format_day  # notification.templates.format_day, as before
from shared.locales import format_moment

FOOTER: dict[Locale, str] = {
    "fr": "Ce message vous est envoyé par la plateforme de formation.",
    "en": "This message was sent to you by the training platform.",
}
ACTIONS: dict[str, dict[Locale, str]] = {
    "confirm_url": {"fr": "Confirmer mon inscription", "en": "Confirm my registration"},
    "accept_url": {"fr": "Accepter la place", "en": "Accept the seat"},
    "decline_url": {"fr": "Refuser la place", "en": "Decline the seat"},
    "certificate_url": {"fr": "Télécharger mon attestation", "en": "Download my certificate"},
}
"""The links a notice's words may carry, each a button in the HTML part, in this order."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str  # the inbox message
    text: str  # the email's text part
    html: str  # the email's HTML part


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("notification", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # the templates are the package's own files: compiled once, never looked at again
        # (by default each use would stat its file to see whether it changed)
        auto_reload=False,
    )
    env.filters["day"] = format_day
    env.filters["moment"] = format_moment
    return env


_ENV = _environment()


def _block(template_name: str, block: str, variables: dict[str, Any]) -> str:
    template = _ENV.get_template(template_name)
    context = template.new_context(variables)
    return "".join(template.blocks[block](context)).strip()


def render(notice: Notice) -> Rendered:
    locale = notice.recipient.locale
    macros = _ENV.get_template(f"{locale}/_macros.txt").module
    variables = {**notice.context, "locale": locale, "m": macros}
    name = f"{locale}/{notice.kind}.txt"
    subject = " ".join(_block(name, "subject", variables).split())
    text = _block(name, "body", variables)
    paragraphs = [p.strip().splitlines() for p in text.split("\n\n") if p.strip()]
    links = [(notice.context.get(link), labels[locale]) for link, labels in ACTIONS.items()]
    actions = [(url, label) for url, label in links if url]
    html = _ENV.get_template("email.html").render(
        lang=locale, subject=subject, paragraphs=paragraphs, actions=actions, footer=FOOTER[locale]
    )
    return Rendered(subject, text, f"{text}\n\n-- \n{FOOTER[locale]}\n", html)
