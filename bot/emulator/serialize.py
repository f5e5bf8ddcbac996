"""Turn the model into Discord JSON payloads (REST answers and gateway events)."""

from __future__ import annotations

import copy
import re
from typing import Any

from bot.emulator.state import Channel, Guild, Member, Message, State, iso

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


def member_json(state: State, member: Member, *, with_user: bool = True) -> dict[str, Any]:
    return member.to_json(state.users[member.user_id], with_user=with_user)


def channel_json(state: State, channel: Channel) -> dict[str, Any]:
    return channel.to_json(state.users)


def parse_mentions(state: State, content: str, guild_id: int | None) -> tuple[list[int], list[int]]:
    users = [int(u) for u in USER_MENTION.findall(content or "") if int(u) in state.users]
    roles: list[int] = []
    if guild_id is not None and guild_id in state.guilds:
        roles = [int(r) for r in ROLE_MENTION.findall(content or "") if int(r) in state.guilds[guild_id].roles]
    return list(dict.fromkeys(users)), list(dict.fromkeys(roles))


# Components V2 fields Discord fills in when the app leaves them out (components/reference.mdx defaults; the
# spec's *ComponentResponse schemas require them): Container 17, Thumbnail 11, Separator 14, File 13.
_V2_DEFAULTS: dict[int, dict[str, Any]] = {
    17: {"accent_color": None, "spoiler": False},
    11: {"description": None, "spoiler": False},
    14: {"spacing": 1, "divider": True},
    13: {"name": None, "size": None, "spoiler": False},
}


def _unfurled(media: Any) -> Any:
    """An unfurled media item as Discord answers it (``id`` and ``proxy_url`` beside the ``url``)."""
    if isinstance(media, dict) and "url" in media:
        media.setdefault("id", "0")
        media.setdefault("proxy_url", media["url"])
    return media


def _stored_defaults(comp: dict[str, Any]) -> None:
    for key, value in _V2_DEFAULTS.get(comp.get("type"), {}).items():  # type: ignore[arg-type]
        comp.setdefault(key, value)
    if comp.get("type") in (11, 13):
        _unfurled(comp.get("media") if comp.get("type") == 11 else comp.get("file"))
    if comp.get("type") == 12:
        for item in comp.get("items") or []:
            if isinstance(item, dict):
                _unfurled(item.get("media"))
                item.setdefault("description", None)
                item.setdefault("spoiler", False)


