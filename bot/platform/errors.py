"""Domain errors. The central error handler turns each into a short ephemeral reply.

The message is written for the member who triggered it: say what went wrong and what to do instead.
"""

from __future__ import annotations


class KudosError(Exception):
    """Base class: ``str(error)`` is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
