"""REST routes: application commands, interaction callbacks, interaction webhooks (follow-ups)."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from bot.emulator.routes_channels import (
    apply_edit,
    build_message,
    delete_message_model,
    post_message,
    set_attachments,
)
from bot.emulator.routing import Request, Result, route
from bot.emulator.rules import ApiError, FormErrors, check_message, unknown
from bot.emulator.serialize import message_json
from bot.emulator.state import Message

if TYPE_CHECKING:
    from bot.emulator.actors import InteractionRecord
    from bot.emulator.server import Emulator

CHAT_INPUT_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _check_command(errs: FormErrors, i: int, cmd: dict[str, Any]) -> None:
    ctype = int(cmd.get("type") or 1)
    name = cmd.get("name") or ""
    if ctype == 1:
        if not CHAT_INPUT_NAME.match(name) or name != name.lower():
            errs.add([i, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        desc = cmd.get("description") or ""
        if not 1 <= len(desc) <= 100:
            errs.add([i, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    elif not 1 <= len(name) <= 32:
        errs.add([i, "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    if len(cmd.get("options") or []) > 25:
        errs.add([i, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")


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
            default_member_permissions=cmd.get("default_member_permissions"),
            description=cmd.get("description") or "",
            nsfw=bool(cmd.get("nsfw", False)),
        )
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        out.append(stored)
    return out


@route("PUT", "/applications/{application_id}/commands")
async def put_global_commands(emu: Emulator, req: Request) -> Result:
    _own_app(emu, req)
    emu.state.global_commands = _store_commands(emu, req.json, emu.state.global_commands, None)
    return 200, emu.state.global_commands


@route("GET", "/applications/{application_id}/commands")
async def get_global_commands(emu: Emulator, req: Request) -> Result:
    _own_app(emu, req)
    return 200, emu.state.global_commands


@route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
async def put_guild_commands(emu: Emulator, req: Request) -> Result:
    _own_app(emu, req)
    gid = req.id("guild_id", "Guild")
    emu._guild(gid)
    cmds = _store_commands(emu, req.json, emu.state.guild_commands.get(gid, []), gid)
    emu.state.guild_commands[gid] = cmds
    return 200, cmds


@route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
async def get_guild_commands(emu: Emulator, req: Request) -> Result:
    _own_app(emu, req)
    gid = req.id("guild_id", "Guild")
    emu._guild(gid)
    return 200, emu.state.guild_commands.get(gid, [])


def _own_app(emu: Emulator, req: Request) -> None:
    if req.params.get("application_id") != str(emu.application_id):
        raise ApiError(403, 50001, "Missing Access")


# ---------------------------------------------------------------------------------------------- callbacks


def _response_message(emu: Emulator, rec: InteractionRecord, data: dict[str, Any], flags: int) -> Message:
    channel = emu._channel(rec.channel_id)
    msg = build_message(emu, channel, emu.bot_user_id, dict(data, flags=flags), [])
    msg.webhook_id = emu.application_id
    msg.application_id = emu.application_id
    msg.interaction_id = rec.id
    msg.type = 20 if rec.type == 2 else 0
    if msg.ephemeral:
        msg.ephemeral_for = rec.user_id
    return msg


def _check_modal(data: dict[str, Any]) -> None:
    errs = FormErrors()
    errs.too_long(["data", "title"], data.get("title"), 45)
    errs.too_long(["data", "custom_id"], data.get("custom_id"), 100)
    comps = data.get("components") or []
    if not 1 <= len(comps) <= 5:
        errs.add(["data", "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    errs.raise_if_any()


@route("POST", "/interactions/{interaction_id}/{interaction_token}/callback", auth=False)
async def interaction_callback(emu: Emulator, req: Request) -> Result:
    rec = emu.interactions.get(int(req.params["interaction_id"])) if req.params["interaction_id"].isdigit() else None
    if rec is None or rec.token != req.params["interaction_token"]:
        raise unknown("interaction")
    if asyncio.get_running_loop().time() - rec.created_at > emu.interaction_timeout:
        rec.failed = True
        raise unknown("interaction")
    if rec.response_type is not None:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    body = req.body()
    ctype = int(body.get("type") or 0)
    data = body.get("data") or {}
    if ctype not in (1, 4, 5, 6, 7, 8, 9):
        raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": [
            {"code": "BASE_TYPE_CHOICES", "message": "Value must be one of (1, 4, 5, 6, 7, 8, 9, 10, 12)."}]}})
    if ctype in (6, 7) and rec.source_message_id is None:
        raise ApiError(400, 40004, "Interaction response type is not valid for this interaction")
    if ctype == 9 and rec.type == 5:
        raise ApiError(400, 40004, "Interaction response type is not valid for this interaction")
    flags = int(data.get("flags") or 0)
    message: Message | None = None
    if ctype == 4:
        check_message(data, has_files=bool(req.files))
        message = _response_message(emu, rec, data, flags)
        if req.files:
            set_attachments(emu, message, data, req.files)
        emu._store_message(message)
        if not message.ephemeral:
            await emu.gateway.dispatch("MESSAGE_CREATE", message_json(emu.state, message), message.guild_id)
    elif ctype == 5:
        message = _response_message(emu, rec, {"content": ""}, (flags & 64) | 128)
        await post_message(emu, message) if not message.ephemeral else emu._store_message(message)
    elif ctype in (6, 7):
        message = emu.state.all_messages.get(rec.source_message_id or 0)
        if message is None:
            raise unknown("message")
        if ctype == 7:
            await apply_edit(emu, message, data, req.files)
    elif ctype == 9:
        _check_modal(data)
        rec.modal = data
    rec.response_type = ctype
    rec.response = data
    rec.ephemeral = bool(flags & 64) or bool(message is not None and message.ephemeral)
    rec.message = message
    rec.answered.set()
    if ctype not in (5, 6):
        rec.finished.set()
    if req.query.get("with_response") not in ("1", "true", "True"):
        return 204, None
    out: dict[str, Any] = {
        "interaction": {
            "id": str(rec.id),
            "type": rec.type,
            "response_message_id": str(message.id) if message is not None else None,
            "response_message_loading": ctype == 5,
            "response_message_ephemeral": rec.ephemeral,
        },
        "resource": {"type": ctype},
    }
    if message is not None and ctype in (4, 5, 7):
        out["resource"]["message"] = message_json(emu.state, message)
    return 200, out


# ---------------------------------------------------------------------------------------------- webhooks


def _interaction_for(emu: Emulator, req: Request) -> InteractionRecord:
    rec = emu.interactions_by_token.get(req.params["webhook_token"])
    if rec is None or req.params["webhook_id"] != str(emu.application_id) or rec.response_type is None:
        raise ApiError(404, 10015, "Unknown Webhook")
    return rec


def _target(emu: Emulator, rec: InteractionRecord, req: Request) -> Message:
    mid = req.params.get("message_id")
    if mid is None:  # @original
        if rec.message is None:
            raise unknown("message")
        return rec.message
    for msg in [rec.message, *rec.followups]:
        if msg is not None and str(msg.id) == mid:
            return msg
    raise unknown("message")


@route("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False)
async def followup(emu: Emulator, req: Request) -> Result:
    rec = _interaction_for(emu, req)
    body = req.body()
    check_message(body, has_files=bool(req.files))
    msg = _response_message(emu, rec, body, int(body.get("flags") or 0))
    msg.type = 0
    if req.files:
        set_attachments(emu, msg, body, req.files)
    if msg.ephemeral:
        emu._store_message(msg)
    else:
        await post_message(emu, msg)
    if rec.response_type == 6 and not rec.followups:  # after a silent deferred update this is the answer
        rec.ephemeral = msg.ephemeral
    rec.followups.append(msg)
    rec.finished.set()
    if req.query.get("wait") in ("true", "1", "True"):
        return 200, message_json(emu.state, msg)
    return 204, None


async def _get(emu: Emulator, req: Request) -> Result:
    rec = _interaction_for(emu, req)
    return 200, message_json(emu.state, _target(emu, rec, req))


async def _patch(emu: Emulator, req: Request) -> Result:
    rec = _interaction_for(emu, req)
    msg = _target(emu, rec, req)
    body = req.body()
    await apply_edit(emu, msg, body, req.files)
    rec.edits.append(body)
    rec.finished.set()
    return 200, message_json(emu.state, msg)


async def _delete(emu: Emulator, req: Request) -> Result:
    rec = _interaction_for(emu, req)
    await delete_message_model(emu, _target(emu, rec, req))
    rec.finished.set()
    return 204, None


for _tmpl in ("/webhooks/{webhook_id}/{webhook_token}/messages/@original",
              "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"):
    route("GET", _tmpl, auth=False)(_get)
    route("PATCH", _tmpl, auth=False)(_patch)
    route("DELETE", _tmpl, auth=False)(_delete)
