"""Building the world (guilds, roles, channels, members) and reading it back in tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.emulator import rules
from bot.emulator.rules import ApiError, check_locale, unknown
from bot.emulator.serialize import channel_json, guild_create_json, guild_json, member_json
from bot.emulator.state import CHANNEL_TYPES, Channel, Guild, Member, Message, Role, User, age, now

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

    _Base = Emulator
else:
    _Base = object


def _overwrite(o: dict[str, Any]) -> dict[str, Any]:
    """Normalise an overwrite: type may be 0/1 or "role"/"member"; allow/deny ints or strings."""
    otype = o.get("type", 0)
    if isinstance(otype, str):
        otype = {"role": 0, "member": 1}.get(otype, otype)
    return {"id": int(o["id"]), "type": int(otype), "allow": int(o.get("allow") or 0), "deny": int(o.get("deny") or 0)}


class WorldMixin(_Base):
    def _init_world(self) -> None:
        self._guild_counter = 0
        self.clock_offset = timedelta(0)

    # ------------------------------------------------------------------ the emulator's clock

    def now(self) -> datetime:
        """The emulator's wall clock: real time plus whatever :meth:`advance` added."""
        return now() + self.clock_offset

    async def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0,
                      days: float = 0) -> list[Channel]:
        """Move the emulator's clock forward; threads idle for their ``auto_archive_duration`` archive
        (THREAD_UPDATE). Returns the threads that archived."""
        self.clock_offset += timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        archived = await self.archive_idle_threads()
        await self.settle()
        return archived

    async def archive_idle_threads(self) -> list[Channel]:
        from bot.emulator.world_threads import archive_idle_threads

        return await archive_idle_threads(self)

    # ------------------------------------------------------------------ building

    def create_user(self, name: str, *, bot: bool = False, account_age_days: float = 30, dms_open: bool = True,
                    locale: str = "en-US") -> User:
        check_locale(locale)
        user = User(self.ids.next(at=age(account_age_days)), name, bot=bot, created_at=age(account_age_days),
                    dms_open=dms_open, locale=locale)
        self.state.users[user.id] = user
        return user

    def create_guild(self, name: str, bot_permissions: int = rules.DEFAULT_BOT, owner_name: str = "owner", *,
                     bot_role_position: int = 10, everyone_permissions: int = rules.DEFAULT_EVERYONE,
                     default_channel: str | None = "general", preferred_locale: str = "en-US") -> Guild:
        gid = self.ids.next(shard=(self._guild_counter, self.shard_count))
        self._guild_counter += 1
        owner = self.create_user(owner_name, account_age_days=365)
        check_locale(preferred_locale)
        guild = Guild(gid, name, owner.id, created_at=now() - timedelta(days=100), preferred_locale=preferred_locale)
        guild.roles[gid] = Role(gid, gid, "@everyone", permissions=everyone_permissions, position=0)
        bot_role = Role(self.ids.next(), gid, "Kudos", permissions=bot_permissions, position=bot_role_position,
                        managed=True, bot_id=self.bot_user_id)
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        guild.members[owner.id] = Member(owner.id, gid, joined_at=age(100))
        guild.members[self.bot_user_id] = Member(self.bot_user_id, gid, roles=[bot_role.id], joined_at=age(1))
        self.state.guilds[gid] = guild
        if default_channel:
            self.create_channel(gid, default_channel)
        if self.gateway.by_shard:
            gc = guild_create_json(self.state, guild, members_limit=self.members_in_guild_create)
            self.gateway.dispatch_soon("GUILD_CREATE", gc, gid)
        return guild

    def create_role(self, guild_id: int, name: str, permissions: int = 0, position: int | None = None,
                    color: int = 0, hoist: bool = False, mentionable: bool = False) -> Role:
        guild = self._guild(guild_id)
        if position is None:
            position = max(self.bot_top_position(guild_id) - 1, 1)
        role = Role(self.ids.next(), guild_id, name, permissions=permissions, position=position, color=color,
                    hoist=hoist, mentionable=mentionable)
        guild.roles[role.id] = role
        self.gateway.dispatch_soon("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_json()}, guild_id)
        return role

    def create_channel(self, guild_id: int, name: str, type: str | int = "text", *, tags: list[str] | None = None,
                       parent_id: int | None = None, overwrites: list[dict[str, Any]] | None = None,
                       topic: str | None = None, position: int | None = None, flags: int = 0) -> Channel:
        guild = self._guild(guild_id)
        ctype = CHANNEL_TYPES[type] if isinstance(type, str) else type
        channel = Channel(
            self.ids.next(), ctype, guild_id, name,
            position=position if position is not None else len(guild.channel_ids),
            parent_id=parent_id, topic=topic,
            overwrites=[_overwrite(o) for o in overwrites or []],
            available_tags=[self._make_tag(t) for t in tags or []], flags=flags,
        )
        self.state.channels[channel.id] = channel
        self.state.messages[channel.id] = {}
        guild.channel_ids.append(channel.id)
        self.gateway.dispatch_soon("CHANNEL_CREATE", channel_json(self.state, channel), guild_id)
        return channel

    def _make_tag(self, tag: str | dict[str, Any]) -> dict[str, Any]:
        if isinstance(tag, dict):
            return {"id": int(tag.get("id") or self.ids.next()), "name": tag["name"],
                    "moderated": bool(tag.get("moderated", False)), "emoji_id": tag.get("emoji_id"),
                    "emoji_name": tag.get("emoji_name")}
        return {"id": self.ids.next(), "name": tag, "moderated": False, "emoji_id": None, "emoji_name": None}

    def add_member(self, guild_id: int, name: str, roles: list[int] | None = None, account_age_days: float = 30,
                   joined_days_ago: float = 10, bot: bool = False, dms_open: bool = True,
                   nick: str | None = None, locale: str = "en-US") -> Member:
        guild = self._guild(guild_id)
        user = self.create_user(name, bot=bot, account_age_days=account_age_days, dms_open=dms_open, locale=locale)
        member = Member(user.id, guild_id, roles=list(roles or []), nick=nick, joined_at=age(joined_days_ago))
        guild.members[user.id] = member
        payload = member_json(self.state, member) | {"guild_id": str(guild_id)}
        self.gateway.dispatch_soon("GUILD_MEMBER_ADD", payload, guild_id)
        return member

    def set_locale(self, user_id: int, locale: str) -> None:
        """The member switched their client's language: their next interactions carry ``locale``."""
        check_locale(locale)
        self.state.users[user_id].locale = locale

    def set_preferred_locale(self, guild_id: int, locale: str) -> None:
        """The server's Community setting "Server Primary Language" (guild.mdx ``preferred_locale``)."""
        check_locale(locale)
        guild = self._guild(guild_id)
        guild.preferred_locale = locale
        self.gateway.dispatch_soon("GUILD_UPDATE", guild_json(self.state, guild), guild_id)

    def remove_member(self, guild_id: int, user_id: int) -> None:
        guild = self._guild(guild_id)
        if guild.members.pop(user_id, None) is None:
            raise unknown("member")
        payload = {"guild_id": str(guild_id), "user": self.state.users[user_id].to_json()}
        self.gateway.dispatch_soon("GUILD_MEMBER_REMOVE", payload, guild_id)

    def rejoin_member(self, guild_id: int, user_id: int, *, pending: bool = False) -> Member:
        """A user who left comes back: a new membership (no roles, joined now, flag DID_REJOIN), still in
        membership screening when ``pending``."""
        guild = self._guild(guild_id)
        if user_id in guild.members:
            raise ApiError(400, 0, f"user {user_id} is still a member")
        member = Member(user_id, guild_id, joined_at=now(), flags=1, pending=pending)
        guild.members[user_id] = member
        self.gateway.dispatch_soon("GUILD_MEMBER_ADD", member_json(self.state, member) | {"guild_id": str(guild_id)},
                                   guild_id)
        return member

    async def complete_screening(self, guild_id: int, user_id: int) -> None:
        """The member accepted the server's rules: ``pending`` becomes false (a GUILD_MEMBER_UPDATE)."""
        member = self._member(guild_id, user_id)
        member.pending = False
        await self._dispatch_member_update(member)
        await self.settle()

    async def set_member_nick(self, guild_id: int, user_id: int, nick: str | None) -> None:
        """The member changed their server nickname (Discord sends a GUILD_MEMBER_UPDATE carrying ``nick``)."""
        member = self._member(guild_id, user_id)
        member.nick = nick or None
        await self._dispatch_member_update(member)
        await self.settle()

    async def set_member_roles(self, guild_id: int, user_id: int, roles: list[int]) -> None:
        member = self._member(guild_id, user_id)
        member.roles = list(dict.fromkeys(roles))
        await self._dispatch_member_update(member)
        await self.settle()

    def set_dms_open(self, user_id: int, open: bool) -> None:
        self.state.users[user_id].dms_open = open

    async def _dispatch_member_update(self, member: Member) -> None:
        payload = member_json(self.state, member) | {"guild_id": str(member.guild_id)}
        await self.gateway.dispatch("GUILD_MEMBER_UPDATE", payload, member.guild_id)

    # ------------------------------------------------------------------ lookups (raise Discord errors)

    def _guild(self, guild_id: int) -> Guild:
        guild = self.state.guilds.get(int(guild_id))
        if guild is None:
            raise unknown("guild")
        return guild

    def _channel(self, channel_id: int) -> Channel:
        channel = self.state.channels.get(int(channel_id))
        if channel is None:
            raise unknown("channel")
        return channel

    def _member(self, guild_id: int, user_id: int) -> Member:
        member = self._guild(guild_id).members.get(int(user_id))
        if member is None:
            raise unknown("member")
        return member

    def _role(self, guild_id: int, role_id: int) -> Role:
        role = self._guild(guild_id).roles.get(int(role_id))
        if role is None:
            raise unknown("role")
        return role

    def _message(self, channel_id: int, message_id: int) -> Message:
        msg = self.state.messages.get(int(channel_id), {}).get(int(message_id))
        if msg is None:
            raise unknown("message")
        return msg

    def _parent(self, channel: Channel) -> Channel | None:
        return self.state.channels.get(channel.parent_id) if channel.parent_id else None

    def bot_permissions(self, channel_id: int) -> int:
        channel = self._channel(channel_id)
        if channel.guild_id is None:
            return rules.VIEW_CHANNEL | rules.SEND_MESSAGES | rules.EMBED_LINKS | rules.ATTACH_FILES | \
                rules.ADD_REACTIONS | rules.READ_MESSAGE_HISTORY
        guild = self._guild(channel.guild_id)
        return rules.channel_permissions(guild, guild.members[self.bot_user_id], channel, self._parent(channel))

    def member_permissions(self, channel_id: int, user_id: int) -> int:
        channel = self._channel(channel_id)
        assert channel.guild_id is not None
        guild = self._guild(channel.guild_id)
        return rules.channel_permissions(guild, self._member(guild.id, user_id), channel, self._parent(channel))

    def _require(self, channel: Channel, *perms: int) -> int:
        """Check the bot's permissions in ``channel``; 50001 if it cannot see it, 50013 if one is missing."""
        have = self.bot_permissions(channel.id)
        if not have & rules.VIEW_CHANNEL:
            raise rules.missing_access()
        for p in perms:
            if not have & p:
                raise rules.missing_permissions()
        return have

    def _require_guild(self, guild_id: int, perm: int) -> None:
        guild = self._guild(guild_id)
        if not rules.base_permissions(guild, guild.members[self.bot_user_id]) & perm:
            raise rules.missing_permissions()

    def bot_top_position(self, guild_id: int) -> int:
        guild = self._guild(guild_id)
        return rules.top_role_position(guild, guild.members[self.bot_user_id])

    def _require_below_bot(self, guild_id: int, role: Role) -> None:
        guild = self._guild(guild_id)
        if guild.owner_id == self.bot_user_id:
            return
        if role.position >= self.bot_top_position(guild_id) or role.managed or role.id == guild_id:
            raise rules.missing_permissions()

    # ------------------------------------------------------------------ messages

    def _store_message(self, msg: Message) -> None:
        self.state.all_messages[msg.id] = msg
        if msg.ephemeral_for is not None:
            self.state.ephemerals.setdefault(msg.ephemeral_for, []).append(msg)
            return
        self.state.messages.setdefault(msg.channel_id, {})[msg.id] = msg
        channel = self.state.channels.get(msg.channel_id)
        if channel is not None:
            channel.last_message_id = msg.id
            if channel.is_thread:
                channel.last_activity = self.now()  # threads.mdx: sending a message is "activity"
                if msg.id != channel.id:
                    channel.message_count += 1

    def _require_dm_target(self, channel: Channel) -> None:
        if channel.type == 1 and channel.recipient_id is not None:
            user = self.state.users.get(channel.recipient_id)
            if user is None or not user.dms_open or user.bot:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            if self.strict.dm_mutual_guild and not self.shares_guild(user.id):
                raise ApiError(403, 50278, "Cannot send messages to this user due to having no mutual guilds")

    def shares_guild(self, user_id: int) -> bool:
        """Whether ``user_id`` is a member of a guild the bot is in."""
        return any(user_id in g.members and self.bot_user_id in g.members for g in self.state.guilds.values())

    # ------------------------------------------------------------------ reading state in tests

    def messages(self, channel_id: int) -> list[Message]:
        return [m for m in self.state.messages.get(int(channel_id), {}).values() if not m.deleted]

    def message(self, message_id: int) -> Message:
        msg = self.state.all_messages.get(int(message_id))
        if msg is None:
            raise KeyError(message_id)
        return msg

    def dm_channel(self, user_id: int) -> Channel | None:
        cid = self.state.dm_channels.get(int(user_id))
        return self.state.channels.get(cid) if cid else None

    def dms(self, user_id: int) -> list[Message]:
        channel = self.dm_channel(user_id)
        return self.messages(channel.id) if channel else []

    def ephemerals(self, user_id: int) -> list[Message]:
        return [m for m in self.state.ephemerals.get(int(user_id), []) if not m.deleted]

    def member_roles(self, guild_id: int, user_id: int) -> list[int]:
        return list(self._member(guild_id, user_id).roles)

    def role_by_name(self, guild_id: int, name: str) -> Role | None:
        return next((r for r in self._guild(guild_id).roles.values() if r.name == name), None)

    def channel_by_name(self, guild_id: int, name: str) -> Channel | None:
        return next((c for c in self.state.guild_channels(int(guild_id)) if c.name == name), None)

    def threads(self, parent_id: int) -> list[Channel]:
        return [c for c in self.state.channels.values() if c.is_thread and c.parent_id == int(parent_id)]

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        if guild_id is None:
            return list(self.state.global_commands)
        return list(self.state.guild_commands.get(int(guild_id), []))

    def requests(self, key: str) -> list[Any]:
        """request_log entries whose "METHOD /template" equals ``key``."""
        return [r for r in self.request_log if r.key == key]
