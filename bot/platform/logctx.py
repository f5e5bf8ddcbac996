"""The ids a log line is about: guild, channel, user, command, job, and a correlation id.

An interaction binds its ids when its checks run (in the task discord.py starts for it), and a job binds its
own when the scheduler runs it, so every line logged while handling either carries them (``[bot] log_format =
"json"`` writes them as fields). A job queued while an interaction or another job is handled keeps that
correlation id in its payload (``_cid``), so a slash command, the jobs it wrote and their retries can be
followed by one id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any

FIELDS = ("correlation_id", "guild_id", "channel_id", "user_id", "command", "job_id", "job")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, Any]] = ContextVar("kudos_log_context", default=_EMPTY)


def current() -> Mapping[str, Any]:
    """The ids bound in this task (an empty mapping outside any interaction or job)."""
    return _CONTEXT.get()


def bind(**ids: Any) -> Token[Mapping[str, Any]]:
    """Add ids (``None`` values are left out) to this task's context; ``reset`` with the token to undo."""
    merged = {**_CONTEXT.get(), **{key: value for key, value in ids.items() if value is not None}}
    return _CONTEXT.set(MappingProxyType(merged))


def reset(token: Token[Mapping[str, Any]]) -> None:
    _CONTEXT.reset(token)


@contextmanager
def bound(**ids: Any) -> Iterator[None]:
    token = bind(**ids)
    try:
        yield
    finally:
        reset(token)


def correlation_id() -> str | None:
    value = _CONTEXT.get().get("correlation_id")
    return str(value) if value is not None else None
