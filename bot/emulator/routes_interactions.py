"""REST routes: application commands, interaction callbacks, interaction webhooks (follow-ups)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator import world_interactions as interactions
from bot.emulator.routing import Request, Result, Router, RouteTable
from bot.emulator.serialize import message_json

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

ROUTES = RouteTable()
route = ROUTES.route


def register(router: Router) -> None:
    router.include(ROUTES)


def _true(value: str | None) -> bool:
    return value in ("1", "true", "True")


@route("PUT", "/applications/{application_id}/commands")
async def put_global_commands(emu: Emulator, req: Request) -> Result:
    interactions.own_app(emu, req.params.get("application_id"))
    return 200, interactions.overwrite_commands(emu, req.json, None)


@route("GET", "/applications/{application_id}/commands")
async def get_global_commands(emu: Emulator, req: Request) -> Result:
    interactions.own_app(emu, req.params.get("application_id"))
    return 200, emu.state.global_commands


@route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
async def put_guild_commands(emu: Emulator, req: Request) -> Result:
    interactions.own_app(emu, req.params.get("application_id"))
    return 200, interactions.overwrite_commands(emu, req.json, req.id("guild_id", "Guild"))


@route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
async def get_guild_commands(emu: Emulator, req: Request) -> Result:
    interactions.own_app(emu, req.params.get("application_id"))
    gid = req.id("guild_id", "Guild")
    emu._guild(gid)
    return 200, emu.state.guild_commands.get(gid, [])


@route("POST", "/interactions/{interaction_id}/{interaction_token}/callback", auth=False)
async def interaction_callback(emu: Emulator, req: Request) -> Result:
    res = await interactions.respond(emu, req.params["interaction_id"], req.params["interaction_token"],
                                     req.body(), req.files)
    if not _true(req.query.get("with_response")):
        return 204, None
    rec, message = res.rec, res.message
    interaction: dict[str, Any] = {"id": str(rec.id), "type": rec.type}
    if message is not None and res.type in (4, 5, 7):
        interaction.update(response_message_id=str(message.id), response_message_loading=res.type == 5,
                           response_message_ephemeral=rec.ephemeral)
    out: dict[str, Any] = {"interaction": interaction}
    if message is not None and res.type in (4, 7):  # the spec has a resource only for these two
        out["resource"] = {"type": res.type, "message": message_json(emu.state, message)}
    return 200, out


# ---------------------------------------------------------------------------------------------- webhooks


@route("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False)
async def followup(emu: Emulator, req: Request) -> Result:
    rec = interactions.by_webhook(emu, req.params["webhook_id"], req.params["webhook_token"])
    msg = await interactions.followup(emu, rec, req.body(), req.files)
    if _true(req.query.get("wait")):
        return 200, message_json(emu.state, msg)
    return 204, None


async def _get(emu: Emulator, req: Request) -> Result:
    rec = interactions.by_webhook(emu, req.params["webhook_id"], req.params["webhook_token"])
    return 200, message_json(emu.state, interactions.target(rec, req.params.get("message_id")))


async def _patch(emu: Emulator, req: Request) -> Result:
    rec = interactions.by_webhook(emu, req.params["webhook_id"], req.params["webhook_token"])
    msg = await interactions.edit(emu, rec, req.params.get("message_id"), req.body(), req.files)
    return 200, message_json(emu.state, msg)


async def _delete(emu: Emulator, req: Request) -> Result:
    rec = interactions.by_webhook(emu, req.params["webhook_id"], req.params["webhook_token"])
    await interactions.delete(emu, rec, req.params.get("message_id"))
    return 204, None


for _tmpl in ("/webhooks/{webhook_id}/{webhook_token}/messages/@original",
              "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"):
    route("GET", _tmpl, auth=False)(_get)
    route("PATCH", _tmpl, auth=False)(_patch)
    route("DELETE", _tmpl, auth=False)(_delete)
