"""Input hygiene for member and staff text, before it is stored (no ``discord`` import: features use it).

- A NUL character (``\\x00``) is refused everywhere: PostgreSQL's text types cannot hold it (the driver raises
  ``CharacterNotInRepertoireError``), and it has no business in a title, a reason or a note.
- Text made only of invisible characters (whitespace, zero-width spaces and joiners, the word joiner, the BOM,
  bidi controls…) is refused where text is required: a title or a reason that shows as nothing.
- Bidi controls (``\\u202a``–``\\u202e``, ``\\u2066``–``\\u2069``, ``\\u200e``, ``\\u200f``) are stripped from
  titles and names: ``\\u202e`` would make a title read backwards (and hide what it really says).

:func:`check_text` is the one entry point; the field's name is in every message, so the member knows what
to fix. The same checks run once centrally on every slash option and modal field (``bot.core.hygiene``) and
on every dashboard form (``bot.web.security.read_form``); features call :func:`check_text` too, so a web
route or a scripted call cannot bypass them.
"""

from __future__ import annotations

import re

from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_

NUL = "\x00"
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# Characters that show as nothing: format characters commonly used to fake "empty" text, on top of whitespace.
_INVISIBLE = re.compile("[\\s\u200b\u200c\u200d\u2060\u2061-\u2064\ufeff\u00ad\u034f\u180e\u3164\u115f\u1160"
                        "\uffa0\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]+")


def has_nul(text: str | None) -> bool:
    return bool(text) and NUL in text  # type: ignore[operator]


def refuse_nul(text: str | None, field: str) -> None:
    """:class:`InvalidInput` naming ``field`` when ``text`` holds a NUL character."""
    if has_nul(text):
        raise InvalidInput(N_("The {field} contains a NUL character (\\0), which can't be saved. Remove it "
                              "and try again."),
                           field=field)


def is_invisible(text: str | None) -> bool:
    """Whether ``text`` is empty or shows as nothing (only whitespace, zero-width or bidi characters)."""
    return not text or not _INVISIBLE.sub("", text)


def strip_bidi(text: str) -> str:
    """``text`` without bidi embedding, override, isolate and mark characters."""
    return BIDI.sub("", text)


def check_text(text: str | None, field: str, *, required: bool = False, title: bool = False) -> str | None:
    """Member or staff text, checked: NUL refused; with ``title`` bidi controls stripped; with ``required``
    text that shows as nothing refused. Returns the (possibly stripped) text; ``None`` stays ``None``."""
    if text is None:
        if required:
            raise InvalidInput(N_("The {field} is required."), field=field)
        return None
    refuse_nul(text, field)
    if title:
        text = strip_bidi(text)
    if required and is_invisible(text):
        raise InvalidInput(N_("The {field} can't be empty or made only of invisible characters."),
                           field=field)
    return text


def check_range(value: int | None, field: str, *, low: int | None = None, high: int | None = None) -> None:
    """:class:`InvalidInput` naming ``field`` when ``value`` is outside ``[low, high]`` (``None`` passes)."""
    if value is None:
        return
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            bounds = f"between {low} and {high}"
        elif low is not None:
            bounds = f"at least {low}"
        else:
            bounds = f"at most {high}"
        raise InvalidInput(N_("The {field} must be {bounds} (got {value})."),
                           field=field, bounds=bounds, value=value)
