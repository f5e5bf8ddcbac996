"""Interactions in the world: registered commands, the bot's callbacks and its webhook follow-ups."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.emulator import rules
from bot.emulator.modals import check_modal
from bot.emulator.rules import LOCALES, ApiError, FormErrors, check_message, unknown
from bot.emulator.state import Message
from bot.emulator.world_messages import (
    Files,
    apply_edit,
    build_message,
    delete_message_model,
    publish,
    set_attachments,
)
from bot.emulator.world_threads import require_active

if TYPE_CHECKING:
    from bot.emulator.actors import InteractionRecord
    from bot.emulator.server import Emulator

CHAT_INPUT_NAME = re.compile(r"^[-_'\w]{1,32}$")
# receiving-and-responding.mdx: "Interaction tokens are valid for **15 minutes**"
TOKEN_LIFETIME = timedelta(minutes=15)


# ---------------------------------------------------------------------------------------------- commands


def _valid_name(name: str) -> bool:
    return bool(CHAT_INPUT_NAME.match(name)) and name == name.lower()


def _check_localizations(errs: FormErrors, at: list[Any], obj: dict[str, Any], *, chat_name: bool,
                         name_limit: int = 32, description: bool = True) -> None:
    """application-commands.mdx, Localization: ``name_localizations`` / ``description_localizations`` have
    keys in the available locales (reference.mdx, Locales), and "values follow the same restrictions as
    ``name``" (the name regex and lower case for CHAT_INPUT commands and options) / ``description``."""
    for key, limit in (("name_localizations", name_limit), ("description_localizations", 100)):
        if key == "description_localizations" and not description:
            continue
        values = obj.get(key)
        if values is None:
            continue
        for locale, text in values.items():
            where = [*at, key, locale]
            if locale not in LOCALES:
                errs.add(where, "APPLICATION_COMMAND_INVALID_LOCALE", f"Invalid locale: {locale}")
            elif not isinstance(text, str) or not 1 <= len(text) <= limit:
                errs.add(where, "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {limit} in length.")
            elif key == "name_localizations" and chat_name and not _valid_name(text):
                errs.add(where, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _localized_names(items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each locale's names of sibling options (the base name where one has no localisation)."""
    locales = {loc for item in items for loc in (item.get("name_localizations") or {})}
    return {loc: [(item.get("name_localizations") or {}).get(loc, item.get("name") or "") for item in items]
            for loc in locales}


def _check_options(errs: FormErrors, at: list[Any], options: list[dict[str, Any]]) -> None:
    for n, opt in enumerate(options):
        where = [*at, "options", n]
        if not _valid_name(opt.get("name") or ""):
            errs.add([*where, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        _check_localizations(errs, where, opt, chat_name=True)
        for c, choice in enumerate(opt.get("choices") or []):
            _check_localizations(errs, [*where, "choices", c], choice, chat_name=False, name_limit=100,
                                 description=False)
        _check_options(errs, where, opt.get("options") or [])
    for locale, names in _localized_names(options).items():
        for n, name in enumerate(names):
            if name in names[:n]:
                errs.add([*at, "options", n, "name_localizations", locale], "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                         f"Option names must be unique in {locale}")


def _check_command(errs: FormErrors, i: int, cmd: dict[str, Any]) -> None:
    ctype = int(cmd.get("type") or 1)
    name = cmd.get("name") or ""
    if ctype == 1:
        if not _valid_name(name):
            errs.add([i, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        desc = cmd.get("description") or ""
        if not 1 <= len(desc) <= 100:
            errs.add([i, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        _check_options(errs, [i], cmd.get("options") or [])
    elif not 1 <= len(name) <= 32:
        errs.add([i, "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    # User and message commands: names are free text (up to 32), and they have no description to localise.
    _check_localizations(errs, [i], cmd, chat_name=ctype == 1, description=ctype == 1)
    if len(cmd.get("options") or []) > 25:
        errs.add([i, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")


def own_app(emu: Emulator, application_id: str | None) -> None:
    if application_id != str(emu.application_id):
        raise ApiError(403, 50001, "Missing Access")


def _store_commands(emu: Emulator, body: Any, current: list[dict[str, Any]], guild_id: int | None) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise ApiError(400, 50035, "Invalid Form Body", {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array"}]})
    errs = FormErrors()
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(body):
        _check_command(errs, i, cmd)
        key = (int(cmd.get("type") or 1), cmd.get("name") or "")
        if key in seen:
            errs.add([i, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
        seen.add(key)
    for ctype in {int(c.get("type") or 1) for c in body}:
        same_type = [c for c in body if int(c.get("type") or 1) == ctype]
        for locale, names in _localized_names(same_type).items():
            if len(set(names)) != len(names):
                errs.add([], "APPLICATION_COMMANDS_DUPLICATE_NAME",
                         f"Application command names must be unique in {locale}")
    errs.raise_if_any()
    old = {(int(c.get("type") or 1), c["name"]): c for c in current}
    out = []
    for cmd in body:
        key = (int(cmd.get("type") or 1), cmd["name"])
        prev = old.get(key)
        stored = dict(cmd)
        stored.update(
            id=prev["id"] if prev else str(emu.ids.next()),
            application_id=str(emu.application_id),
            version=str(emu.ids.next()),
            type=key[0],
            default_member_permissions=(None if cmd.get("default_member_permissions") is None
                                        else str(cmd["default_member_permissions"])),  # a bitfield string
            description=cmd.get("description") or "",
            nsfw=bool(cmd.get("nsfw", False)),
            integration_types=cmd.get("integration_types") or [0],  # application-commands.mdx: guild install
        )
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        out.append(stored)
    return out


def overwrite_commands(emu: Emulator, body: Any, guild_id: int | None) -> list[dict[str, Any]]:
    """Bulk Overwrite Global/Guild Application Commands; a command keeps its id when its (type, name) stays."""
    if guild_id is None:
        emu.state.global_commands = _store_commands(emu, body, emu.state.global_commands, None)
        return emu.state.global_commands
    emu._guild(guild_id)
    cmds = _store_commands(emu, body, emu.state.guild_commands.get(guild_id, []), guild_id)
    emu.state.guild_commands[guild_id] = cmds
    return cmds


# ---------------------------------------------------------------------------------------------- callbacks


def interaction_metadata(emu: Emulator, rec: InteractionRecord) -> dict[str, Any]:
    """message.mdx, Message Interaction Metadata Object: the interaction a message answers and "the user who
    triggered the interaction"."""
    owners = {"0": str(rec.guild_id)} if rec.guild_id is not None else {"1": str(rec.user_id)}
    out: dict[str, Any] = {"id": str(rec.id), "type": rec.type, "user": emu.state.users[rec.user_id].to_json(),
                           "authorizing_integration_owners": owners}
    if rec.type == 3 and rec.source_message_id is not None:
        out["interacted_message_id"] = str(rec.source_message_id)
    if rec.type == 5:
        opener = rec.opened_by
        out["triggering_interaction_metadata"] = (
            interaction_metadata(emu, opener) if opener is not None and opener.type in (2, 3)
            else {"id": str(rec.id), "type": 2, "authorizing_integration_owners": owners})
    return out


def _response_message(emu: Emulator, rec: InteractionRecord, data: dict[str, Any], flags: int) -> Message:
    channel = emu._channel(rec.channel_id)
    msg = build_message(emu, channel, emu.bot_user_id, dict(data, flags=flags), [])
    msg.webhook_id = emu.application_id
    msg.application_id = emu.application_id
    msg.interaction_id = rec.id
    msg.interaction_metadata = interaction_metadata(emu, rec)
    msg.type = 20 if rec.type == 2 else 0
    if msg.ephemeral:
        msg.ephemeral_for = rec.user_id
    return msg


@dataclass
class CallbackResult:
    rec: InteractionRecord
    type: int
    message: Message | None


def _find(emu: Emulator, interaction_id: str, token: str) -> InteractionRecord:
    rec = emu.interactions.get(int(interaction_id)) if interaction_id.isdigit() else None
    if rec is None or rec.token != token:
        raise unknown("interaction")
    if asyncio.get_running_loop().time() - rec.created_at > emu.interaction_timeout:
        rec.failed = True
        raise unknown("interaction")
    return rec


async def respond(emu: Emulator, interaction_id: str, token: str, body: dict[str, Any], files: Files) -> CallbackResult:
    """Create Interaction Response: one per interaction, within the interaction timeout."""
    rec = _find(emu, interaction_id, token)
    if rec.response_type is not None:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    ctype = int(body.get("type") or 0)
    data = body.get("data") or {}
    if ctype not in (1, 4, 5, 6, 7, 8, 9):
        raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": [
            {"code": "BASE_TYPE_CHOICES", "message": "Value must be one of (1, 4, 5, 6, 7, 8, 9, 10, 12)."}]}})
    if (ctype == 8) != (rec.type == 4):  # receiving-and-responding.mdx: type 8 answers autocomplete, only it
        raise ApiError(400, 40004, "Interaction response type is not valid for this interaction")
    if ctype == 8:
        choices = data.get("choices")
        if not isinstance(choices, list) or len(choices) > 25:
            raise ApiError(400, 50035, "Invalid Form Body", {"data": {"choices": {"_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}]}}})
    if ctype in (6, 7) and rec.source_message_id is None:
        raise ApiError(400, 40004, "Interaction response type is not valid for this interaction")
    if ctype == 9 and rec.type == 5:
        raise ApiError(400, 40004, "Interaction response type is not valid for this interaction")
    flags = int(data.get("flags") or 0)
    message: Message | None = None
    if ctype == 4:
        check_message(data, has_files=bool(files))
        message = _response_message(emu, rec, data, flags)
        if files:
            set_attachments(emu, message, data, files)
        await publish(emu, message)
    elif ctype == 5:
        if flags & rules.IS_COMPONENTS_V2:  # receiving-and-responding.mdx: with a deferred message "the only
            # valid message flag you may use is EPHEMERAL"; a V2 message comes with the edit of the original
            raise ApiError(400, 50035, "Invalid Form Body", {"data": {"flags": {"_errors": [
                {"code": "INTERACTION_RESPONSE_FLAGS_INVALID", "message": "Invalid flags for this response type"}]}}})
        message = _response_message(emu, rec, {"content": ""}, (flags & 64) | 128)
        await publish(emu, message)
    elif ctype in (6, 7):
        message = emu.state.all_messages.get(rec.source_message_id or 0)
        if message is None:
            raise unknown("message")
        if ctype == 7:
            _require_editable(emu, message)
            await apply_edit(emu, message, data, files)
    elif ctype == 9:
        check_modal(data)  # receiving-and-responding.mdx, Modal; components/reference.mdx
        rec.modal = data
    rec.response_type = ctype
    rec.response = data
    rec.ephemeral = bool(flags & 64) or bool(message is not None and message.ephemeral)
    rec.message = message
    rec.answered.set()
    if ctype not in (5, 6):
        rec.finished.set()
    return CallbackResult(rec, ctype, message)


# ---------------------------------------------------------------------------------------------- webhooks


def by_webhook(emu: Emulator, webhook_id: str, token: str) -> InteractionRecord:
    """The interaction behind a webhook token (usable once the interaction was answered)."""
    rec = emu.interactions_by_token.get(token)
    if rec is None or webhook_id != str(emu.application_id) or rec.response_type is None:
        raise ApiError(404, 10015, "Unknown Webhook")
    if rec.created_wall is not None and emu.now() - rec.created_wall > TOKEN_LIFETIME:
        raise ApiError(401, 50027, "Invalid Webhook Token")
    return rec


def target(rec: InteractionRecord, message_id: str | None) -> Message:
    """``@original`` (message_id None) or one of the interaction's follow-ups."""
    if message_id is None:
        if rec.message is None:
            raise unknown("message")
        return rec.message
    for msg in [rec.message, *rec.followups]:
        if msg is not None and str(msg.id) == message_id:
            return msg
    raise unknown("message")


async def followup(emu: Emulator, rec: InteractionRecord, body: dict[str, Any], files: Files) -> Message:
    """Create Followup Message. Directly after a deferred response (type 5) it edits the loading message
    instead (receiving-and-responding.mdx): no new message, and the defer's ephemeral state is kept."""
    check_message(body, has_files=bool(files))
    original = rec.message
    if (rec.response_type == 5 and original is not None and original.flags & 128 and not original.deleted
            and not rec.followups):
        await apply_edit(emu, original, dict(body, flags=int(body.get("flags") or 0) & ~64), files)
        rec.followups.append(original)
        rec.finished.set()
        return original
    msg = _response_message(emu, rec, body, int(body.get("flags") or 0))
    msg.type = 0
    if files:
        set_attachments(emu, msg, body, files)
    await publish(emu, msg)
    if rec.response_type == 6 and not rec.followups:  # after a silent deferred update this is the answer
        rec.ephemeral = msg.ephemeral
    rec.followups.append(msg)
    rec.finished.set()
    return msg


def _require_editable(emu: Emulator, msg: Message) -> None:
    """threads.mdx: "Users cannot edit messages ... in archived threads" — an interaction's edit of a message
    in an archived thread (UPDATE_MESSAGE, or PATCH of the webhook message) is refused with 50083 too.
    Ephemeral messages belong to no channel's history and stay editable."""
    channel = emu.state.channels.get(msg.channel_id)
    if channel is not None and not msg.ephemeral:
        require_active(emu, channel)


async def edit(emu: Emulator, rec: InteractionRecord, message_id: str | None, body: dict[str, Any],
               files: Files) -> Message:
    msg = target(rec, message_id)
    _require_editable(emu, msg)
    await apply_edit(emu, msg, body, files)
    rec.edits.append(body)
    rec.finished.set()
    return msg


async def delete(emu: Emulator, rec: InteractionRecord, message_id: str | None) -> None:
    await delete_message_model(emu, target(rec, message_id))
    rec.finished.set()
