"""Turn what the bot did (the emulator's request log) into readable transcript lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.emulator import Emulator

_PARAM = re.compile(r"\{(\w+)\}")
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")


def route_params(template: str, path: str) -> dict[str, str]:
    """``/channels/{channel_id}/messages`` + ``/api/v10/channels/5/messages`` → ``{"channel_id": "5"}``."""
    rx = "^(?:/api/v\\d+)?" + _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(template).replace(
        r"\{", "{").replace(r"\}", "}")) + "$"
    m = re.match(rx, path)
    return m.groupdict() if m else {}


V2 = 1 << 15  # IS_COMPONENTS_V2 (components/reference.mdx)


def walk_components(components: list[Any]) -> list[dict[str, Any]]:
    """Every component of a message, nested ones too (V2 containers and sections, action rows)."""
    found: list[dict[str, Any]] = []
    for c in components:
        if isinstance(c, dict):
            found.append(c)
            found += walk_components(c.get("components") or [])
            if isinstance(c.get("accessory"), dict):
                found += walk_components([c["accessory"]])
    return found


def _short(text: str | None, limit: int = 160) -> str:
    text = (text or "").replace("\n", " ⏎ ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_message(payload: dict[str, Any]) -> str:
    parts = []
    if payload.get("content"):
        parts.append(repr(_short(payload["content"])))
    for embed in payload.get("embeds") or []:
        title = embed.get("title") or (embed.get("author") or {}).get("name") or ""
        desc = embed.get("description") or ""
        parts.append(f"[embed: {_short(title, 80)}{' — ' + _short(desc, 100) if desc else ''}]")
    every = walk_components(payload.get("components") or [])
    if int(payload.get("flags") or 0) & V2:  # a Components V2 card: its title (the first heading) and size
        heading = next((c["content"] for c in every if c.get("type") == 10 and c["content"].startswith("#")),
                       next((c["content"] for c in every if c.get("type") == 10), ""))
        gallery = sum(len(c.get("items") or []) for c in every if c.get("type") == 12)
        parts.append(f"[V2 card: {_short(re.sub(r'^#{1,3} ', '', heading), 80)}"
                     + (f", {gallery} image(s)" if gallery else "") + "]")
    labels = [c["label"] for c in every if c.get("type") == 2 and c.get("label")]
    if labels:
        parts.append("[buttons: " + " | ".join(labels) + "]")
    for att in payload.get("attachments") or []:
        if att.get("filename"):
            parts.append(f"[file: {att['filename']}]")
    return " ".join(parts) or "(empty)"


class Transcript:
    """Reads new entries of ``emu.request_log`` and renders them."""

    def __init__(self, emu: Emulator, guild_id: int, mask: Callable[[str], str] | None = None) -> None:
        self.emu = emu
        self.guild_id = guild_id
        self._seen = len(emu.request_log)
        self.mask = mask or (lambda s: s)

    def user(self, user_id: int | str) -> str:
        user = self.emu.state.users.get(int(user_id))
        return f"@{user.username}" if user else f"@{user_id}"

    def channel(self, channel_id: int | str) -> str:
        channel = self.emu.state.channels.get(int(channel_id))
        if channel is None:
            return f"#{channel_id}"
        if channel.recipient_id is not None:
            return f"DM {self.user(channel.recipient_id)}"
        if channel.type in (11, 12):
            return f"thread '{channel.name}'"
        return f"#{channel.name}"

    def role(self, role_id: int | str) -> str:
        guild = self.emu.state.guilds.get(self.guild_id)
        role = guild.roles.get(int(role_id)) if guild else None
        return f"'{role.name}'" if role else str(role_id)

    def skip(self) -> None:
        self._seen = len(self.emu.request_log)

    def new_lines(self) -> list[str]:
        records = self.emu.request_log[self._seen:]
        self._seen = len(self.emu.request_log)
        lines = []
        for rec in records:
            line = self.render(rec)
            if line:
                lines.append(self.mask(self.readable(line)))
        return lines

    def readable(self, line: str) -> str:
        """``<@123>`` → ``@alice``, ``<#456>`` → ``#help``, ``<@&789>`` → ``@'Staff'``."""
        line = _USER.sub(lambda m: self.user(m.group(1)), line)
        line = _ROLE.sub(lambda m: "@" + self.role(m.group(1)), line)
        return _CHANNEL.sub(lambda m: self.channel(m.group(1)), line)

    def _readable_body(self, value: Any) -> Any:
        """Mentions made readable before a text is shortened, so a cut never leaves half a ``<@123…``."""
        if isinstance(value, str):
            return self.readable(value)
        if isinstance(value, dict):
            return {k: self._readable_body(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._readable_body(v) for v in value]
        return value

    def render(self, rec: Any) -> str | None:
        p = route_params(rec.route, rec.path)
        body = self._readable_body(rec.json) if isinstance(rec.json, dict) else {}
        failed = f"  ✗ {rec.status}" if rec.status >= 400 else ""
        key = f"{rec.method} {rec.route}"
        if key == "POST /channels/{channel_id}/messages":
            return f"  bot → {self.channel(p['channel_id'])}: {describe_message(body)}{failed}"
        if key == "PATCH /channels/{channel_id}/messages/{message_id}":
            return f"  bot edited a message in {self.channel(p['channel_id'])}: {describe_message(body)}{failed}"
        if key == "DELETE /channels/{channel_id}/messages/{message_id}":
            return f"  bot deleted a message in {self.channel(p['channel_id'])}{failed}"
        if key == "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}":
            return f"  bot gave {self.user(p['user_id'])} the role {self.role(p['role_id'])}{failed}"
        if key == "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}":
            return f"  bot took the role {self.role(p['role_id'])} from {self.user(p['user_id'])}{failed}"
        if key == "PATCH /guilds/{guild_id}/members/{user_id}" and "roles" in body:
            names = ", ".join(self.role(r) for r in body["roles"]) or "none"
            return f"  bot set {self.user(p['user_id'])}'s roles to {names}{failed}"
        if key == "POST /channels/{channel_id}/threads":
            tags = self._tag_names(int(p["channel_id"]), body.get("applied_tags") or [])
            return (f"  bot opened thread '{_short(body.get('name'), 80)}' in {self.channel(p['channel_id'])}"
                    f"{' tagged ' + tags if tags else ''}{failed}")
        if key == "PATCH /channels/{channel_id}":
            changes = []
            if "applied_tags" in body:
                channel = self.emu.state.channels.get(int(p["channel_id"]))
                parent = channel.parent_id if channel else None
                changes.append("tags → " + (self._tag_names(parent, body["applied_tags"]) or "none"))
            if body.get("archived"):
                changes.append("archived")
            if body.get("locked"):
                changes.append("locked")
            if "name" in body:
                changes.append(f"renamed '{_short(body['name'], 80)}'")
            if changes:
                return f"  bot updated {self.channel(p['channel_id'])}: {', '.join(changes)}{failed}"
            return None
        if key == "POST /interactions/{interaction_id}/{interaction_token}/callback":
            return self._callback(body, failed)
        if key == "POST /webhooks/{webhook_id}/{webhook_token}":  # an interaction follow-up (the emulator's route)
            eph = " (only they see it)" if int(body.get("flags") or 0) & 64 else ""
            return f"  bot follow-up{eph}: {describe_message(body)}{failed}"
        if key.startswith("PATCH /webhooks/"):
            return f"  bot edited its reply: {describe_message(body)}{failed}"
        if key == "POST /guilds/{guild_id}/roles":
            return f"  bot created the role '{body.get('name')}'{failed}"
        if key == "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me":
            return f"  bot reacted {p.get('emoji_name')} in {self.channel(p['channel_id'])}{failed}"
        return None

    def _tag_names(self, forum_id: int | None, tag_ids: list[Any]) -> str:
        forum = self.emu.state.channels.get(forum_id or 0)
        names = {str(t["id"]): t["name"] for t in (forum.available_tags if forum else [])}
        return ", ".join(names.get(str(t), str(t)) for t in tag_ids)

    def _callback(self, body: dict[str, Any], failed: str) -> str:
        ctype = body.get("type")
        data = body.get("data") or {}
        eph = " (only they see it)" if int(data.get("flags") or 0) & 64 else ""
        if ctype == 4:
            return f"  bot replied{eph}: {describe_message(data)}{failed}"
        if ctype == 7:
            return f"  bot updated the message: {describe_message(data)}{failed}"
        if ctype == 9:
            fields = []
            for row in data.get("components") or []:
                comps = row.get("components") or ([row.get("component")] if row.get("component") else [])
                for comp in comps:
                    if comp and (comp.get("label") or row.get("label")):
                        fields.append(comp.get("label") or row.get("label"))
            return f"  bot opened the form '{data.get('title')}' ({', '.join(fields)}){failed}"
        if ctype in (5, 6):
            return None
        return f"  bot answered (type {ctype}){failed}"
