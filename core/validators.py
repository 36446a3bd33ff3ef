"""Validators shared by every app's models."""

import re

from django.core.exceptions import ValidationError

# C0 controls (line feed, carriage return, tab, NUL …), DEL, C1 controls (next line U+0085
# among them) and the Unicode line and paragraph separators: none belongs in a name, and a
# line break in one would split an e-mail header it ends up in.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def validate_single_line(value: str) -> None:
    """Refuse text with a line break, tab or other control character (a name, a title, a
    reference: anything shown on one line or used in an e-mail subject)."""
    found = CONTROL_CHARACTERS.search(value or "")
    if found:
        raise ValidationError(
            "Must be a single line without control characters; found %(character)s at "
            "position %(position)s.",
            code="control_character",
            params={"character": f"U+{ord(found.group()):04X}", "position": found.start() + 1},
        )


def single_line(text: str) -> str:
    """``text`` on one line: every run of control characters becomes one space, for an
    e-mail subject or another header built from names stored before they were validated."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())
