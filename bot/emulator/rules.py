"""Discord rules the emulator enforces: permissions, role hierarchy and content limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.emulator.state import Channel, Guild, Member

# Permission bits (https://discord.com/developers/docs/topics/permissions)
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_AUDIT_LOG = 1 << 7
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
MANAGE_WEBHOOKS = 1 << 29
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40

SEND_POLLS = 1 << 49  # permissions.mdx: create polls

ALL_PERMISSIONS = (1 << 53) - 1

# What @everyone gets in a new guild (close to Discord's default).
DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
    | SEND_POLLS
)

# A sensible default for the bot's managed role.
DEFAULT_BOT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | MANAGE_ROLES
    | MANAGE_NICKNAMES
    | MANAGE_THREADS
    | MANAGE_MESSAGES
    | CREATE_PUBLIC_THREADS
    | MANAGE_CHANNELS
)


class ApiError(Exception):
    """An error answer of the REST API, shaped like Discord's."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def archived_thread() -> ApiError:
    """50083: an operation on an archived thread (threads.mdx, "Active & Archived Threads")."""
    return ApiError(400, 50083, "Thread is archived")


def cannot_reply_without_history() -> ApiError:
    return ApiError(403, 160002, "Cannot reply without permission to read message history")


def thread_locked() -> ApiError:
    return ApiError(403, 160005, "Thread is locked")


def unknown(kind: str) -> ApiError:
    codes = {
        "guild": 10004,
        "channel": 10003,
        "message": 10008,
        "role": 10011,
        "member": 10007,
        "user": 10013,
        "interaction": 10062,
        "webhook": 10015,
        "command": 10063,
        "emoji": 10014,
    }
    return ApiError(404, codes[kind], f"Unknown {kind.capitalize()}")


# --------------------------------------------------------------------------- permissions


def base_permissions(guild: Guild, member: Member) -> int:
    if guild.owner_id == member.user_id:
        return ALL_PERMISSIONS
    perms = guild.roles[guild.id].permissions
    for rid in member.roles:
        role = guild.roles.get(rid)
        if role is not None:
            perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ALL_PERMISSIONS
    return perms


def channel_permissions(guild: Guild, member: Member, channel: Channel, parent: Channel | None = None) -> int:
    """Permissions of ``member`` in ``channel`` (threads use their parent's overwrites)."""
    perms = base_permissions(guild, member)
    if perms & ADMINISTRATOR:
        return ALL_PERMISSIONS
    target = parent if (channel.is_thread and parent is not None) else channel
    overwrites = {int(o["id"]): o for o in target.overwrites}
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        perms &= ~int(everyone.get("deny", 0))
        perms |= int(everyone.get("allow", 0))
    allow = deny = 0
    for rid in member.roles:
        ow = overwrites.get(rid)
        if ow is not None and int(ow.get("type", 0)) == 0:
            allow |= int(ow.get("allow", 0))
            deny |= int(ow.get("deny", 0))
    perms &= ~deny
    perms |= allow
    mine = overwrites.get(member.user_id)
    if mine is not None and int(mine.get("type", 1)) == 1:
        perms &= ~int(mine.get("deny", 0))
        perms |= int(mine.get("allow", 0))
    if not perms & VIEW_CHANNEL:
        return 0
    if not perms & SEND_MESSAGES and not channel.is_thread:
        perms &= ~(EMBED_LINKS | ATTACH_FILES | MENTION_EVERYONE | SEND_MESSAGES_IN_THREADS)
    return perms


def top_role_position(guild: Guild, member: Member) -> int:
    positions = [guild.roles[r].position for r in member.roles if r in guild.roles]
    return max(positions, default=0)


# --------------------------------------------------------------------------- content limits


