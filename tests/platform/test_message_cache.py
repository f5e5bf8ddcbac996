"""The bot's message cache answers "which cached message has this id" from an index, exactly as discord.py's scan
of the deque would (bot.core.message_cache)."""

from __future__ import annotations

import inspect
import pathlib
import random
import re
from collections import deque

import discord
import discord.state
from discord.state import ConnectionState

from bot.core.message_cache import KudosConnectionState, MessageIndex, ShardedKudosConnectionState
from bot.emulator.world_messages import delete_message_model
from bot.sandbox.harness import Harness


def _scan(messages: deque, msg_id: int) -> discord.Object | None:  # type: ignore[type-arg]
    """discord.py's answer: the newest message with that id."""
    return next((m for m in reversed(messages) if m.id == msg_id), None)


def test_the_index_answers_what_the_scan_answers_through_every_change_of_the_deque() -> None:
    """Random appends (ids repeat, so twins happen), removals, pops, inserts, slices and clears on a small bounded
    deque and on an unbounded one: after each step the index holds exactly the newest object of each id, the
    same objects in the same order as a plain deque given the same steps."""
    rng = random.Random(25)
    for maxlen in (5, None):
        index, plain = MessageIndex(maxlen=maxlen), deque(maxlen=maxlen)  # type: ignore[var-annotated]
        for step in range(4000):
            op = rng.random()
            made = discord.Object(id=rng.randrange(1, 9))
            if op < 0.45:
                index.append(made)
                plain.append(made)
            elif op < 0.60 and plain:
                victim = rng.choice(list(plain))  # removal is by equality (by id), as discord.py's is
                index.remove(victim)
                plain.remove(victim)
            elif op < 0.66 and plain:
                assert index.pop() is plain.pop()
            elif op < 0.72 and plain:
                assert index.popleft() is plain.popleft()
            elif op < 0.77:
                index.appendleft(made)
                plain.appendleft(made)
            elif op < 0.82 and (maxlen is None or len(plain) < maxlen):
                at = rng.randrange(len(plain) + 1)
                index.insert(at, made)
                plain.insert(at, made)
            elif op < 0.86 and plain:
                at = rng.randrange(len(plain))
                index[at] = made
                plain[at] = made
            elif op < 0.90 and plain:
                at = rng.randrange(len(plain))
                del index[at]
                del plain[at]
            elif op < 0.95:
                more = [discord.Object(id=rng.randrange(1, 9)) for _ in range(rng.randrange(4))]
                index.extend(more)
                plain.extend(more)
            elif op < 0.97:
                index += [made]
                plain += [made]
            elif op < 0.98:
                index.clear()
                plain.clear()
            assert [id(m) for m in index] == [id(m) for m in plain], step
            for msg_id in range(1, 9):
                assert index.by_id.get(msg_id) is _scan(plain, msg_id), (step, msg_id)
        copy = index.copy()
        assert isinstance(copy, MessageIndex) and copy.maxlen == maxlen and list(copy) == list(index)
        assert all(copy.by_id.get(i) is index.by_id.get(i) for i in range(1, 9))


def test_a_zero_length_index_holds_nothing() -> None:
    index = MessageIndex(maxlen=0)
    index.append(discord.Object(id=1))
    assert len(index) == 0 and index.by_id == {}


def test_whatever_deque_discord_py_assigns_is_indexed() -> None:
    """discord.py replaces its cache with a new deque on READY (``clear``) and when a guild goes away; the state
    keeps an index whichever it assigns, and ``max_messages=None`` means no cache at all, as in discord.py."""
    for state_class in (KudosConnectionState, ShardedKudosConnectionState):
        state = state_class(dispatch=lambda *a: None, handlers={}, hooks={}, http=None, max_messages=3)
        assert isinstance(state._messages, MessageIndex) and state._messages.maxlen == 3
        kept = [discord.Object(id=i) for i in (1, 2, 2)]
        state._messages = deque(kept, maxlen=3)
        assert isinstance(state._messages, MessageIndex) and list(state._messages) == kept
        assert state._get_message(2) is kept[2] and state._get_message(1) is kept[0] and state._get_message(9) is None
        state.clear()
        assert isinstance(state._messages, MessageIndex) and state._get_message(2) is None
        none = state_class(dispatch=lambda *a: None, handlers={}, hooks={}, http=None, max_messages=None)
        assert none._messages is None and none._get_message(1) is None


def test_discord_py_changes_its_cache_only_in_ways_the_index_follows() -> None:
    """discord.py is pinned exactly; if an upgrade changes its cache in a new way, this fails before the index
    could go stale. Anywhere in the package, the deque's own methods called are append and remove, and only the
    state assigns a new one (the client's ``cached_messages`` and a forwarded message's lookup only read it)."""
    package = pathlib.Path(discord.state.__file__).parent
    called: set[str] = set()
    assigned: set[str] = set()
    for path in package.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        called |= set(re.findall(r"_messages\.(\w+)", source))
        if re.search(r"\._messages(: [^=]+)? = ", source):
            assigned.add(path.name)
    assert called <= {"append", "remove"}
    assert assigned == {"state.py"}
    assert "def _get_message(self, msg_id" in inspect.getsource(ConnectionState)


async def test_the_running_bot_finds_messages_by_id_as_discord_py_would(kudos: Harness) -> None:
    """Through the emulator's gateway: received messages are found (the same object discord.py's scan finds), a
    reaction updates the cached message, and a deleted message is gone from the cache."""
    assert kudos.bot is not None
    state = kudos.bot._connection
    assert isinstance(state, KudosConnectionState) and isinstance(state._messages, MessageIndex)
    alice, bob = kudos.member("alice"), kudos.member("bob")
    sent = [await alice.say(f"message {n}", in_="general") for n in range(3)]
    for msg in sent:
        cached = state._get_message(msg.id)
        assert cached is not None and cached.content == msg.content
        assert cached is ConnectionState._get_message(state, msg.id)  # discord.py's own scan, same object
    await bob.react(sent[0].id, "👍")
    reacted = state._get_message(sent[0].id)
    assert reacted is not None and [(str(r.emoji), r.count) for r in reacted.reactions] == [("👍", 1)]
    await delete_message_model(kudos.emu, kudos.emu.message(sent[1].id))
    await kudos.settle()
    assert state._get_message(sent[1].id) is None and sent[1].id not in state._messages.by_id
    assert state._get_message(sent[2].id) is not None
    assert [m.id for m in kudos.bot.cached_messages][-2:] == [sent[0].id, sent[2].id]
