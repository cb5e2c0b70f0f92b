"""CSV cells a spreadsheet shows as text, never runs as a formula (CSV injection, OWASP).

A cell is neutralised — a `'` put in front — when it starts with a formula character (`= + - @`,
or their full-width forms, which some spreadsheets read the same), possibly after spaces, or with
a tab, a carriage return or a line feed.
"""

# and their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20)
FORMULA_CHARACTERS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
CONTROL_STARTS = ("\t", "\r", "\n")


def safe_cell(value: str) -> str:
    if value.startswith(CONTROL_STARTS):
        return "'" + value
    if value.lstrip(" ")[:1] in FORMULA_CHARACTERS:
        return "'" + value
    return value