class FormErrors:
    """Collects errors in Discord's nested `errors` shape (code 50035)."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: list[str | int], code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def too_long(self, path: list[str | int], value: Any, limit: int, *, trimmed: bool = False) -> None:
        if isinstance(value, str) and len(value.strip() if trimmed else value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self) -> None:
        if self.errors:
            raise ApiError(400, 50035, "Invalid Form Body", self.errors)


def _text_len(value: Any) -> int:
    """Discord trims leading and trailing whitespace of embed texts before counting them."""
    return len(value.strip()) if isinstance(value, str) else 0


def embed_length(embed: dict[str, Any]) -> int:
    total = _text_len(embed.get("title")) + _text_len(embed.get("description"))
    total += _text_len((embed.get("footer") or {}).get("text"))
    total += _text_len((embed.get("author") or {}).get("name"))
    for f in embed.get("fields") or []:
        total += _text_len(f.get("name")) + _text_len(f.get("value"))
    return total


def check_embeds(errs: FormErrors, embeds: list[dict[str, Any]], key: str = "embeds") -> None:
    if len(embeds) > 10:
        errs.add([key], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, e in enumerate(embeds):
        errs.too_long([key, i, "title"], e.get("title"), 256, trimmed=True)
        errs.too_long([key, i, "description"], e.get("description"), 4096, trimmed=True)
        errs.too_long([key, i, "footer", "text"], (e.get("footer") or {}).get("text"), 2048, trimmed=True)
        errs.too_long([key, i, "author", "name"], (e.get("author") or {}).get("name"), 256, trimmed=True)
        fields = e.get("fields") or []
        if len(fields) > 25:
            errs.add([key, i, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            errs.too_long([key, i, "fields", j, "name"], f.get("name"), 256, trimmed=True)
            errs.too_long([key, i, "fields", j, "value"], f.get("value"), 1024, trimmed=True)
        total += embed_length(e)
    if total > 6000:
        errs.add([key], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def check_components(errs: FormErrors, components: list[dict[str, Any]]) -> None:
    top_level_rows = [c for c in components if c.get("type") == 1]
    if len(top_level_rows) > 5:
        errs.add(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()

    def walk(comp: dict[str, Any], path: list[str | int]) -> None:
        ctype = comp.get("type")
        children = comp.get("components") or []
        if ctype == 1:
            buttons = [c for c in children if c.get("type") == 2]
            if len(buttons) > 5:
                errs.add(path + ["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        cid = comp.get("custom_id")
        if cid is not None:
            errs.too_long(path + ["custom_id"], cid, 100)
            if cid in seen:
                errs.add(path + ["custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
            seen.add(cid)
        if ctype == 2:
            errs.too_long(path + ["label"], comp.get("label"), 80)
            if comp.get("style") != 5 and comp.get("style") != 6 and not cid:
                errs.add(path + ["custom_id"], "BASE_TYPE_REQUIRED", "This field is required")
        for i, child in enumerate(children):
            walk(child, path + ["components", i])
        if isinstance(comp.get("component"), dict):
            walk(comp["component"], path + ["component"])
        if isinstance(comp.get("accessory"), dict):
            walk(comp["accessory"], path + ["accessory"])

    for i, c in enumerate(components):
        walk(c, ["components", i])


def check_allowed_mentions(errs: FormErrors, allowed: Any) -> None:
    """message.mdx, Allowed Mentions: ``parse`` "is **mutually exclusive** with the other fields"; including both
    ``parse: ["users"]`` and ``users`` (or roles) is "an *invalid* configuration" (a falsy list is fine)."""
    if not isinstance(allowed, dict):
        return
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            errs.add(["allowed_mentions", "parse"], "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                     f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.')


IS_COMPONENTS_V2 = 1 << 15
# Section, Text Display, Thumbnail, Media Gallery, File, Separator, Container (components/reference.mdx)
V2_TYPES = frozenset({9, 10, 11, 12, 13, 14, 17})
V2_MAX_COMPONENTS = 40


def _walk_components(components: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for c in components:
        if not isinstance(c, dict):
            continue
        found.append(c)
        found += _walk_components(c.get("components") or [])
        if isinstance(c.get("accessory"), dict):
            found += _walk_components([c["accessory"]])
    return found


def check_components_v2(errs: FormErrors, payload: dict[str, Any], *, edit: bool) -> None:
    """components/reference.mdx: layout components need the message flag ``1 << 15`` (IS_COMPONENTS_V2); with
    it "the content and embeds fields will no longer work", "the poll and stickers fields are disabled", and
    "messages allow up to 40 total components" (every nested one counts)."""
    flags = int(payload.get("flags") or 0)
    components = payload.get("components") or []
    every = _walk_components(components)
    if flags & IS_COMPONENTS_V2:
        for name in ("content", "embeds", "poll", "sticker_ids"):
            if payload.get(name):
                errs.add([name], "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                         "The 'content', 'embeds', 'sticker_ids' and 'poll' fields cannot be used when using "
                         "MessageFlags.IS_COMPONENTS_V2")
        if len(every) > V2_MAX_COMPONENTS:
            errs.add(["components"], "BASE_TYPE_MAX_LENGTH", f"Must be {V2_MAX_COMPONENTS} or fewer in length.")
    elif not edit and any(c.get("type") in V2_TYPES for c in every):
        errs.add(["components"], "COMPONENT_LAYOUT_REQUIRES_FLAG",
                 "This component requires the message flag IS_COMPONENTS_V2 (1 << 15).")


def check_v2_components(errs: FormErrors, components: list[Any]) -> None:
    """components/reference.mdx, the V2 components' own limits (kept without the spec file too): a Section has
    "one to three child components" and an ``accessory``; a Media Gallery "1 to 10 media gallery items"; a
    Container at least one child; a Thumbnail, a gallery item and a File need their media (a ``url``)."""

    def walk(comp: Any, path: list[str | int]) -> None:
        if not isinstance(comp, dict):
            return
        ctype = comp.get("type")
        children = comp.get("components") or []
        if ctype == 9:
            if not 1 <= len(children) <= 3:
                errs.add(path + ["components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 3 in length.")
            if not isinstance(comp.get("accessory"), dict):
                errs.add(path + ["accessory"], "BASE_TYPE_REQUIRED", "This field is required")
        elif ctype == 17 and not children:
            errs.add(path + ["components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 40 in length.")
        elif ctype == 12:
            items = comp.get("items") or []
            if not 1 <= len(items) <= 10:
                errs.add(path + ["items"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 10 in length.")
            for i, item in enumerate(items):
                if not isinstance(item, dict) or not (item.get("media") or {}).get("url"):
                    errs.add(path + ["items", i, "media"], "BASE_TYPE_REQUIRED", "This field is required")
        elif ctype == 11 and not (comp.get("media") or {}).get("url"):
            errs.add(path + ["media"], "BASE_TYPE_REQUIRED", "This field is required")
        elif ctype == 10 and not comp.get("content"):
            errs.add(path + ["content"], "BASE_TYPE_REQUIRED", "This field is required")
        elif ctype == 10:
            errs.too_long(path + ["content"], comp.get("content"), 4000)
        for i, child in enumerate(children):
            walk(child, path + ["components", i])
        if isinstance(comp.get("accessory"), dict):
            walk(comp["accessory"], path + ["accessory"])

    for i, c in enumerate(components):
        walk(c, ["components", i])


def check_edit_v2(flags: int, content: str, embeds: list[Any], body: dict[str, Any]) -> None:
    """An edit judged against the message it edits (resources/message.mdx, Edit Message): the IS_COMPONENTS_V2
    flag "can only be set", and "when the IS_COMPONENTS_V2 flag is set, any of the used content, embeds,
    sticker_ids, or poll fields must have their values reset to empty ... Failing to do this will result in a
    400 BAD REQUEST response" (so an embed put on a V2 message is refused, and so is a V2 layout put over a
    message whose content or embeds the edit leaves in place); a message without the flag takes no layout
    component (components/reference.mdx: they need the flag)."""
    errs = FormErrors()
    v2 = bool((flags | int(body.get("flags") or 0)) & IS_COMPONENTS_V2)
    components = body.get("components") or []
    if v2:
        after = {"content": body["content"] if "content" in body else content,
                 "embeds": body["embeds"] if "embeds" in body else embeds}
        for name, value in after.items():
            if value:
                errs.add([name], "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                         "The 'content', 'embeds', 'sticker_ids' and 'poll' fields cannot be used when using "
                         "MessageFlags.IS_COMPONENTS_V2")
    elif any(c.get("type") in V2_TYPES for c in _walk_components(components)):
        errs.add(["components"], "COMPONENT_LAYOUT_REQUIRES_FLAG",
                 "This component requires the message flag IS_COMPONENTS_V2 (1 << 15).")
    errs.raise_if_any()


def check_message(payload: dict[str, Any], *, has_files: bool, require_content: bool = True) -> None:
    """Validate a message create/edit body; raise ApiError like Discord does."""
    errs = FormErrors()
    content = payload.get("content")
    errs.too_long(["content"], content, 2000)
    embeds = payload.get("embeds") or []
    check_embeds(errs, embeds)
    components = payload.get("components") or []
    check_components(errs, components)
    check_allowed_mentions(errs, payload.get("allowed_mentions"))
    check_components_v2(errs, payload, edit=not require_content)
    check_v2_components(errs, components)
    errs.raise_if_any()
    if require_content and not (content or embeds or components or has_files or payload.get("sticker_ids") or payload.get("poll")):
        raise ApiError(400, 50006, "Cannot send an empty message")


def check_thread_name(name: Any) -> None:
    errs = FormErrors()
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            errs.add(["name"], "BASE_TYPE_REQUIRED", "This field is required")
        else:
            errs.too_long(["name"], name, 100)
    errs.raise_if_any()


# reference.mdx, "Locales": the languages a client can be in, and the keys of a command's *_localizations.
LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl", "pt-BR",
    "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
})


def check_locale(locale: str) -> None:
    """A test or scenario giving a member or server a language Discord does not have is a mistake in the test."""
    if locale not in LOCALES:
        raise ValueError(f"{locale!r} is not a Discord locale (reference.mdx, Locales): one of {sorted(LOCALES)}")
