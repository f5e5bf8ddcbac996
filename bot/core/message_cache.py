"""discord.py's message cache with an index by id: a reaction finds its message in one dictionary look-up.

discord.py keeps the last ``max_messages`` messages (1,000 here) in a deque and finds one by scanning it from
the newest (``ConnectionState._get_message``: ``utils.find`` over ``reversed(self._messages)``). Every reaction,
edit, delete and pin event asks it, and most of them are about a message that is older than the cache or not in
it at all, so the scan goes the whole length: 14.8 million id comparisons for 15,000 reactions, about 45 µs
each, the biggest single cost of a busy community's gateway stream (issue 25's replay).

:class:`MessageIndex` is that deque, also keeping ``{id: message}`` in step with every change of membership, and
the state classes here answer ``_get_message`` from it. It answers exactly what the scan would: the newest
cached message with that id, or ``None``. discord.py replaces its deque wholesale in places (``clear`` on
READY, a guild's removal); the ``_messages`` property wraps whatever it is given, so the index is never stale.
This relies on discord.py's internals, which ``pyproject.toml`` pins exactly (2.7.1).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from discord.shard import AutoShardedConnectionState
from discord.state import ConnectionState


class MessageIndex(deque):  # type: ignore[type-arg]
    """A bounded deque of messages and ``by_id``, the newest message of each id among them."""

    def __init__(self, iterable: Iterable[Any] = (), maxlen: int | None = None) -> None:
        super().__init__((), maxlen)
        self.by_id: dict[int, Any] = {}
        self._twins: dict[int, int] = {}  # ids held more than once: how many extra (discord.py never does this)
        self._full = -1 if maxlen is None else maxlen  # the length at which an append drops the oldest
        for message in iterable:
            self.append(message)

    # -- what discord.py does with its cache: append (once per message received), remove, clear

    def append(self, message: Any) -> None:
        if len(self) == self._full:
            if not self._full:  # a deque of length 0 holds nothing
                return
            oldest = self[0]
            deque.append(self, message)  # drops ``oldest``
            self._forget(oldest)
        else:
            deque.append(self, message)
        mid, by_id = message.id, self.by_id
        if mid in by_id:
            self._twins[mid] = self._twins.get(mid, 0) + 1
        by_id[mid] = message  # the newest of that id, as the scan from the right finds it

    def remove(self, message: Any) -> None:
        super().remove(message)
        self._forget(message)

    def clear(self) -> None:
        super().clear()
        self.by_id.clear()
        self._twins.clear()

    # -- the rest of deque's changes, kept correct by indexing again (none of them is on a hot path)

    def _reindexed(self) -> None:
        self.by_id.clear()
        self._twins.clear()
        for message in self:
            self._note(message)

    def appendleft(self, message: Any) -> None:
        super().appendleft(message)
        self._reindexed()

    def extend(self, messages: Iterable[Any]) -> None:
        for message in messages:
            self.append(message)

    def extendleft(self, messages: Iterable[Any]) -> None:
        super().extendleft(messages)
        self._reindexed()

    def insert(self, i: int, message: Any) -> None:
        super().insert(i, message)
        self._reindexed()

    def pop(self) -> Any:
        message = super().pop()
        self._forget(message)
        return message

    def popleft(self) -> Any:
        message = super().popleft()
        self._forget(message)
        return message

    def __setitem__(self, i: Any, message: Any) -> None:
        super().__setitem__(i, message)
        self._reindexed()

    def __delitem__(self, i: Any) -> None:
        super().__delitem__(i)
        self._reindexed()

    def __iadd__(self, messages: Iterable[Any]) -> MessageIndex:
        self.extend(messages)
        return self

    # -- the index

    def _note(self, message: Any) -> None:
        mid = message.id
        if mid in self.by_id:
            self._twins[mid] = self._twins.get(mid, 0) + 1
        self.by_id[mid] = message  # the newest of that id, as the scan from the right finds it

    def _forget(self, message: Any) -> None:
        """``message`` has left the deque."""
        mid = message.id
        twins = self._twins.get(mid)
        if not twins:
            self.by_id.pop(mid, None)
            return
        if twins == 1:
            del self._twins[mid]
        else:
            self._twins[mid] = twins - 1
        self.by_id[mid] = next(m for m in reversed(self) if m.id == mid)


class IndexedMessages:
    """Mixin for discord.py's connection states: ``_messages`` is always a :class:`MessageIndex` (or ``None``
    when ``max_messages`` is ``None``), and ``_get_message`` reads its index."""

    _message_index: MessageIndex | None = None

    @property  # type: ignore[override]
    def _messages(self) -> MessageIndex | None:
        return self._message_index

    @_messages.setter
    def _messages(self, value: Iterable[Any] | None) -> None:
        if value is not None and value.__class__ is not MessageIndex:
            value = MessageIndex(value, maxlen=getattr(value, "maxlen", None))
        self._message_index = value

    def _get_message(self, msg_id: int | None) -> Any:
        index = self._message_index
        return index.by_id.get(msg_id) if index else None  # type: ignore[arg-type]


class KudosConnectionState(IndexedMessages, ConnectionState):  # type: ignore[misc]
    """:class:`ConnectionState` with the indexed message cache."""


class ShardedKudosConnectionState(IndexedMessages, AutoShardedConnectionState):  # type: ignore[misc]
    """:class:`AutoShardedConnectionState` with the indexed message cache."""
