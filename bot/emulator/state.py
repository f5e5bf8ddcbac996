"""The emulator's model of Discord: users, guilds, roles, channels, members, messages, commands."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

CHANNEL_TYPES = {
    "text": 0,
    "dm": 1,
    "voice": 2,
    "category": 4,
    "announcement": 5,
    "news": 5,
    "announcement_thread": 10,
    "public_thread": 11,
    "private_thread": 12,
    "stage": 13,
    "forum": 15,
    "media": 16,
}
THREAD_TYPES = {10, 11, 12}


def now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


class Snowflakes:
    """Snowflake generator: every id gets its own millisecond so ids are unique and ordered."""

    def __init__(self) -> None:
        self._last_ms = 0
        self._inc = itertools.count()

    def next(self, *, shard: tuple[int, int] | None = None, at: datetime | None = None) -> int:
        if at is not None:  # an id from the past (e.g. an old account); the increment keeps it unique
            return ((int(at.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._inc) & 0x3FFFFF)
        ms = max(int(now().timestamp() * 1000) - DISCORD_EPOCH_MS, self._last_ms + 1)
        if shard is not None:
            want, count = shard
            while ms % count != want % count:
                ms += 1
        self._last_ms = ms
        return (ms << 22) | (next(self._inc) & 0xFFF)


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    created_at: datetime = field(default_factory=now)
    dms_open: bool = True
    locale: str = "en-US"  # the client's language: interactions carry it (reference.mdx, "Locales")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name or (None if self.bot else self.username),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            out["tags"] = {"bot_id": str(self.bot_id)}
        return out


@dataclass
class Member:
    user_id: int
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=now)
    flags: int = 0
    pending: bool = False  # membership screening not passed yet

    @property
    def id(self) -> int:
        return self.user_id

    def to_json(self, user: User, *, with_user: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": self.pending,
            "flags": self.flags,
            "communication_disabled_until": None,
        }
        if with_user:
            out["user"] = user.to_json()
        return out


@dataclass
class Channel:
    id: int
    type: int
    guild_id: int | None = None
    name: str | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    applied_tags: list[int] = field(default_factory=list)
    archived: bool = False
    locked: bool = False
    owner_id: int | None = None
    recipient_id: int | None = None
    auto_archive_duration: int = 4320
    rate_limit_per_user: int = 0
    nsfw: bool = False
    message_count: int = 0
    last_message_id: int | None = None
    thread_member_ids: set[int] = field(default_factory=set)
    created_at: datetime = field(default_factory=now)
    flags: int = 0
    archive_timestamp: datetime | None = None  # threads: set when archived/unarchived or the duration changes
    last_activity: datetime | None = None  # threads, on the emulator's clock: last message, unarchive, ...

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    def to_json(self, users: dict[int, User] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": str(self.id), "type": self.type, "flags": self.flags}
        if self.last_message_id is not None:
            out["last_message_id"] = str(self.last_message_id)
        if self.type == 1:
            user = users.get(self.recipient_id) if users and self.recipient_id else None
            out["recipients"] = [user.to_json()] if user else []
            return out
        out.update(
            guild_id=str(self.guild_id),
            name=self.name,
            parent_id=str(self.parent_id) if self.parent_id else None,
            rate_limit_per_user=self.rate_limit_per_user,
        )
        if self.is_thread:
            out.update(
                owner_id=str(self.owner_id) if self.owner_id else None,
                applied_tags=[str(t) for t in self.applied_tags],
                message_count=self.message_count,
                member_count=len(self.thread_member_ids),
                total_message_sent=self.message_count,
                thread_metadata={
                    "archived": self.archived,
                    "locked": self.locked,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": iso(self.archive_timestamp or self.created_at),
                    "create_timestamp": iso(self.created_at),
                    "invitable": True,
                },
            )
            return out
        out.update(
            position=self.position,
            permission_overwrites=[
                {"id": str(o["id"]), "type": int(o.get("type", 0)), "allow": str(o.get("allow", 0)),
                 "deny": str(o.get("deny", 0))}
                for o in self.overwrites
            ],
            nsfw=self.nsfw,
        )
        if self.type in (0, 5, 15, 16):
            out["topic"] = self.topic
            out["default_auto_archive_duration"] = 4320
        if self.type in (15, 16):
            out["available_tags"] = [dict(t, id=str(t["id"])) for t in self.available_tags]
            out["default_reaction_emoji"] = None
            out["default_thread_rate_limit_per_user"] = 0
            out["default_sort_order"] = None
            out["default_forum_layout"] = 0
        if self.type in (2, 13):
            out.update(bitrate=64000, user_limit=0, rtc_region=None)
        return out


@dataclass
class Message:
    id: int
    channel_id: int
    author_id: int
    guild_id: int | None = None
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None
    flags: int = 0
    type: int = 0
    message_reference: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    reactions: dict[str, set[int]] = field(default_factory=dict)
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    timestamp: datetime = field(default_factory=now)
    edited_timestamp: datetime | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None  # the interaction this message answers
    ephemeral_for: int | None = None  # user id when this is an ephemeral interaction message
    deleted: bool = False
    poll: Any = None  # a world_polls.Poll when the message carries a poll

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    bot_role_id: int | None = None
    created_at: datetime = field(default_factory=now)
    preferred_locale: str = "en-US"  # guild.mdx: "the preferred locale of a Community guild"


@dataclass
class State:
    """Everything the emulator knows. Tests read it directly."""

    users: dict[int, User] = field(default_factory=dict)
    bot_user_id: int | None = None  # the emulated application's bot user
    guilds: dict[int, Guild] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    # channel id -> message id -> Message (only messages visible in the channel; not ephemerals)
    messages: dict[int, dict[int, Message]] = field(default_factory=dict)
    # every message by id, ephemeral ones included
    all_messages: dict[int, Message] = field(default_factory=dict)
    ephemerals: dict[int, list[Message]] = field(default_factory=dict)
    dm_channels: dict[int, int] = field(default_factory=dict)  # user id -> DM channel id
    global_commands: list[dict[str, Any]] = field(default_factory=list)
    guild_commands: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def guild_channels(self, guild_id: int) -> list[Channel]:
        return [c for c in self.channels.values() if c.guild_id == guild_id]


def age(days: float) -> datetime:
    return now() - timedelta(days=days)
