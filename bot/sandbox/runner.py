"""Run a parsed scenario against the real bot on the emulator, printing a transcript."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import func, select

from bot.core.oauth2 import SECRET_ENV
from bot.emulator import EmulatorError
from bot.emulator.routes_apps import qualifies
from bot.ledger.tables import contributions
from bot.platform.clock import parse_duration
from bot.rewards.codes import mask_code
from bot.rewards.tables import perk_codes
from bot.sandbox.harness import Harness, MemberSpec
from bot.sandbox.scenario import Scenario, ScenarioError, Step
from bot.sandbox.summary import summarize
from bot.sandbox.transcript import V2, Transcript, describe_message, walk_components

log = logging.getLogger(__name__)
# The client secret the sandbox's own "Developer Portal" gives the bot when a scenario turns Linked Roles on
# (bot/sandbox/cli.py sets it before the bot starts, unless the environment has one).
SANDBOX_SECRET = "sandbox-oauth2-client-secret"


def _text_of(message: Any) -> str:
    parts = [message.content or ""]
    for embed in message.embeds or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f.get('name', '')} {f.get('value', '')}" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    parts += [c["content"] for c in walk_components(message.components or []) if c.get("type") == 10]
    return "\n".join(parts)


def _ref_text(ref: Any) -> str:
    """A message reference as the transcript names it: ``{id = "a"}`` → ``message 'a'``."""
    if isinstance(ref, dict) and len(ref) == 1:
        (kind, value), = ref.items()
        return {"id": f"message '{value}'", "last_bot_message_in": f"the bot's last message in {value}",
                "last_message_in": f"the last message in {value}"}.get(kind, str(ref))
    return str(ref)


TEXT_EXPECTS = ("ephemeral_contains", "dm_contains", "contains", "dm_lacks")


def _modal_options(modal: dict[str, Any]) -> set[str]:
    """The labels of every select option in a form (as its member sees them)."""
    out = set()
    for top in modal.get("components") or []:
        inner = top.get("component") if isinstance(top.get("component"), dict) else {}
        for c in [inner, *(top.get("components") or [])]:
            out.update(str(o.get("label")) for o in c.get("options") or [] if o.get("label"))
    return out


def _modal_labels(modal: dict[str, Any]) -> set[str]:
    out = set()
    for top in modal.get("components") or []:
        if top.get("label"):
            out.add(top["label"])
        for c in top.get("components") or []:
            if c.get("label"):
                out.add(c["label"])
        if isinstance(top.get("component"), dict) and top["component"].get("label"):
            out.add(top["component"]["label"])
    return out


class ScenarioRunner:
    def __init__(self, scenario: Scenario, harness: Harness, out: Callable[[str], None] = print) -> None:
        self.s = scenario
        self.h = harness
        self.out = out
        self.failures: list[str] = []
        self.still_english: list[str] = []  # checks met only by the English text (played in another language)
        self.last_interaction: dict[str, Any] = {}
        self._codes: list[str] = []

    def _label_on(self, message_id: int, label: str) -> str:
        """A button's label in the language played, or as written when the message shows it so."""
        said = self.s.say(label)
        message = self.h.emu.message(message_id)
        labels = {c.get("label") for row in message.components for c in row.get("components", [])}
        return said if said in labels or label not in labels else label

    # -- references ---------------------------------------------------------------------------------
    def message_ref(self, ref: Any, step: Step) -> int:
        emu = self.h.emu
        if not isinstance(ref, dict) or len(ref) != 1:
            raise ScenarioError("a message reference is {id = \"label\"}, {last_bot_message_in = \"…\"} or "
                                "{last_message_in = \"…\"}", step.number)
        (kind, value), = ref.items()
        if kind == "id":
            if value not in self.h.labels:
                raise ScenarioError(f"no message or thread labelled {value!r} yet", step.number)
            return self.h.labels[value]
        if kind in ("last_bot_message_in", "last_message_in"):
            try:
                channel_id = self.h.channel_id(value)
            except KeyError as exc:
                raise ScenarioError(str(exc.args[0]), step.number) from None
            messages = [m for m in emu.messages(channel_id) if not m.deleted]
            if kind == "last_bot_message_in":
                messages = [m for m in messages if m.author_id == emu.bot_user_id]
            if not messages:
                raise ScenarioError(f"no {'bot ' if kind == 'last_bot_message_in' else ''}message in {value!r}",
                                    step.number)
            return messages[-1].id
        raise ScenarioError(f"unknown message reference {kind!r}", step.number)

    def channel(self, name: str, step: Step) -> str:
        """A channel or thread by name; a thread the bot named in the language played (``Acme app 2.0 ·
        discussion``) is also found by the scenario's ``[texts.<lang>]`` entry for it."""
        try:
            self.h.channel_id(name)
        except KeyError as exc:
            said = self.s.say(name)
            try:
                self.h.channel_id(said)
            except KeyError:
                raise ScenarioError(str(exc.args[0]), step.number) from None
            return said
        return name

    def slash_options(self, command: str, given: Any, step: Step) -> dict[str, Any]:
        """A slash command's options with members, roles and channels given by name (``member = "bob"``,
        ``role = "Staff"``, ``channel = "help"`` or a thread label) turned into their ids, by each option's
        type in the command tree the bot registered."""
        if not isinstance(given, dict):
            raise ScenarioError("`options` is a table: options = { name = value }", step.number)
        types = {str(d["name"]): int(d["type"]) for d in self._option_defs(command)}
        options: dict[str, Any] = {}
        for name, value in given.items():
            otype = types.get(name)
            if otype in (6, 7, 8, 9) and isinstance(value, str):
                value = self._named(name, otype, value, step)
            options[name] = value
        return options

    def _option_defs(self, command: str) -> list[dict[str, Any]]:
        parts = command.strip().lstrip("/").split()
        emu = self.h.emu
        cmd = next((c for c in emu.commands(self.h.guild_id) + emu.commands()
                    if parts and c["name"] == parts[0] and int(c.get("type") or 1) == 1), None)
        defs: list[dict[str, Any]] = (cmd or {}).get("options") or []
        for part in parts[1:]:
            sub = next((o for o in defs if o["name"] == part and int(o["type"]) in (1, 2)), None)
            defs = (sub or {}).get("options") or []
        return defs  # an unknown command or subcommand is reported by the emulator, with what exists

    def _named(self, option: str, otype: int, value: str, step: Step) -> int:
        name = value.strip()
        if otype in (6, 9) and name.lstrip("@") in self.h.members:
            return self.h.members[name.lstrip("@")]
        if otype in (8, 9):
            role = self.h.emu.role_by_name(self.h.guild_id, name) or self.h.emu.role_by_name(
                self.h.guild_id, name.lstrip("@"))
            if role is not None:
                return role.id
        if otype == 7:
            try:
                return self.h.channel_id(name)
            except KeyError:
                pass
        if name.isdigit():
            return int(name)
        what = {6: "member", 7: "channel or thread label", 8: "role", 9: "member or role"}[otype]
        known = {6: sorted(self.h.members), 8: sorted(self.h.roles), 9: sorted(self.h.members) + sorted(self.h.roles),
                 7: None}[otype]
        hint = f" (known: {', '.join(known)})" if known else ""
        raise ScenarioError(f"option {option!r}: unknown {what} {value!r}{hint}", step.number)

    # -- running ------------------------------------------------------------------------------------
    async def run(self) -> int:
        transcript = Transcript(self.h.emu, self.h.guild_id, mask=self.mask)
        transcript.skip()
        for step in self.s.steps:
            self.out(f"[{step.number}] {self.describe(step)}")
            await self._guarded(step, self.execute(step))
            await self.refresh_codes()  # codes loaded by this step are masked in what it printed
            for line in transcript.new_lines():
                self.out(line)
            if "expect" in step.raw:
                await self._guarded(step, self.check(step, step.raw["expect"]))
        return 1 if self.failures else 0

    @staticmethod
    async def _guarded(step: Step, work: Coroutine[Any, Any, None]) -> None:
        """Run one step's action or check: whatever it trips over is a scenario problem (exit code 2) with the
        step's number, never a traceback."""
        try:
            await work
        except ScenarioError as exc:
            if exc.step is None:
                raise ScenarioError(str(exc), step.number) from None
            raise
        except EmulatorError as exc:
            raise ScenarioError(str(exc), step.number) from None
        except KeyError as exc:
            raise ScenarioError(str(exc.args[0]) if exc.args else "unknown name", step.number) from None
        except Exception as exc:  # noqa: BLE001 - reported with the step number, the run stops with exit 2
            log.debug("step %d could not run", step.number, exc_info=True)
            raise ScenarioError(f"this step could not run ({type(exc).__name__}: {exc})", step.number) from None

    def describe(self, step: Step) -> str:
        r = step.raw
        who = step.actor or "—"
        match step.action:
            case "say":
                return f"{who} in {r['in']}: {r['say']!r}"
            case "post":
                return f"{who} opens a post '{r['post']}' in {r['in']}" + (f" tagged {', '.join(r['tags'])}"
                                                                         if r.get("tags") else "")
            case "slash":
                # perk codes typed into a command (``/perks add-codes codes:…``) are masked like every code
                opts = " ".join(f"{k}:{' '.join(mask_code(c) for c in str(v).split()) if k == 'codes' else v}"
                                for k, v in (r.get("options") or {}).items())
                return f"{who} runs /{r['slash']} {opts}".rstrip()
            case "context_menu":
                return f"{who} uses '{r['context_menu']}' on {_ref_text(r['target'])}"
            case "click":
                return f"{who} clicks '{r['click']}' on {_ref_text(r['on'])}"
            case "modal":
                return f"{who} fills the form: " + ", ".join(f"{k}={v!r}" for k, v in r["modal"].items())
            case "react" | "unreact":
                return f"{who} {step.action}s {r[step.action]}"
            case "advance":
                return f"time passes: {r['advance']}"
            case "restart":
                return "the bot restarts"
            case "link_roles":
                return f"{who} links Kudos in the server's Linked Roles menu (Kudos' verification URL)"
            case "fault":
                return f"fault injected: {r['fault']}"
            case "expect":
                return f"check {who}: {r['expect']}"
            case _:
                return f"{who} {step.action} {r.get(step.action)}"

    async def execute(self, step: Step) -> None:
        r = step.raw
        actor = self.h.member(step.actor) if step.actor and step.action != "join" else None
        match step.action:
            case "say":
                msg = await actor.say(str(r["say"]), in_=self.channel(r["in"], step))
                self._label(step, msg.id)
            case "post":
                thread, _ = await actor.post(str(r["post"]), in_=self.channel(r["in"], step),
                                             content=str(r.get("content", "")), tags=list(r.get("tags", [])))
                self._label(step, thread.id)
            case "slash":
                options = self.slash_options(str(r["slash"]), r.get("options") or {}, step)
                if "in" in r:
                    options["channel_"] = self.channel(r["in"], step)
                self._interaction(step, await actor.slash(str(r["slash"]), **options))
            case "context_menu":
                target = self.message_ref(r["target"], step)
                self._interaction(step, await actor.context_menu(str(r["context_menu"]), message_id=target))
            case "click":
                target = self.message_ref(r["on"], step)
                self._interaction(step, await actor.click(target, label=self._label_on(target, str(r["click"]))))
            case "modal":
                opened = self.last_interaction.get(step.actor or "")
                if opened is None or not getattr(opened, "modal", None):
                    raise ScenarioError("the previous step of this member opened no form (modal)", step.number)
                # text as text; true/false ticks a checkbox, a list picks several options; a label in the
                # sandbox's language when the form has it
                fields, options = _modal_labels(opened.modal), _modal_options(opened.modal)

                def said(v: Any) -> Any:  # an option's label in the sandbox's language when the form has it
                    if isinstance(v, list):
                        return [said(x) for x in v]
                    if isinstance(v, bool):
                        return v
                    return self.s.say(str(v)) if self.s.say(str(v)) in options else str(v)

                self._interaction(step, await actor.submit_modal(opened, {
                    (self.s.say(str(k)) if self.s.say(str(k)) in fields else str(k)): said(v)
                    for k, v in r["modal"].items()}))
            case "react":
                await actor.react(self.message_ref(r["on"], step), str(r["react"]))
            case "unreact":
                await actor.unreact(self.message_ref(r["on"], step), str(r["unreact"]))
            case "join":
                spec = next(m for m in self.h.world.members if m.name == step.actor)
                if step.actor in self.h.members and step.actor not in self.s.absent:
                    self.h.emu.add_member(self.h.guild_id, spec.name, user_id=self.h.members[spec.name])
                else:
                    self.h.add_member(MemberSpec(spec.name, spec.roles, spec.account_age_days, 0, spec.dms_open,
                                                 spec.locale))
                self.s.absent.discard(step.actor or "")
                await self.h.settle()
            case "leave":
                await actor.leave()
            case "set_roles":
                try:
                    await actor.set_roles(list(r["set_roles"]))
                except KeyError as exc:
                    raise ScenarioError(str(exc.args[0]), step.number) from None
            case "advance":
                await self.h.advance(parse_duration(str(r["advance"])))
            case "fault":
                await self.fault(step, dict(r["fault"]))
            case "restart":
                await self.h.restart()
            case "link_roles":
                await self.link_roles(step, actor)
            case "expect":
                pass

    async def link_roles(self, step: Step, actor: Any) -> None:
        """The member opens the verification URL, authorises Kudos on Discord's consent screen and comes back
        (docs/linked-roles.md). The sandbox is its own Developer Portal: it sets the OAuth2 redirect and a client
        secret the first time. Prints the role connection Discord now holds."""
        bot = self.h.bot
        if bot is None or bot.web is None or not bot.config.linked_roles.enabled:
            raise ScenarioError("link_roles needs [config.web] enabled = true and [config.linked_roles] "
                                "enabled = true", step.number)
        self.h.developer_portal_linked_roles(os.environ.get(SECRET_ENV) or SANDBOX_SECRET)
        status, page = await actor.link_roles()
        if status != 200:
            raise ScenarioError(f"linking failed: HTTP {status}: {_page_text(page)[:300]}", step.number)
        await self.h.settle()
        found = self.h.emu.oauth.connections.get(actor.id) or {}
        numbers = ", ".join(f"{k} {v}" for k, v in sorted((found.get("metadata") or {}).items()))
        self.out(f"  → Discord holds {actor.name}'s role connection: {numbers or 'no numbers yet'}")

    def _label(self, step: Step, object_id: int) -> None:
        if step.label:
            self.h.labels[step.label] = object_id

    def _interaction(self, step: Step, inter: Any) -> None:
        self.last_interaction[step.actor or ""] = inter
        if inter is not None and getattr(inter, "failed", False):
            self.out("  ✗ the interaction failed: the bot did not answer within 3 seconds")
        message = getattr(inter, "message", None)
        if step.label and message is not None:
            self.h.labels[step.label] = message.id

    async def fault(self, step: Step, fault: dict[str, Any]) -> None:
        emu = self.h.emu
        if "disconnect" in fault:
            await emu.disconnect(resume=fault["disconnect"] != "reconnect")
            await self.h.settle()
            return
        try:
            emu.faults.add(**fault)
        except TypeError as exc:
            raise ScenarioError(f"bad fault {fault}: {exc}", step.number) from None

    # -- expectations -------------------------------------------------------------------------------
    def _localised(self, expect: dict[str, Any]) -> dict[str, Any]:
        """The expected texts in the language played (``Scenario.say``)."""
        out = dict(expect)
        for key in TEXT_EXPECTS:
            if isinstance(out.get(key), str):
                out[key] = self.s.say(out[key])
        for key, inner in (("message_lacks", "text"), ("message_count", "contains"), ("dm_count", "contains")):
            if isinstance(out.get(key), dict) and isinstance(out[key].get(inner), str):
                out[key] = {**out[key], inner: self.s.say(out[key][inner])}
        return out

    async def check(self, step: Step, expect: dict[str, Any]) -> None:
        """Check ``expect`` in the language played; a text the bot still says in English (not converted yet,
        docs/languages.md "Known limits") passes but is counted in ``still_english`` and shown."""
        localised = self._localised(expect)
        problems = await self._problems(step, localised)
        if problems and localised != expect and not await self._problems(step, expect):
            self.still_english.append(f"step {step.number}")
            self.out("  ✓ " + ", ".join(f"{k} {v}" for k, v in expect.items()) + f" (still in English, not "
                     f"{self.s.language})")
            return
        for problem in problems:
            self.failures.append(f"step {step.number}: {problem}")
            self.out(f"  ✗ expected: {problem}")
        if not problems:
            self.out("  ✓ " + ", ".join(f"{k} {v}" for k, v in localised.items()))

    async def _problems(self, step: Step, expect: dict[str, Any]) -> list[str]:
        if step.actor is None and any(k in expect for k in ("has_role", "lacks_role", "dm_contains", "linked_role",
                                                            "ephemeral_contains", "points", "no_dm",
                                                            "dm_lacks", "dm_count")):
            raise ScenarioError("this expectation needs `as = \"member\"`", step.number)
        actor = self.h.member(step.actor) if step.actor else None
        problems: list[str] = []
        if "has_role" in expect and expect["has_role"] not in actor.roles():
            problems.append(f"{actor.name} lacks the role {expect['has_role']!r} (has {actor.roles()})")
        if "lacks_role" in expect and expect["lacks_role"] in actor.roles():
            problems.append(f"{actor.name} has the role {expect['lacks_role']!r}")
        if "linked_role" in expect:
            # a server role with a Linked Roles requirement (each key: "at least N", the records' type 2)
            for key, wanted in dict(expect["linked_role"]).items():
                if not qualifies(self.h.emu, actor.id, str(key), int(wanted)):
                    have = ((self.h.emu.oauth.connections.get(actor.id) or {}).get("metadata") or {}).get(key)
                    problems.append(f"{actor.name} does not meet the linked role's requirement {key} ≥ {wanted} "
                                    f"(their role connection: {have if have is not None else 'none'})")
        if "dm_contains" in expect and not any(expect["dm_contains"] in _text_of(m) for m in actor.dms()):
            problems.append(f"no DM to {actor.name} contains {expect['dm_contains']!r}")
        if expect.get("no_dm") and actor.dms():
            problems.append(f"{actor.name} received a DM")
        if "ephemeral_contains" in expect and not any(
            expect["ephemeral_contains"] in _text_of(m) for m in actor.ephemerals()
        ):
            problems.append(f"no private reply to {actor.name} contains {expect['ephemeral_contains']!r}")
        if "message_in" in expect:
            channel_id = self.h.channel_id(self.channel(expect["message_in"], step))
            wanted = expect.get("contains", "")
            if not any(wanted in _text_of(m) for m in self.h.emu.messages(channel_id) if not m.deleted):
                problems.append(f"no message in {expect['message_in']!r} contains {wanted!r}")
        if "dm_lacks" in expect:
            found = [m for m in actor.dms() if expect["dm_lacks"] in _text_of(m)]
            if found:
                problems.append(f"a DM to {actor.name} contains {expect['dm_lacks']!r}")
        if "dm_count" in expect:
            wanted, count = self._count_spec(expect["dm_count"], step)
            got = sum(wanted in _text_of(m) for m in actor.dms())
            if got != count:
                problems.append(f"{got} DM(s) to {actor.name} contain {wanted!r}, expected {count}")
        if "message_lacks" in expect:
            spec = self._table(expect["message_lacks"], "message_lacks", ("in", "text"), step)
            channel_id = self.h.channel_id(self.channel(spec["in"], step))
            if any(spec["text"] in _text_of(m) for m in self.h.emu.messages(channel_id) if not m.deleted):
                problems.append(f"a message in {spec['in']!r} contains {spec['text']!r}")
        if "no_message_in" in expect:
            channel_id = self.h.channel_id(self.channel(expect["no_message_in"], step))
            if any(not m.deleted for m in self.h.emu.messages(channel_id)):
                problems.append(f"there are messages in {expect['no_message_in']!r}")
        if "message_count" in expect:
            spec = self._table(expect["message_count"], "message_count", ("in", "contains", "count"), step)
            channel_id = self.h.channel_id(self.channel(spec["in"], step))
            wanted, count = self._count_spec(spec, step)
            got = sum(wanted in _text_of(m) for m in self.h.emu.messages(channel_id) if not m.deleted)
            if got != count:
                problems.append(f"{got} message(s) in {spec['in']!r} contain {wanted!r}, expected {count}")
        if "points" in expect:
            got = await self.points(actor.id, expect.get("kind"))
            if got != int(expect["points"]):
                kind = f" {expect['kind']}" if expect.get("kind") else ""
                problems.append(f"{actor.name} has {got}{kind} points, expected {expect['points']}")
        if expect.get("interaction_failed") is not None:
            inter = self.last_interaction.get(step.actor or "")
            if bool(getattr(inter, "failed", False)) != bool(expect["interaction_failed"]):
                problems.append("interaction failure state differs from expected")
        return problems

    @staticmethod
    def _table(value: Any, name: str, keys: tuple[str, ...], step: Step) -> dict[str, Any]:
        if not isinstance(value, dict) or set(value) != set(keys):
            raise ScenarioError(f"{name} is a table with exactly {', '.join(keys)}", step.number)
        return value

    @classmethod
    def _count_spec(cls, value: Any, step: Step) -> tuple[str, int]:
        if isinstance(value, dict) and "in" in value:
            value = {k: v for k, v in value.items() if k != "in"}
        spec = cls._table(value, "a count", ("contains", "count"), step)
        if not isinstance(spec["contains"], str) or not isinstance(spec["count"], int) or isinstance(
                spec["count"], bool) or spec["count"] < 0:
            raise ScenarioError("a count is { contains = \"text\", count = N } with N ≥ 0", step.number)
        return spec["contains"], spec["count"]

    async def points(self, user_id: int, kind: str | None) -> int:
        assert self.h.bot is not None
        stmt = select(func.coalesce(func.sum(contributions.c.points), 0)).where(
            contributions.c.guild_id == self.h.guild_id, contributions.c.user_id == user_id)
        if kind:
            stmt = stmt.where(contributions.c.kind == kind)
        async with self.h.bot.db.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    # -- secrecy and final state --------------------------------------------------------------------
    def mask(self, line: str) -> str:
        for code in self._codes:
            line = line.replace(code, mask_code(code))
        return line

    async def refresh_codes(self) -> None:
        if self.h.bot is None:
            return
        async with self.h.bot.db.connect() as conn:
            self._codes = [c for c in (await conn.execute(select(perk_codes.c.code))).scalars() if c]

    async def final_state(self) -> dict[str, Any]:
        emu = self.h.emu
        names = {uid: name for name, uid in self.h.members.items()}
        members = {}
        for name in self.h.members:
            actor = self.h.member(name)
            members[name] = {
                "roles": actor.roles(),
                "dms": [self.mask(_text_of(m)) for m in actor.dms()],
                "ephemerals": [self.mask(_text_of(m)) for m in actor.ephemerals()],
            }
        channels: dict[str, Any] = {}
        guild = emu.state.guilds[self.h.guild_id]
        for channel_id in guild.channel_ids:
            channel = emu.state.channels[channel_id]
            channels[channel.name or str(channel_id)] = self._channel_state(channel, names)
            for thread in emu.threads(channel_id):
                channels[f"{channel.name}/{thread.name}"] = self._channel_state(thread, names, parent=channel)
        assert self.h.bot is not None
        async with self.h.bot.db.connect() as conn:
            db = await summarize(conn, self.h.guild_id)
        db["points"] = {names.get(int(uid), uid): kinds for uid, kinds in db["points"].items()}
        for row in db["grants"] + db["perk_codes"]:
            key = "user" if "user" in row else "member"
            row[key] = names.get(int(row[key]), row[key])
        for beta in db["betas"]:
            beta["participants"] = [names.get(int(u), u) for u in beta["participants"]]
            beta["waitlist"] = [names.get(int(u), u) for u in beta["waitlist"]]
        for item in db["feedback"]:
            item["reporter"] = names.get(int(item["reporter"]), item["reporter"])
        return {"members": members, "channels": channels, "database": db,
                "expect_failures": list(self.failures)}

    def _channel_state(self, channel: Any, names: dict[int, str], parent: Any = None) -> dict[str, Any]:
        emu = self.h.emu
        messages = []
        for m in emu.messages(channel.id):
            if m.deleted:
                continue
            author = "Kudos" if m.author_id == emu.bot_user_id else names.get(m.author_id, str(m.author_id))
            buttons = [c.get("label") for c in walk_components(m.components) if c.get("type") == 2 and c.get("label")]
            messages.append({
                "author": author,
                "content": self.mask(m.content),
                "embeds": [{"title": e.get("title"), "description": self.mask(e.get("description") or "")}
                           for e in m.embeds],
                **({"card": [self.mask(c["content"]) for c in walk_components(m.components) if c.get("type") == 10]}
                   if m.flags & V2 else {}),
                "buttons": buttons,
            })
        state: dict[str, Any] = {"messages": messages}
        if parent is not None:
            tags = {str(t["id"]): t["name"] for t in parent.available_tags}
            state["tags"] = [tags.get(str(t), str(t)) for t in channel.applied_tags]
            state["archived"] = channel.archived
        return state


__all__ = ["ScenarioRunner", "describe_message"]


def _page_text(page: str) -> str:
    """A web page's text, for a one-line error."""
    import re

    body = page.split("<body", 1)[-1]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())
