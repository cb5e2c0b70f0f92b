"""A notice in words: subject, text and HTML, from the Jinja2 templates of its kind and locale.

`templates/<locale>/<kind>.txt` holds two blocks, `subject` and `body` (plain text: the inbox
message and the email's text part); `m` in them is `templates/<locale>/_macros.txt`.
`templates/email.html` lays the same body out as HTML, with autoescape on, so nothing a user
typed (a name, a manager's message) becomes markup.

Notices are rendered by a `Renderer` (`RENDERER`, the process's): those of one kind, locale and
words but the learner's name and waitlist position (most of a burst of registrations) are
rendered once, with marks in their place, then filled in: what `render` would give, byte for
byte, as long as the templates use the name only as `m.hello(name)` and the position only as
`{{ position }}` (a test holds them to it, and compares both ways for every registration kind and
locale).
"""

import secrets
from dataclasses import dataclass, replace
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import escape

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


# Filled in after rendering: letters and digits only (escaping leaves them as they are, no
# whitespace for the subject's or paragraphs' splitting to act on), unguessable outside the
# process (no value a user typed holds one).
_MARKS = {name: f"M{secrets.token_hex(12)}{name}" for name in ("name", "position")}


class Renderer:
    """`render` for many notices, each shape (kind, locale, words but the fillable ones) rendered
    once and kept for the next (up to `kept` shapes, the oldest forgotten first): what a shape
    renders to depends on nothing else, the templates being compiled once (`auto_reload=False`).
    A burst of registrations is a few shapes per session, batch after batch."""

    def __init__(self, kept: int = 512) -> None:
        self._shapes: dict[tuple[str, str, str], Rendered] = {}
        self._kept = kept

    def render(self, notice: Notice) -> Rendered:
        context = dict(notice.context)
        fills: list[tuple[str, str, str]] = []  # (mark, as text, as HTML)
        for name, mark in _MARKS.items():
            if name in context and (value := _fillable(context[name])) is not None:
                context[name] = mark
                fills.append((mark, value, str(escape(value))))
        if not fills:
            return render(notice)
        key = (notice.kind, notice.recipient.locale, repr(sorted(context.items())))
        shape = self._shapes.get(key)
        if shape is None:
            if len(self._shapes) >= self._kept:
                del self._shapes[next(iter(self._shapes))]
            shape = self._shapes[key] = render(replace(notice, context=context))
        subject, body, text, html = shape.subject, shape.body, shape.text, shape.html
        for mark, plain, escaped in fills:
            subject, body = subject.replace(mark, plain), body.replace(mark, plain)
            text, html = text.replace(mark, plain), html.replace(mark, escaped)
        return Rendered(subject, body, text, html)


RENDERER = Renderer()
"""The process's: its shapes kept from one batch to the next."""


def _fillable(value: object) -> str | None:
    """The value as the templates print it, when a mark in its place renders the same: true as
    the mark is (the templates test only that), a whole word or words between single spaces (the
    subject's and paragraphs' splitting then acts on it as on the mark); else None."""
    if type(value) is int and value:
        return str(value)
    if type(value) is str and value and " ".join(value.split()) == value:
        return value
    return None
