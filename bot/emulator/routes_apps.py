"""REST routes of Linked Roles: the application's role-connection metadata records (bot token) and a user's role
connection (OAuth2 bearer token with ``role_connections.write``).

developers/resources/application-role-connection-metadata.mdx: "An application can have a maximum of 5
metadata records"; a record's ``key`` "must be a-z, 0-9, or _ characters; 1-50 characters"; types 1-4 and 7-8
compare integers, 5-6 ISO8601 datetimes. developers/resources/user.mdx: the role connection maps metadata keys
to their "string-ified value (max 100 characters)"; Get/Update/Delete Current User Application Role
Connection "require an OAuth2 access token with role_connections.write scope for the application specified
in the path". Lengths and counts are also in the spec (checked before these handlers run); the keys' existence
and the values' form are the emulator's own rules.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.emulator.routing import Request, Result, Router, RouteTable
from bot.emulator.rules import ApiError

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

ROUTES = RouteTable()
route = ROUTES.route
_KEY = re.compile(r"^[a-z0-9_]{1,50}$")
_INTEGER_TYPES = {1, 2, 3, 4, 7, 8}
_CONNECTION = "/users/@me/applications/{application_id}/role-connection"


def register(router: Router) -> None:
    router.include(ROUTES)


def _form_error(field: str, message: str) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", {field: {"_errors": [{"code": "BASE_TYPE_INVALID",
                                                                          "message": message}]}})


def _own_app(emu: Emulator, req: Request) -> None:
    if req.params["application_id"] != str(emu.application_id):
        raise ApiError(403, 50001, "Missing Access")


@route("GET", "/applications/{application_id}/role-connections/metadata")
async def get_metadata(emu: Emulator, req: Request) -> Result:
    _own_app(emu, req)
    return 200, list(emu.oauth.metadata)


@route("PUT", "/applications/{application_id}/role-connections/metadata")
async def put_metadata(emu: Emulator, req: Request) -> Result:
    _own_app(emu, req)
    records = req.json if isinstance(req.json, list) else []
    if len(records) > 5:
        raise _form_error("_errors", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for index, record in enumerate(records):
        key = str(record.get("key", ""))
        if not _KEY.match(key):
            raise _form_error(f"{index}.key", "Must match a-z, 0-9 or _ (1-50 characters).")
        if key in seen:
            raise _form_error(f"{index}.key", "Keys must be unique.")
        seen.add(key)
    emu.oauth.metadata = [{k: r[k] for k in ("type", "key", "name", "description", "name_localizations",
                                            "description_localizations") if k in r} for r in records]
    return 200, list(emu.oauth.metadata)


def _oauth_user(emu: Emulator, req: Request) -> int:
    if req.oauth_user is None:  # a bot token: these are the user's own routes
        raise ApiError(401, 0, "401: Unauthorized")
    _own_app(emu, req)
    return req.oauth_user


def _check_value(key: str, value: Any, kind: int) -> None:
    if not isinstance(value, str):
        raise _form_error(f"metadata.{key}", "Must be a string.")
    if kind in _INTEGER_TYPES:
        if not re.fullmatch(r"-?\d+", value):
            raise _form_error(f"metadata.{key}", "Must be an integer.")
    else:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise _form_error(f"metadata.{key}", "Must be an ISO8601 datetime.") from None


def _connection_json(found: dict[str, Any] | None) -> dict[str, Any]:
    found = found or {"platform_name": None, "platform_username": None, "metadata": {}}
    out = {"platform_username": found["platform_username"], "metadata": found["metadata"]}
    if found["platform_name"] is not None:  # the spec's answer has a string or no platform_name, never null
        out["platform_name"] = found["platform_name"]
    return out


@route("GET", _CONNECTION)
async def get_connection(emu: Emulator, req: Request) -> Result:
    user_id = _oauth_user(emu, req)
    return 200, _connection_json(emu.oauth.connections.get(user_id))


@route("PUT", _CONNECTION)
async def put_connection(emu: Emulator, req: Request) -> Result:
    user_id = _oauth_user(emu, req)
    body = req.body()
    types = {r["key"]: int(r["type"]) for r in emu.oauth.metadata}
    metadata = body.get("metadata") or {}
    for key, value in metadata.items():
        if key not in types:
            raise _form_error(f"metadata.{key}", "Unknown metadata key (not among the application's records).")
        _check_value(key, value, types[key])
    current = emu.oauth.connections.get(user_id, {"platform_name": None, "platform_username": None, "metadata": {}})
    updated = {
        "platform_name": body.get("platform_name", current["platform_name"]),
        "platform_username": body.get("platform_username", current["platform_username"]),
        "metadata": dict(metadata) if "metadata" in body else current["metadata"],
    }
    emu.oauth.connections[user_id] = updated
    return 200, _connection_json(updated)


@route("DELETE", _CONNECTION)
async def delete_connection(emu: Emulator, req: Request) -> Result:
    user_id = _oauth_user(emu, req)
    emu.oauth.connections.pop(user_id, None)
    return 204, None


def qualifies(emu: Emulator, user_id: int, key: str, configured: int) -> bool:
    """Whether the user's role connection meets a role requirement ``key`` with the guild's ``configured``
    value, by the record's type (application-role-connection-metadata.mdx, Metadata Type table)."""
    record = next((r for r in emu.oauth.metadata if r["key"] == key), None)
    value = (emu.oauth.connections.get(user_id) or {}).get("metadata", {}).get(key)
    if record is None or value is None:
        return False
    kind = int(record["type"])
    if kind in _INTEGER_TYPES:
        number = int(value)
        return {1: number <= configured, 2: number >= configured, 3: number == configured,
                4: number != configured, 7: number == 1, 8: number != 1}[kind]
    days = (emu.now() - datetime.fromisoformat(value)).days  # days before the current date
    return days >= configured if kind == 5 else days <= configured
