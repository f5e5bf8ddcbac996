"""Member-written text, made inert before the bot says it on Discord (no ``discord`` import: features use it).

Discord renders markdown in message content and embed descriptions/fields: a title like
``x](https://evil.example) [y`` inside the bot's own ``[#12 “title”](url)`` link would close it early and open
a masked link in the bot's voice. :func:`inline` and :func:`block` backslash-escape every character Discord
reads as markup (Discord shows ``\\*`` as ``*``, so the text reads the same) and break ``@everyone`` /
``@here`` with a zero-width space. ``<`` is escaped too, so ``<@id>``, ``<#id>``, ``<t:…>`` stay text.

Numbered lists (``1. Save``) are left as they are: they can neither link, ping nor shout.

Use :func:`inline` for one-line text (titles, reasons, names: newlines become spaces, so no heading or
``-#`` line can be injected) and :func:`block` for paragraphs (details). Do not escape text Discord shows
verbatim (thread names, embed footers and authors, modal defaults, CSV, HTML): the backslashes would show.
"""

from __future__ import annotations

import re

# Every ASCII character Discord's markdown gives a meaning to anywhere in a line (emphasis, code, spoilers,
# masked links, mentions and other <…> tags, escapes themselves)...
_MARKUP = re.compile(r"([\\*_~|`\[\]()<])")
# ...and those that mean something only at the start of a line (quotes, headings, -# subtext, lists): escaped
# there, so "helper-bonus" stays as written.
_LINE_START = re.compile(r"(^|\n)([ \t]*)([>#\-+])")
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\u0085\v\f]+")
_ONE_BREAK = re.compile(r"\r\n?|[\u2028\u2029\u0085\v\f]")


def _defuse(text: str) -> str:
    text = _MARKUP.sub(r"\\\1", text)
    text = _LINE_START.sub(lambda m: f"{m[1]}{m[2]}\\{m[3]}", text)
    return _MASS_MENTION.sub("@\u200b\\1", text)


def inline(text: str | None) -> str:
    """One line of member text, inert: markup escaped, mass mentions broken, line breaks turned to spaces."""
    if not text:
        return ""
    return _defuse(_LINE_BREAKS.sub(" ", text))


def block(text: str | None) -> str:
    """A paragraph of member text, inert: like :func:`inline` but its line breaks kept."""
    if not text:
        return ""
    text = _ONE_BREAK.sub("\n", text)
    return _defuse(text)
