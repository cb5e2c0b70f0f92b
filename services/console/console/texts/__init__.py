"""Every word the console shows, in French and English, one module per screen.

Each module holds `TEXTS = {"key": ("français", "English")}`; a text may name values in braces
(`"{count} places"`), filled by `translate(key, locale, count=3)`. A key is unique across the
modules (checked here, at import) and both spellings name the same values (tests/test_texts.py).
"""

from collections.abc import Mapping

from console.texts import (
    account,
    common,
    curricula,
    email_links,
    events,
    learner,
    messages,
    registrations,
    sessions,
    sign_in,
    trainings,
)
from console.viewer import Locale

_MODULES = (
    account,
    common,
    curricula,
    email_links,
    events,
    learner,
    messages,
    registrations,
    sessions,
    sign_in,
    trainings,
)


def _merged() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for module in _MODULES:
        for key, spellings in module.TEXTS.items():
            if key in merged:
                raise ValueError(f"text {key!r} is defined twice ({module.__name__})")
            merged[key] = spellings
    return merged


TEXTS: Mapping[str, tuple[str, str]] = _merged()


def translate(key: str, locale: Locale, /, **values: object) -> str:
    """The text `key` in `locale`, its braces filled; a missing key raises KeyError (tests find
    every key the templates use)."""
    french, english = TEXTS[key]
    text = french if locale == "fr" else english
    return text.format(**values) if values else text
