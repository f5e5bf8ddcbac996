"""Domain errors. The central error handler turns each into a short ephemeral reply, in the member's language.

The message is written for the member who triggered it: say what went wrong and what to do instead. It is an
English message marked for the catalogues with named placeholders, and its values given apart, so the error
handler can say it in the reader's language (docs/languages.md)::

    raise NotFound(N_("There is no beta named {name} in this server."), name=repr(name))

``str(error)`` (and ``error.message``) is the English text; :meth:`KudosError.translated` the reader's.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.platform.deferred import Said, render


class _Translates(Protocol):  # bot.platform.i18n.Translator, without importing it here
    def __call__(self, message: str, /, **values: Any) -> str: ...
    def template(self, message: str, /) -> str: ...


class KudosError(Exception):
    """Base class: ``str(error)`` is shown to the user as it is (in English); the error handler shows
    :meth:`translated`. ``message`` may also be another :class:`KudosError`, passed on with its values."""

    def __init__(self, message: str | KudosError, /, **values: Any) -> None:
        if isinstance(message, KudosError):
            message, values = message.template, {**message.values, **values}
        self.template = message
        self.values = values
        self.message = _fill(message, values)
        super().__init__(self.message)

    def translated(self, tr: _Translates) -> str:
        """The message in ``tr``'s language (the English text when the catalogue has none, or it breaks)."""
        if not self.values:
            return tr.template(self.template)  # a message without placeholders is never formatted
        try:
            # a value that is a said message (bot.platform.deferred.said) is said in tr's language too
            values = {k: render(tr, v) if isinstance(v, Said) else v for k, v in self.values.items()}
            return tr(self.template, **values)
        except (KeyError, IndexError, ValueError):
            return self.message


def _fill(message: str, values: dict[str, Any]) -> str:
    if not values:
        return message
    try:
        return message.format_map(values)
    except (KeyError, IndexError, ValueError):
        return message


class InvalidInput(KudosError):
    """The user gave something we cannot use; the message says what to fix."""


class NotAllowed(KudosError):
    """The user may not do this (role, ownership, self-credit…)."""


class NotFound(KudosError):
    """The thing the user named does not exist (any more)."""


class Conflict(KudosError):
    """The action clashes with the current state (already done, full, closed…)."""


class LimitReached(KudosError):
    """A cap or budget is exhausted; the message says when it resets."""
