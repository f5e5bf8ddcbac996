"""What members do: write messages, post in forums, react, run commands, click buttons, submit modals."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.emulator import modals, rules, world_channels, world_polls, world_reactions, world_threads
from bot.emulator.serialize import channel_json, member_json, message_json, normalize_embeds, parse_mentions
from bot.emulator.state import Channel, Member, Message, Role, User
from bot.emulator.world_channels import open_thread
from bot.emulator.world_messages import post_message

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

    _Base = Emulator
else:
    _Base = object

log = logging.getLogger(__name__)

OPTION_TYPES = {"subcommand": 1, "group": 2, "string": 3, "integer": 4, "boolean": 5, "user": 6, "channel": 7,
                "role": 8, "mentionable": 9, "number": 10, "attachment": 11}


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete, 5 modal submit
    data: dict[str, Any]
    guild_id: int | None
    channel_id: int
    user_id: int
    source_message_id: int | None = None
    response_type: int | None = None
    response: dict[str, Any] | None = None
    ephemeral: bool = False
    # messages the follow-up endpoint answered with; right after a defer (type 5) that is the original
    # response itself, edited (Discord creates no new message then)
    followups: list[Message] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    failed: bool = False
    message: Message | None = None  # the message the response created (4/5) or updated (6/7)
    opened_by: InteractionRecord | None = None  # a modal submission: the interaction that opened the modal
    created_at: float = 0.0
    created_wall: datetime | None = None  # on the emulator's clock (tokens expire after 15 minutes)
    answered: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """The choices of an autocomplete answer (callback type 8)."""
        return (self.response or {}).get("choices") if self.response_type == 8 else None

    @property
    def deferred(self) -> bool:
        return self.response_type in (5, 6)

    @property
    def _followup_answers(self) -> bool:
        return self.response_type == 6 and bool(self.followups) and not self.edits

    @property
    def content(self) -> str | None:
        """Text the user finally sees: the (edited) response message, else the first follow-up (also after a
        silent deferred update whose message was not edited: the follow-up is the answer then)."""
        if self._followup_answers:
            return self.followups[0].content
        if self.message is not None and self.message.content:
            return self.message.content
        if self.followups:
            return self.followups[0].content
        return (self.response or {}).get("content")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        if self._followup_answers:
            return self.followups[0].embeds
        if self.message is not None and self.message.embeds:
            return self.message.embeds
        if self.followups:
            return self.followups[0].embeds
        return list((self.response or {}).get("embeds") or [])


def _id(obj: Any) -> int:
    if isinstance(obj, Member):
        return obj.user_id
    if isinstance(obj, (User, Role, Channel, Message)):
        return obj.id
    return int(obj)


class ActorsMixin(_Base):
    interactions: dict[int, InteractionRecord]
    interactions_by_token: dict[str, InteractionRecord]

    def _init_actors(self) -> None:
        self.interactions = {}
        self.interactions_by_token = {}

    # ------------------------------------------------------------------ messages, posts, reactions

    def open_dm(self, user_id: int) -> Channel:
        """The DM channel between the bot and ``user_id`` (created if needed)."""
        return world_channels.open_dm(self, _id(user_id))

    async def send_message(self, channel_id: int, author_id: int, content: str = "",
                           embeds: list[dict[str, Any]] | None = None, *, reply_to: int | None = None,
                           attachments: list[dict[str, Any]] | None = None) -> Message:
        channel = self._channel(_id(channel_id))
        author_id = _id(author_id)
        if channel.guild_id is not None:
            self._member(channel.guild_id, author_id)
        users, roles = parse_mentions(self.state, content, channel.guild_id)
        msg = Message(self.ids.next(), channel.id, author_id, guild_id=channel.guild_id, content=content,
                      embeds=normalize_embeds(embeds or []), mentions=users, mention_roles=roles,
                      attachments=list(attachments or []))
        if reply_to is not None:
            msg.type = 19
            msg.message_reference = {"type": 0, "message_id": str(reply_to), "channel_id": str(channel.id)}
        if channel.is_thread and channel.archived:
            if channel.locked and self.strict.archived_threads:
                raise self._error(f"thread {channel.name!r} is archived and locked: members cannot post in it")
            await world_threads.unarchive_for_message(self, channel)
        await post_message(self, msg)
        await self.settle()
        return msg

    async def create_forum_post(self, forum_id: int, author_id: int, title: str, content: str,
                                tags: list[str] | None = None) -> tuple[Channel, Message]:
        forum = self._channel(_id(forum_id))
        if forum.type not in (15, 16):
            raise self._error(f"channel {forum.name!r} is not a forum")
        by_name = {t["name"]: int(t["id"]) for t in forum.available_tags}
        missing = [t for t in tags or [] if t not in by_name]
        if missing:
            raise self._error(f"forum {forum.name!r} has no tags {missing}; it has {sorted(by_name)}")
        author_id = _id(author_id)
        tag_ids = [by_name[t] for t in tags or []]
        may_moderate = bool(self.member_permissions(forum.id, author_id) & rules.MANAGE_THREADS)
        refused = world_channels.check_tag_rules(self, forum, [], tag_ids, may_moderate)
        if refused == "require_tag":
            raise self._error(f"forum {forum.name!r} requires a tag on every post (REQUIRE_TAG)")
        if refused == "moderated":
            raise self._error(f"only members with Manage Threads can apply moderated tags in {forum.name!r}")
        thread = await open_thread(self, forum, author_id, title, applied_tags=tag_ids)
        starter = Message(thread.id, thread.id, author_id, guild_id=forum.guild_id, content=content)
        await post_message(self, starter)
        await self.settle()
        return thread, starter

    async def add_reaction(self, channel_id: int, message_id: int, user_id: int, emoji: str) -> None:
        self._require_active_for_actor(_id(channel_id), "add reactions")
        await world_reactions.add(self, self._message(_id(channel_id), _id(message_id)), _id(user_id), emoji)
        await self.settle()

    async def remove_reaction(self, channel_id: int, message_id: int, user_id: int, emoji: str) -> None:
        self._require_active_for_actor(_id(channel_id), "remove reactions")
        await world_reactions.remove(self, self._message(_id(channel_id), _id(message_id)), _id(user_id), emoji)
        await self.settle()

    async def vote_poll(self, channel_id: int, message_id: int, user_id: int, answer_id: int) -> None:
        """A member picks an answer of a poll (MESSAGE_POLL_VOTE_ADD)."""
        self._require_active_for_actor(_id(channel_id), "vote")
        await world_polls.vote(self, self._message(_id(channel_id), _id(message_id)), _id(user_id), answer_id)
        await self.settle()

    async def unvote_poll(self, channel_id: int, message_id: int, user_id: int, answer_id: int) -> None:
        """A member removes their vote (MESSAGE_POLL_VOTE_REMOVE)."""
        self._require_active_for_actor(_id(channel_id), "vote")
        await world_polls.unvote(self, self._message(_id(channel_id), _id(message_id)), _id(user_id), answer_id)
        await self.settle()

    def _require_active_for_actor(self, channel_id: int, what: str) -> None:
        channel = self._channel(channel_id)
        if channel.is_thread and channel.archived and self.strict.archived_threads:
            raise self._error(f"thread {channel.name!r} is archived: members cannot {what} in it (threads.mdx)")

    # ------------------------------------------------------------------ interactions

    def _error(self, text: str) -> Exception:
        from bot.emulator.server import EmulatorError

        return EmulatorError(text)

    def _find_command(self, guild_id: int, name: str, ctype: int) -> dict[str, Any]:
        for cmd in self.commands(guild_id) + self.commands():
            if cmd["name"] == name and int(cmd.get("type") or 1) == ctype:
                return cmd
        known = sorted(c["name"] for c in self.commands(guild_id) + self.commands())
        raise self._error(f"the bot registered no command {name!r} of type {ctype} (registered: {known})")

    def _resolve(self, resolved: dict[str, Any], guild_id: int, otype: int, value: Any) -> str:
        oid = _id(value)
        guild = self._guild(guild_id)
        if otype in (6, 9) and oid in self.state.users:
            resolved.setdefault("users", {})[str(oid)] = self.state.users[oid].to_json()
            if oid in guild.members:
                m = member_json(self.state, guild.members[oid], with_user=False)
                resolved.setdefault("members", {})[str(oid)] = m | {"permissions": "0"}
            return str(oid)
        if otype in (8, 9) and oid in guild.roles:
            resolved.setdefault("roles", {})[str(oid)] = guild.roles[oid].to_json()
            return str(oid)
        if otype == 7 and oid in self.state.channels:
            ch = self.state.channels[oid]
            data = {k: v for k, v in channel_json(self.state, ch).items()
                    if k in ("id", "name", "type", "parent_id", "thread_metadata", "guild_id")}
            resolved.setdefault("channels", {})[str(oid)] = data | {"permissions": str(self.bot_permissions(oid))}
            return str(oid)
        raise self._error(f"option value {value!r} does not resolve to a known user/role/channel")

    def _upload(self, resolved: dict[str, Any], value: Any) -> str:
        """An attachment option: ``(filename, bytes)`` or ``(filename, bytes, content_type)``; the bytes are
        served at the emulator's CDN address (``GET /attachments/<id>/<filename>``) like Discord's CDN."""
        if not isinstance(value, tuple) or len(value) not in (2, 3):
            raise self._error(f"an attachment option takes (filename, bytes[, content_type]), not {value!r}")
        filename, data = str(value[0]), bytes(value[1])
        ctype = str(value[2]) if len(value) == 3 else (mimetypes.guess_type(filename)[0] or "application/octet-stream")
        aid = self.ids.next()
        self.cdn[aid] = (data, ctype)
        url = f"http://{self.host}:{self.port}/attachments/{aid}/{filename}"
        resolved.setdefault("attachments", {})[str(aid)] = {
            "id": str(aid), "filename": filename, "size": len(data), "url": url, "proxy_url": url,
            "content_type": ctype, "ephemeral": True}
        return str(aid)

    def _check_bounds(self, name: str, otype: int, d: dict[str, Any], v: Any) -> None:
        """application-commands.mdx, Application Command Option Structure: ``min_value``/``max_value`` ("the
        minimum/maximum value permitted", INTEGER and NUMBER) and ``min_length``/``max_length`` ("the
        minimum/maximum allowed length", STRING). Discord's client will not send a value outside them."""
        if otype in (4, 10):
            lo, hi = d.get("min_value"), d.get("max_value")
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                bounds = f"{'' if lo is None else lo}..{'' if hi is None else hi}"
                raise self._error(f"option {name!r} takes a value in {bounds}, not {v!r}")
        elif otype == 3:
            lo, hi = d.get("min_length"), d.get("max_length")
            if (lo is not None and len(v) < lo) or (hi is not None and len(v) > hi):
                raise self._error(f"option {name!r} takes {lo or 0}-{6000 if hi is None else hi} characters, "
                                  f"not {len(v)}")

    def _build_options(self, guild_id: int, defs: list[dict[str, Any]], given: dict[str, Any],
                       resolved: dict[str, Any]) -> list[dict[str, Any]]:
        by_name = {d["name"]: d for d in defs}
        out = []
        for name, value in given.items():
            d = by_name.get(name)
            if d is None:
                raise self._error(f"unknown option {name!r} (options: {sorted(by_name)})")
            otype = int(d["type"])
            if otype == 3:
                v: Any = str(value)
            elif otype == 4:
                v = int(value)
            elif otype == 5:
                v = bool(value)
            elif otype == 10:
                v = float(value)
            elif otype in (6, 7, 8, 9):
                v = self._resolve(resolved, guild_id, otype, value)
            elif otype == 11:
                v = self._upload(resolved, value)
            else:
                raise self._error(f"option type {otype} is not supported by the emulator")
            choices = d.get("choices")
            if choices and v not in [c["value"] for c in choices]:
                raise self._error(f"{v!r} is not one of the choices of option {name!r}")
            self._check_bounds(name, otype, d, v)
            out.append({"name": name, "type": otype, "value": v})
        for d in defs:
            if d.get("required") and d["name"] not in given:
                raise self._error(f"required option {d['name']!r} is missing")
        return out

    def _slash_data(self, guild_id: int, command: str, options: dict[str, Any],
                    focused: str | None = None) -> dict[str, Any]:
        parts = command.strip().lstrip("/").split()
        cmd = self._find_command(guild_id, parts[0], 1)
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        container: list[dict[str, Any]] = []
        data["options"] = container
        defs = cmd.get("options") or []
        for part in parts[1:]:
            sub = next((o for o in defs if o["name"] == part and int(o["type"]) in (1, 2)), None)
            if sub is None:
                raise self._error(f"/{command}: {part!r} is not a subcommand of {cmd['name']!r}")
            node: dict[str, Any] = {"name": part, "type": int(sub["type"]), "options": []}
            container.append(node)
            container = node["options"]
            defs = sub.get("options") or []
        if any(int(o["type"]) in (1, 2) for o in defs):
            raise self._error(f"/{command} needs a subcommand")
        resolved: dict[str, Any] = {}
        if focused is None:
            container.extend(self._build_options(guild_id, defs, options, resolved))
        else:  # autocomplete: the focused option carries what the user typed so far, others may be missing
            fdef = next((d for d in defs if d["name"] == focused), None)
            if fdef is None or not fdef.get("autocomplete"):
                raise self._error(f"/{command}: option {focused!r} has no autocomplete")
            others = {k: v for k, v in options.items() if k != focused}
            container.extend(self._build_options(guild_id, [dict(d, required=False) for d in defs], others,
                                                 resolved))
            container.append({"name": focused, "type": int(fdef["type"]), "value": str(options.get(focused, "")),
                              "focused": True})
        if resolved:
            data["resolved"] = resolved
        return data

    async def run_slash(self, guild_id: int, channel_id: int, user_id: int, command: str,
                        options: dict[str, Any] | None = None) -> InteractionRecord:
        """Run ``/command`` ("name", "group sub" or "name sub") the way a Discord client would."""
        guild_id, channel_id, user_id = _id(guild_id), _id(channel_id), _id(user_id)
        data = self._slash_data(guild_id, command, options or {})
        return await self._interact(2, data, guild_id, channel_id, user_id)

    async def run_autocomplete(self, guild_id: int, channel_id: int, user_id: int, command: str, focused: str,
                               options: dict[str, Any] | None = None) -> InteractionRecord:
        """A member types into option ``focused`` of ``/command`` (``options[focused]`` is the text so far):
        an APPLICATION_COMMAND_AUTOCOMPLETE interaction (type 4); the bot's choices are ``rec.choices``."""
        guild_id, channel_id, user_id = _id(guild_id), _id(channel_id), _id(user_id)
        data = self._slash_data(guild_id, command, options or {}, focused=focused)
        return await self._interact(4, data, guild_id, channel_id, user_id)

    async def run_context_menu(self, guild_id: int, channel_id: int, user_id: int, name: str, *,
                               target_message_id: int | None = None,
                               target_user_id: int | None = None) -> InteractionRecord:
        guild_id, channel_id, user_id = _id(guild_id), _id(channel_id), _id(user_id)
        if target_message_id is not None:
            cmd = self._find_command(guild_id, name, 3)
            msg = self.state.all_messages.get(_id(target_message_id))
            if msg is None:
                raise self._error(f"no message {target_message_id}")
            resolved = {"messages": {str(msg.id): message_json(self.state, msg)}}
            target = msg.id
        elif target_user_id is not None:
            cmd = self._find_command(guild_id, name, 2)
            resolved = {}
            target = int(self._resolve(resolved, guild_id, 6, target_user_id))
        else:
            raise self._error("run_context_menu needs target_message_id or target_user_id")
        data = {"id": cmd["id"], "name": cmd["name"], "type": int(cmd["type"]), "target_id": str(target),
                "resolved": resolved}
        return await self._interact(2, data, guild_id, channel_id, user_id)

    @staticmethod
    def _walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for comp in components:
            out.append(comp)
            out.extend(ActorsMixin._walk_components(comp.get("components") or []))
            for key in ("accessory", "component"):
                if isinstance(comp.get(key), dict):
                    out.extend(ActorsMixin._walk_components([comp[key]]))
        return out

    async def click(self, message_id: int, user_id: int, label: str | None = None,
                    custom_id: str | None = None) -> InteractionRecord:
        msg = self.state.all_messages.get(_id(message_id))
        if msg is None or msg.deleted:
            raise self._error(f"no message {message_id}")
        buttons = [c for c in self._walk_components(msg.components) if c.get("type") == 2]
        button = next((b for b in buttons if (label is None or b.get("label") == label)
                       and (custom_id is None or b.get("custom_id") == custom_id)), None)
        if button is None:
            raise self._error(f"message {msg.id} has no button label={label!r} custom_id={custom_id!r} "
                              f"(buttons: {[(b.get('label'), b.get('custom_id')) for b in buttons]})")
        if button.get("disabled"):
            raise self._error(f"button {button.get('label')!r} is disabled")
        if not button.get("custom_id"):
            raise self._error(f"button {button.get('label')!r} is a link/premium button, it sends no interaction")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._interact(3, data, msg.guild_id, msg.channel_id, _id(user_id), source=msg)

    async def select(self, message_id: int, user_id: int, custom_id: str, values: list[str]) -> InteractionRecord:
        msg = self.state.all_messages.get(_id(message_id))
        comps = [c for c in self._walk_components(msg.components if msg else [])
                 if c.get("custom_id") == custom_id and c.get("type") in (3, 5, 6, 7, 8)]
        if msg is None or not comps:
            raise self._error(f"message {message_id} has no select menu {custom_id!r}")
        data = {"custom_id": custom_id, "component_type": comps[0]["type"], "values": list(values)}
        return await self._interact(3, data, msg.guild_id, msg.channel_id, _id(user_id), source=msg)

    async def submit_modal(self, opened: InteractionRecord, values: dict[str, Any]) -> InteractionRecord:
        """Submit the modal ``opened`` opened, as the member's client would (see :class:`modals.Filler` for
        what each field takes: text, an option's value or label, ids, files, True/False)."""
        modal = opened.modal
        if modal is None:
            raise self._error("that interaction did not open a modal")
        guild_id = opened.guild_id

        def resolve(resolved: dict[str, Any], otype: int, value: Any) -> str:
            if guild_id is None:
                raise self._error("entity selects need a guild")
            return self._resolve(resolved, guild_id, otype, value)

        def channel_type(value: Any) -> int | None:
            ch = self.state.channels.get(_id(value))
            return ch.type if ch is not None else None

        data = modals.Filler(values, error=self._error, resolve=resolve, upload=self._upload,
                             channel_type=channel_type).build(modal)
        source = self.state.all_messages.get(opened.source_message_id or 0)
        return await self._interact(5, data, opened.guild_id, opened.channel_id, opened.user_id, source=source,
                                    opened_by=opened)

    def _interaction_payload(self, rec: InteractionRecord, source: Message | None) -> dict[str, Any]:
        channel = self._channel(rec.channel_id)
        payload: dict[str, Any] = {
            "id": str(rec.id),
            "application_id": str(self.application_id),
            "type": rec.type,
            "data": rec.data,
            "channel": channel_json(self.state, channel),
            "channel_id": str(channel.id),
            "token": rec.token,
            "version": 1,
            "locale": self.state.users[rec.user_id].locale,  # the member's client language
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(self.bot_permissions(channel.id)),
        }
        if rec.guild_id is not None:
            guild = self._guild(rec.guild_id)
            member = self._member(guild.id, rec.user_id)
            perms = self.member_permissions(channel.id, rec.user_id)
            payload.update(
                guild_id=str(guild.id), guild_locale=guild.preferred_locale, context=0,
                guild={"id": str(guild.id), "locale": guild.preferred_locale, "features": ["COMMUNITY"]},
                member=member_json(self.state, member) | {"permissions": str(perms)},
                authorizing_integration_owners={"0": str(guild.id)},
            )
        else:
            payload.update(user=self.state.users[rec.user_id].to_json(), context=1,
                           authorizing_integration_owners={"1": str(rec.user_id)})
        if source is not None:
            payload["message"] = message_json(self.state, source)
        return payload

    async def _interact(self, itype: int, data: dict[str, Any], guild_id: int | None, channel_id: int,
                        user_id: int, source: Message | None = None,
                        opened_by: InteractionRecord | None = None) -> InteractionRecord:
        if not self.gateway.by_shard:
            raise self._error("the bot is not connected to the gateway")
        if itype in (2, 4):
            self._require_active_for_actor(channel_id, "use application commands")
        rec = InteractionRecord(self.ids.next(), secrets.token_urlsafe(48), itype, data, guild_id, channel_id,
                                user_id, source_message_id=source.id if source else None, opened_by=opened_by)
        payload = self._interaction_payload(rec, source)
        loop = asyncio.get_running_loop()
        rec.created_at = loop.time()
        rec.created_wall = self.now()
        self.interactions[rec.id] = rec
        self.interactions_by_token[rec.token] = rec
        await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id)
        remaining = self.interaction_timeout - (loop.time() - rec.created_at)
        try:
            await asyncio.wait_for(rec.answered.wait(), max(remaining, 0.0))
        except TimeoutError:
            rec.failed = True
            log.info("interaction %s (%s) was not answered within %.1fs", rec.id, data.get("name") or
                     data.get("custom_id"), self.interaction_timeout)
            return rec
        if rec.response_type in (5, 6):
            try:
                await asyncio.wait_for(rec.finished.wait(), self.followup_timeout)
            except TimeoutError:
                log.info("deferred interaction %s got no follow-up or edit", rec.id)
        await self.settle()
        return rec
