"""Start the emulator and the real Kudos bot on it, and act as members.

Used by the end-to-end tests (through a pytest fixture) and by ``kudos sandbox``. Nothing here fakes
discord.py: the unmodified client talks HTTP and websocket to :class:`bot.emulator.Emulator`.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.bot import KudosBot, create_bot
from bot.emulator import Emulator
from bot.platform.clock import FakeClock
from bot.platform.config import KudosConfig, merge_overrides, parse_config

log = logging.getLogger(__name__)

READY_TIMEOUT = 30.0  # a ceiling: a busy machine (a parallel test run) can take a while to start a bot


@dataclass
class RoleSpec:
    name: str
    permissions: int = 0


@dataclass
class ChannelSpec:
    name: str
    type: str = "text"
    tags: list[str] = field(default_factory=list)
    flags: int = 0  # channel flags, e.g. 16 = REQUIRE_TAG on a forum


@dataclass
class MemberSpec:
    name: str
    roles: list[str] = field(default_factory=list)
    account_age_days: float = 365
    joined_days_ago: float = 90
    dms_open: bool = True
    locale: str = "en-US"  # the member's client language (a Discord locale: "de", "fr", "ja", "pt-BR", ...)


@dataclass
class WorldSpec:
    """The community a test or scenario starts from."""

    name: str = "Acme Community"
    roles: list[RoleSpec] = field(default_factory=list)
    channels: list[ChannelSpec] = field(default_factory=list)
    members: list[MemberSpec] = field(default_factory=list)
    bot_permissions: int | None = None
    locale: str = "en-US"  # the server's preferred locale (its public posts' language unless configured)

    @classmethod
    def default(cls) -> WorldSpec:
        """A typical brand community: the channels and roles ``config.example.toml`` names."""
        return cls(
            roles=[RoleSpec("Staff"), RoleSpec("Moderator"), RoleSpec("Curator"), RoleSpec("Helper"),
                   RoleSpec("Beta Tester")],
            channels=[
                ChannelSpec("announcements", "announcement"),
                ChannelSpec("feedback", "forum", ["Bug", "Idea", "Praise", "Question", "New", "Acknowledged",
                                                  "Planned", "In progress", "Shipped", "Declined", "Duplicate"]),
                ChannelSpec("help", "forum", ["Solved", "Question"]),
                ChannelSpec("showcase"),
                ChannelSpec("staff-log"),
            ],
            members=[
                MemberSpec("sam", roles=["Staff"]),
                MemberSpec("mia", roles=["Moderator"]),
                MemberSpec("alice"),
                MemberSpec("bob"),
                MemberSpec("carol", roles=["Curator"]),
            ],
        )


def sandbox_base_config(database_url: str) -> dict[str, Any]:
    # No gc_freeze: tests and the sandbox start many bots in one process, and what one freezes is never collected.
    # A wide interaction bucket: the fake clock stands still, so a member's tokens never come back unless the
    # scenario advances it; the tests of the limit (tests/hardening/test_flood.py) set the shipped values.
    # A stopped bot waits for what is in flight at most 5 s (as it did before shutdown_grace_seconds).
    return {"bot": {"database_url": database_url, "command_sync": "guild", "guild_ready_timeout": 0.05,
                    "gc_freeze": False, "interaction_burst": 1000, "shutdown_grace_seconds": 5}}


class Harness:
    """Owns one emulator, one fake clock, one database, and the bot (restartable)."""

    def __init__(
        self,
        world: WorldSpec | None = None,
        config: dict[str, Any] | None = None,
        *,
        database_url: str | None = None,
        workdir: str | Path | None = None,
        spec_path: str | None = None,
        emulator_options: dict[str, Any] | None = None,
    ) -> None:
        self.world = world or WorldSpec.default()
        self._overrides = config or {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if database_url is None:
            if workdir is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="kudos-")
                workdir = self._tmp.name
            database_url = f"sqlite+aiosqlite:///{Path(workdir) / 'kudos.db'}"
        self.database_url = database_url
        self.clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
        self.emu = Emulator(spec_path=spec_path, **(emulator_options or {}))
        self.bot: KudosBot | None = None
        self.config: KudosConfig | None = None
        self.guild_id = 0
        self.members: dict[str, int] = {}
        self._runner: asyncio.Task[None] | None = None
        self.labels: dict[str, int] = {}  # scenario labels → message or thread ids

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start_world(self) -> Harness:
        """The emulator and the world only, for a bot run elsewhere (a ``kudos run`` process)."""
        await self.emu.start()
        self._build_world()
        return self

    async def start(self) -> Harness:
        await self.emu.start()
        self.emu.patch_discord()
        self._build_world()
        self.config = parse_config(
            merge_overrides(sandbox_base_config(self.database_url), self._overrides), source="sandbox config"
        )
        await self.start_bot()
        return self

    def _build_world(self) -> None:
        kwargs = {}
        if self.world.bot_permissions is not None:
            kwargs["bot_permissions"] = self.world.bot_permissions
        guild = self.emu.create_guild(self.world.name, default_channel="general",
                                      preferred_locale=self.world.locale, **kwargs)
        self.guild_id = guild.id
        roles: dict[str, int] = {}
        for spec in self.world.roles:
            roles[spec.name] = self.emu.create_role(guild.id, spec.name, permissions=spec.permissions).id
        self.roles = roles
        for spec in self.world.channels:
            self.emu.create_channel(guild.id, spec.name, spec.type, tags=spec.tags or None,
                                    **({"flags": spec.flags} if spec.flags else {}))
        for spec in self.world.members:
            self.add_member(spec)

    def add_member(self, spec: MemberSpec) -> int:
        unknown = [r for r in spec.roles if r not in self.roles]
        if unknown:
            raise ValueError(f"member {spec.name!r}: unknown role(s) {', '.join(unknown)}")
        member = self.emu.add_member(
            self.guild_id, spec.name, roles=[self.roles[r] for r in spec.roles],
            account_age_days=spec.account_age_days, joined_days_ago=spec.joined_days_ago,
            dms_open=spec.dms_open, locale=spec.locale,
        )
        self.members[spec.name] = member.user_id
        return member.user_id

    async def start_bot(self) -> KudosBot:
        assert self.config is not None
        bot = create_bot(self.config, clock=self.clock, guild_ready_timeout=0.05, identify_delay=False)
        self.bot = bot
        self._runner = asyncio.create_task(bot.start(self.emu.token), name="kudos-harness-bot")
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._runner}, timeout=READY_TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)
        if self._runner in done:
            ready.cancel()
            self._runner.result()  # raises the start-up error
        if ready not in done:
            ready.cancel()
            raise TimeoutError("the bot did not become ready")
        await self.settle()
        return bot

    async def stop_bot(self) -> None:
        if self.bot is None:
            return
        await self.bot.close()
        if self._runner is not None:
            try:
                await self._runner
            except Exception:  # noqa: BLE001 - already logged by discord.py; shutting down anyway
                log.debug("bot task ended with an error on stop", exc_info=True)
        self.bot = None
        self._runner = None

    async def restart(self) -> KudosBot:
        """Stop the bot and start a new one on the same database, emulator and clock."""
        await self.stop_bot()
        return await self.start_bot()

    async def stop(self) -> None:
        try:
            await self.stop_bot()
        finally:
            self.emu.unpatch_discord()
            await self.emu.stop()
            if self._tmp is not None:
                self._tmp.cleanup()

    async def __aenter__(self) -> Harness:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- time and quiescence ------------------------------------------------------------------------
    async def settle(self) -> None:
        """Wait until the bot has finished reacting (no REST in flight, background tasks done)."""
        for _ in range(10):
            await self.emu.settle()
            if self.bot is None or not self.bot.busy():
                return
            await self.bot.wait_for_events()

    async def advance(self, delta: timedelta) -> None:
        await self.clock.advance(delta)
        await self.settle()

    def developer_portal_linked_roles(self, client_secret: str) -> None:
        """What an admin sets in the Developer Portal (docs/linked-roles.md): the OAuth2 redirect and the
        verification URL (both on Kudos' web server), and the client secret the bot was given."""
        assert self.bot is not None and self.bot.web is not None
        self.emu.oauth.client_secret = client_secret
        self.emu.oauth.redirect_uris.add(f"{self.bot.web.base_url}/linked-roles/callback")

    # -- lookups ------------------------------------------------------------------------------------
    def member(self, name: str) -> Actor:
        if name not in self.members:
            raise KeyError(f"unknown member {name!r}")
        return Actor(self, name, self.members[name])

    def channel_id(self, name_or_label: str) -> int:
        if name_or_label in self.labels:
            return self.labels[name_or_label]
        channel = self.emu.channel_by_name(self.guild_id, name_or_label.lstrip("#"))
        if channel is None:
            raise KeyError(f"unknown channel or thread {name_or_label!r}")
        return channel.id

    def role_id(self, name: str) -> int:
        role = self.emu.role_by_name(self.guild_id, name)
        if role is None:
            raise KeyError(f"unknown role {name!r}")
        return role.id


class Actor:
    """A member of the guild doing things; each action waits for the bot's reaction."""

    def __init__(self, harness: Harness, name: str, user_id: int) -> None:
        self.h = harness
        self.name = name
        self.id = user_id

    @property
    def emu(self) -> Emulator:
        return self.h.emu

    async def say(self, text: str, *, in_: str) -> Any:
        msg = await self.emu.send_message(self.h.channel_id(in_), self.id, text)
        await self.h.settle()
        return msg

    async def post(self, title: str, *, in_: str, content: str = "", tags: list[str] | None = None) -> Any:
        thread, starter = await self.emu.create_forum_post(self.h.channel_id(in_), self.id, title, content,
                                                           tags=tags or [])
        await self.h.settle()
        return thread, starter

    async def slash(self, command: str, **options: Any) -> Any:
        channel = options.pop("channel_", None)
        channel_id = self.h.channel_id(channel) if channel else self.h.channel_id("general")
        inter = await self.emu.run_slash(self.h.guild_id, channel_id, self.id, command, options=options)
        await self.h.settle()
        return inter

    async def context_menu(self, name: str, *, message_id: int | None = None, user_id: int | None = None,
                           channel_id: int | None = None) -> Any:
        if channel_id is None:
            channel_id = self.emu.message(message_id).channel_id if message_id else self.h.channel_id("general")
        inter = await self.emu.run_context_menu(self.h.guild_id, channel_id, self.id, name,
                                                target_message_id=message_id, target_user_id=user_id)
        await self.h.settle()
        return inter

    async def click(self, message_id: int, *, label: str | None = None, custom_id: str | None = None) -> Any:
        inter = await self.emu.click(message_id, self.id, label=label, custom_id=custom_id)
        await self.h.settle()
        return inter

    async def submit_modal(self, opened: Any, values: dict[str, Any]) -> Any:
        inter = await self.emu.submit_modal(opened, values)
        await self.h.settle()
        return inter

    async def react(self, message_id: int, emoji: str) -> None:
        await self.emu.add_reaction(self.emu.message(message_id).channel_id, message_id, self.id, emoji)
        await self.h.settle()

    async def unreact(self, message_id: int, emoji: str) -> None:
        await self.emu.remove_reaction(self.emu.message(message_id).channel_id, message_id, self.id, emoji)
        await self.h.settle()

    def set_locale(self, locale: str) -> None:
        """Switch the member's client language (``"de"``, ``"ja"``, ...): their next interactions carry it."""
        self.emu.set_locale(self.id, locale)

    async def leave(self) -> None:
        self.emu.remove_member(self.h.guild_id, self.id)
        await self.h.settle()

    async def set_roles(self, role_names: list[str]) -> None:
        await self.emu.set_member_roles(self.h.guild_id, self.id, [self.h.role_id(r) for r in role_names])
        await self.h.settle()

    def roles(self) -> list[str]:
        guild = self.emu.state.guilds[self.h.guild_id]
        return [guild.roles[r].name for r in self.emu.member_roles(self.h.guild_id, self.id) if r in guild.roles]

    def dms(self) -> list[Any]:
        return self.emu.dms(self.id)

    def ephemerals(self) -> list[Any]:
        return self.emu.ephemerals(self.id)

    async def link_roles(self, url: str | None = None, *, approve: bool = True) -> tuple[int, str]:
        """Open Kudos' verification URL (or ``url``) in a browser logged in to Discord as this member, press
        "Authorize" (or "Cancel"), and follow the redirect back to Kudos. Returns the last page's status and
        text. Set the app up first (:meth:`Harness.developer_portal_linked_roles`)."""
        import aiohttp
        import yarl

        assert self.h.bot is not None and self.h.bot.web is not None, "linked roles need [web] enabled"
        url = url or f"{self.h.bot.web.base_url}/linked-roles"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(url, allow_redirects=False) as resp:
                if resp.status != 302:
                    return resp.status, await resp.text()
                consent = resp.headers["Location"]
            http.cookie_jar.update_cookies({"emu_user": str(self.id), "emu_consent": "yes" if approve else "deny"},
                                           yarl.URL(consent))
            async with http.get(consent, allow_redirects=False) as resp:
                if resp.status != 302:
                    return resp.status, await resp.text()
                back = resp.headers["Location"]
            async with http.get(back, allow_redirects=False) as resp:
                result = resp.status, await resp.text()
        await self.h.settle()
        return result


__all__ = ["Actor", "ChannelSpec", "Harness", "MemberSpec", "RoleSpec", "WorldSpec"]
