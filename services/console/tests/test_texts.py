"""Every word the console shows exists in both languages: each key a template names is defined,
both spellings say something and name the same values, and the notices and field names follow
their pattern."""

import re
import string
from pathlib import Path

import pytest
from console.texts import TEXTS, translate

pytestmark = pytest.mark.unit

TEMPLATES = Path(__file__).parents[1] / "console" / "templates"
# t("key") or t('key', name=...): a literal key, not one built with `~`
KEY_LITERAL = re.compile(r"""\bt\(\s*(?P<quote>["'])(?P<key>[^"'\n]+)(?P=quote)\s*[,)]""")
KEY_SHAPE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")


def used_keys() -> dict[str, list[str]]:
    """Each key literal of the templates, and where it is used."""
    used: dict[str, list[str]] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in KEY_LITERAL.finditer(line):
                used.setdefault(match["key"], []).append(f"{path.relative_to(TEMPLATES)}:{number}")
    return used


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_templates_name_keys() -> None:
    keys = used_keys()
    assert "sign_in.title" in keys  # the pattern finds them
    assert "role." not in keys  # a key built with `~` is no literal


def test_every_key_a_template_uses_is_defined() -> None:
    missing = {key: where for key, where in used_keys().items() if key not in TEXTS}
    assert not missing, "texts missing: " + "; ".join(
        f"{key} ({', '.join(where)})" for key, where in sorted(missing.items())
    )


def test_every_text_is_spelt_in_both_languages_with_the_same_values() -> None:
    wrong = []
    for key, spellings in TEXTS.items():
        if not (isinstance(spellings, tuple) and len(spellings) == 2):
            wrong.append(f"{key}: not a (fr, en) pair")
            continue
        french, english = spellings
        if not (isinstance(french, str) and french.strip()):
            wrong.append(f"{key}: no French")
        if not (isinstance(english, str) and english.strip()):
            wrong.append(f"{key}: no English")
        if isinstance(french, str) and isinstance(english, str):
            try:
                if placeholders(french) != placeholders(english):
                    wrong.append(
                        f"{key}: {sorted(placeholders(french))} in French, "
                        f"{sorted(placeholders(english))} in English"
                    )
            except ValueError as error:  # an unbalanced brace
                wrong.append(f"{key}: {error}")
    assert not wrong, "\n".join(wrong)


def test_keys_are_namespaced() -> None:
    odd = [
        key
        for key in TEXTS
        if not KEY_SHAPE.fullmatch(key) and key not in ("yes", "no", "unlimited")
    ]
    assert not odd


def test_notices_and_field_names_are_well_formed() -> None:
    wrong = []
    for key, (french, english) in TEXTS.items():
        if not key.startswith(("done.", "field.")):
            continue
        if not re.fullmatch(r"(done|field)\.[a-z0-9_]+", key):
            wrong.append(f"{key}: one name after the prefix, lower case and _ only")
        if key.startswith("field.") and (placeholders(french) or placeholders(english)):
            wrong.append(f"{key}: a field's name fills nothing in")  # shown as {field} in a 422
        if key.startswith("done.") and (placeholders(french) or placeholders(english)):
            wrong.append(f"{key}: a notice is shown as it is (pages.render fills nothing in)")
    assert not wrong, "\n".join(wrong)


def test_translate_picks_the_language_and_fills_the_values() -> None:
    assert translate("sign_in.title", "fr") == "Connexion"
    assert translate("sign_in.title", "en") == "Sign in"
    assert translate("sign_in.signed_in_as", "en", name="Léa") == "Signed in as Léa"
    with pytest.raises(KeyError):
        translate("no.such.key", "fr")