def number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components as Discord stores them: each gets a numeric ``id`` (components reference: "the id is
    auto-populated ... sequentially" when the app sets none)."""
    out = copy.deepcopy(components)
    used = set()
    nodes: list[dict[str, Any]] = []

    def walk(comp: Any) -> None:
        if not isinstance(comp, dict):
            return
        nodes.append(comp)
        if isinstance(comp.get("id"), int):
            used.add(comp["id"])
        for holder in [comp, *(o for o in comp.get("options") or [] if isinstance(o, dict))]:
            if isinstance(holder.get("emoji"), dict):  # Discord answers without the nulls (a unicode emoji: name)
                holder["emoji"] = {k: v for k, v in holder["emoji"].items() if v is not None}
        _stored_defaults(comp)
        for child in comp.get("components") or []:
            walk(child)
        for key in ("component", "accessory"):
            walk(comp.get(key))

    for comp in out:
        walk(comp)
    counter = 0
    for node in nodes:
        if not isinstance(node.get("id"), int):
            counter += 1
            while counter in used:
                counter += 1
            node["id"] = counter
    return out


def normalize_embeds(embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Embeds as Discord returns them: ``type`` ("rich" unless given) and every field's ``inline``."""
    out = []
    for embed in embeds:
        e = dict(embed)
        e.setdefault("type", "rich")
        if isinstance(e.get("fields"), list):
            e["fields"] = [dict(f, inline=bool(f.get("inline", False))) for f in e["fields"]]
        out.append(e)
    return out


def emoji_json(emoji: str) -> dict[str, Any]:
    """A reaction's emoji: unicode ``"👍"`` or custom ``"name:id"`` (as in the reaction routes)."""
    name, _, eid = emoji.partition(":")
    return {"id": eid or None, "name": name}


def message_json(state: State, msg: Message, *, with_member: bool = True) -> dict[str, Any]:
    author = state.users[msg.author_id]
    if any(not isinstance(c.get("id"), int) for c in msg.components):  # set directly by a test
        msg.components = number_components(msg.components)
    out: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "author": author.to_json(),
        "content": msg.content,
        "timestamp": iso(msg.timestamp),
        "edited_timestamp": iso(msg.edited_timestamp),
        "tts": False,
        "mention_everyone": "@everyone" in (msg.content or ""),
        "mentions": [state.users[u].to_json() for u in msg.mentions if u in state.users],
        "mention_roles": [str(r) for r in msg.mention_roles],
        "attachments": msg.attachments,
        "embeds": msg.embeds,
        "components": msg.components,
        "pinned": False,
        "type": msg.type,
        "flags": msg.flags,
    }
    if msg.poll is not None:
        out["poll"] = msg.poll.to_json(state.bot_user_id)
    if msg.reactions:
        out["reactions"] = [
            {"emoji": emoji_json(e), "count": len(us), "count_details": {"burst": 0, "normal": len(us)},
             "me": state.bot_user_id in us, "me_burst": False, "burst_colors": []}
            for e, us in msg.reactions.items() if us
        ]
    if msg.guild_id is not None:
        out["guild_id"] = str(msg.guild_id)
        guild = state.guilds.get(msg.guild_id)
        if with_member and guild is not None and msg.author_id in guild.members and msg.webhook_id is None:
            out["member"] = member_json(state, guild.members[msg.author_id], with_user=False)
    if msg.message_reference:
        out["message_reference"] = msg.message_reference
    if msg.webhook_id is not None:
        out["webhook_id"] = str(msg.webhook_id)
    if msg.application_id is not None:
        out["application_id"] = str(msg.application_id)
    if msg.interaction_metadata is not None:
        out["interaction_metadata"] = msg.interaction_metadata
    return out


def guild_json(state: State, guild: Guild) -> dict[str, Any]:
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "home_header": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [r.to_json() for r in sorted(guild.roles.values(), key=lambda r: (r.position, r.id))],
        "emojis": [],
        "stickers": [],
        "features": ["COMMUNITY"],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.preferred_locale,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "max_members": 500000,
        "max_presences": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "region": "deprecated",
        "widget_enabled": False,
        "widget_channel_id": None,
        "nsfw": False,
        "incidents_data": None,
    }


def guild_create_json(state: State, guild: Guild, *, members_limit: int | None = None) -> dict[str, Any]:
    out = guild_json(state, guild)
    channels = [c for c in state.guild_channels(guild.id)]
    members = list(guild.members.values())
    if members_limit is not None:
        # the bot's own member always comes along
        bot_first = sorted(members, key=lambda m: not state.users[m.user_id].bot)
        members = bot_first[:members_limit]
    out.update(
        unavailable=False,
        large=len(guild.members) > 250,
        joined_at=iso(guild.created_at),
        member_count=len(guild.members),
        channels=[channel_json(state, c) for c in channels if not c.is_thread],
        threads=[channel_json(state, c) for c in channels if c.is_thread and not c.archived],
        members=[member_json(state, m) for m in members],
        voice_states=[],
        presences=[],
        stage_instances=[],
        guild_scheduled_events=[],
        soundboard_sounds=[],
        embedded_activities=[],
    )
    return out


def application_json(state: State, application_id: int, bot_user_id: int) -> dict[str, Any]:
    bot = state.users[bot_user_id]
    owner = {"id": str(application_id + 1), "username": "developer", "discriminator": "0", "avatar": None,
             "global_name": "developer", "public_flags": 0, "flags": 0, "primary_guild": None}
    return {
        "id": str(application_id),
        "name": bot.username,
        "icon": None,
        "description": "Kudos (emulated)",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "flags_new": "0",
        "bot": bot.to_json(),
        "rpc_origins": [],
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": len(state.guilds),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "eligible_oauth2_scopes": ["bot", "applications.commands"],
    }
