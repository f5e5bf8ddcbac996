"""What Kudos says, in the reader's language: one translation function with named placeholders (gettext
catalogues through Babel), plurals, numbers and dates.

- Catalogues: ``bot/locale/<lang>/LC_MESSAGES/kudos.po`` (the source, committed). ``make i18n`` extracts the
  messages (``pybabel extract``, keywords in the Makefile) and updates every ``.po``; ``make install`` and
  ``make test`` compile the ``.mo`` files. A clone without ``.mo`` files (or with one older than its ``.po``)
  still works: the loader compiles the ``.po`` in memory (and writes the ``.mo`` beside it when it may).
- Messages use named placeholders in braces, filled by :meth:`str.format_map` (``tr("{name} joined",
  name=...)``; a literal brace is doubled). The values (member text, codes) are never translated.
- ``tr = i18n.translator(locale)`` binds one language; ``tr("...")``, ``tr.ngettext(one, many, n)``
  (``{count}`` is ``n`` formatted for the language), ``tr.number(n)``, ``tr.date(d)``, ``tr.datetime(dt)``.
  :func:`N_` marks a message kept in a constant and translated where it is shown (``tr(TITLES[k])``).
- Slash commands: their names and descriptions are messages with the context ``command`` (``tr.command``;
  ``bot/core/i18n.py`` gives them to discord.py's ``app_commands.Translator``).

Which language a reader gets (docs/languages.md): ephemeral replies and forms the interaction's locale; DMs
the member's last interaction's locale (:mod:`bot.platform.locales`), else the server's; public posts the
guild's ``language`` setting, else the server's preferred locale. No discord import here: a locale is a
string such as ``"de"``, ``"pt-BR"`` or ``"en-US"`` (``discord.Locale`` values are such strings).
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
import os
import tempfile
from collections.abc import Mapping
from datetime import date as Date
from datetime import datetime as DateTime
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

log = logging.getLogger(__name__)

DOMAIN = "kudos"
DEFAULT = "en"
LANGUAGES = ("en", "de", "fr", "es", "pt_BR", "ja")  # the catalogues; English is the source language
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
COMMAND_CONTEXT = "command"  # msgctxt of slash-command names, descriptions and choices
# Discord's locales (reference.mdx, "Locales") that each catalogue serves; the slash commands carry these.
DISCORD_LOCALES = {"de": ("de",), "fr": ("fr",), "es": ("es-ES", "es-419"), "pt_BR": ("pt-BR",), "ja": ("ja",)}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark a message kept in a constant for extraction; translate it where it is shown."""
    return message


def language(locale: object | None) -> str:
    """The catalogue for a locale (``"de"``, ``"pt-BR"``, ``"es-419"``, ``"en-GB"``, a ``discord.Locale``,
    or one of :data:`LANGUAGES`); :data:`DEFAULT` for one Kudos does not speak (or none)."""
    code = str(getattr(locale, "value", locale) or "").strip().replace("-", "_")
    if code in LANGUAGES:
        return code
    base = code.split("_")[0].lower()
    if base == "pt":
        return "pt_BR"
    return base if base in LANGUAGES else DEFAULT


def supported(locale: object | None) -> bool:
    """Whether Kudos has a catalogue for this locale's language (``"de-AT"`` yes, ``"ko"`` no)."""
    code = str(getattr(locale, "value", locale) or "").strip().replace("-", "_")
    return bool(code) and (code.split("_")[0].lower() in {lang.split("_")[0] for lang in LANGUAGES})


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogue(lang: str) -> bytes:
    """The ``.mo`` bytes of one ``.po`` (fuzzy entries left out, as ``pybabel compile`` does)."""
    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _write_quietly(path: Path, data: bytes) -> None:
    """Write a compiled ``.mo`` beside its ``.po`` (atomic: parallel test workers may race); a read-only
    install just keeps the in-memory copy."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".kudos-", suffix=".mo", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        log.debug("could not write %s; using the catalogue compiled in memory", path, exc_info=True)


@functools.cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of one language (``.mo`` if current, else the ``.po`` compiled now)."""
    if lang not in LANGUAGES:
        raise ValueError(f"no catalogue for language {lang!r} (Kudos speaks {', '.join(LANGUAGES)})")
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    if not po.exists():
        if lang == DEFAULT:
            return gettext.NullTranslations()
        raise FileNotFoundError(f"the catalogue of {lang!r} is missing: {po}")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    data = compile_catalogue(lang)
    _write_quietly(mo, data)
    return gettext.GNUTranslations(io.BytesIO(data))


@functools.cache
def babel_locale(lang: str) -> Locale:
    return Locale.parse(lang)


class Translator:
    """Everything said to one reader, in one language."""

    __slots__ = ("lang",)

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"

    def __call__(self, message: str, /, **values: Any) -> str:
        return catalogue(self.lang).gettext(message).format_map(values)

    def template(self, message: str, /) -> str:
        """The translation of a template filled later by someone else (a reward DM's ``{code}``), unformatted."""
        return catalogue(self.lang).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int, /, **values: Any) -> str:
        """The plural form the language needs for ``count``; ``{count}`` is ``count`` formatted."""
        text = catalogue(self.lang).ngettext(singular, plural, count)
        return text.format_map({"count": self.number(count), **values})

    def command(self, message: str) -> str | None:
        """A slash command's name, description or choice in this language; ``None`` when untranslated."""
        if self.lang == DEFAULT or not has_translation(self.lang, message):
            return None
        return catalogue(self.lang).pgettext(COMMAND_CONTEXT, message)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=babel_locale(self.lang))

    def date(self, value: Date, format: str = "medium") -> str:  # noqa: A002 - Babel's name
        return format_date(value, format=format, locale=babel_locale(self.lang))

    def datetime(self, value: DateTime, format: str = "medium") -> str:  # noqa: A002 - Babel's name
        return format_datetime(value, format=format, locale=babel_locale(self.lang))


def has_translation(lang: str, message: str, context: str = COMMAND_CONTEXT) -> bool:
    """Whether a command string has an entry in ``lang`` (a name may stay the same, e.g. "beta")."""
    cat = catalogue(lang)
    return f"{context}\x04{message}" in getattr(cat, "_catalog", {})


@functools.cache
def translator(locale: object | None = None) -> Translator:
    """The translator for a locale (see :func:`language`)."""
    return Translator(language(locale))


def environment_language(environ: Mapping[str, str] | None = None) -> str:
    """The operator's language for the command-line tools (``kudos doctor``), taken as gettext does from the
    environment: ``LC_ALL``, then ``LC_MESSAGES``, then ``LANG`` (the first one set); ``de_DE.UTF-8`` is German,
    ``pt_BR.UTF-8`` Brazilian Portuguese, ``C``, ``POSIX`` or a language Kudos does not speak English."""
    env = os.environ if environ is None else environ
    value = next((env[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(name, "").strip()), "")
    code = value.strip().split(".")[0].split("@")[0]
    return DEFAULT if code in ("", "C", "POSIX") else language(code)


def public_language(setting: str | None, preferred_locale: object | None) -> str:
    """A server's language for its public posts: the guild's ``language`` setting, else its preferred
    locale (Discord's Community setting)."""
    return language(setting) if setting else language(preferred_locale)


def dm_language(last_locale: str | None, preferred_locale: object | None, setting: str | None = None) -> str:
    """A member's language in DMs: their last interaction's locale, else the server's."""
    return language(last_locale) if last_locale else public_language(setting, preferred_locale)
