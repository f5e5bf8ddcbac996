"""A message said later, in a language chosen then (docs/languages.md): a JSON value kept in a job's payload
(a staff-log notice) and translated when it is posted, so the server's language of that moment applies.

- :func:`message` (``message(N_("Beta {name} closed."), name=...)``) and :func:`ngettext` (extracted as the
  plural keyword) hold a message and its values; a value may be another message, said in the same language.
- :func:`joined` puts parts together (lines of a report, items of a list) with a separator.
- :func:`said` is a message that is also its English text (a :class:`Said` ``str``): an action named in a
  log line, an exception and a staff-log report ("I couldn't {what}") at once; the report says it in the
  server's language, the rest reads the English.
- :meth:`Said.worded` is English text Kudos did not word (pydantic's) with the message another language says
  instead; a config problem (:class:`~bot.platform.config.ConfigError` ``.problem``) is always a :class:`Said`.
- :func:`render` says one in a :class:`~bot.platform.i18n.Translator`'s language (English:
  ``render(translator(), m)``, e.g. the payload's plain ``text`` and the log).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.platform.i18n import Translator, translator

Message = dict[str, Any]


class Said(str):
    """English text that knows its message (``.message``), for the staff log to say it in another language."""

    message: Message

    def __new__(cls, message: Message) -> Said:
        self = super().__new__(cls, render(translator(), message))
        self.message = message
        return self

    @classmethod
    def worded(cls, english: str, message: Message) -> Said:
        """English text Kudos did not word itself (a library's), with the message another language says
        instead (e.g. "invalid value (…)")."""
        self = str.__new__(cls, english)
        self.message = message
        return self

    def render_as(self, tr: Translator) -> str:
        """This text in ``tr``'s language (the English text as it is when ``tr`` is English)."""
        return str(self) if tr.lang == "en" else str(render(tr, self.message))

    def __reduce__(self):  # pickles (and copies) with its message
        return (_said_again, (str(self), self.message))


def _said_again(english: str, message: Message) -> Said:
    return Said.worded(english, message)


def said(msgid: str, /, **values: Any) -> Said:
    """``msgid`` (marked ``N_``) with its values, as its English text; a value may be another :class:`Said`."""
    return Said(message(msgid, **values))


def message(msgid: str, /, **values: Any) -> Message:
    """``msgid`` (marked ``N_`` by the caller) with its values."""
    return {"m": msgid, "v": values}


def ngettext(singular: str, plural: str, count: int, /, **values: Any) -> Message:
    """A message with plural forms; ``{count}`` is ``count`` formatted for the language."""
    return {"m": singular, "pl": plural, "n": int(count), "v": values}


def joined(separator: str, items: Iterable[Message | str]) -> Message:
    return {"join": separator, "items": list(items)}


def render(tr: Translator, value: Any) -> Any:
    """``value`` said in ``tr``'s language (anything but a message is returned as it is)."""
    if isinstance(value, Said):
        return value.render_as(tr)
    if not isinstance(value, dict):
        return value
    if "join" in value:
        return str(value["join"]).join(str(render(tr, item)) for item in value["items"])
    if "m" not in value:
        return value
    values = {k: render(tr, v) for k, v in dict(value.get("v") or {}).items()}
    msgid, plural = value["m"], value.get("pl")  # (named: pybabel would take subscripts for messages)
    if plural is not None:
        return tr.ngettext(msgid, plural, int(value["n"]), **values)
    return tr(msgid, **values)


def render_said(tr: Translator, text: str, /, **values: Any) -> str:
    """``text`` in ``tr``'s language when it is a :class:`Said` (with ``values`` replacing some of its own,
    e.g. a channel named for a web page rather than mentioned); any other text as it is."""
    if not isinstance(text, Said):
        return text
    msg = text.message
    return str(render(tr, {**msg, "v": {**dict(msg.get("v") or {}), **values}} if values and "m" in msg else msg))


__all__ = ["Message", "Said", "joined", "message", "ngettext", "render", "render_said", "said"]
