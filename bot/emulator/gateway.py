"""The gateway websocket: HELLO/IDENTIFY/READY/RESUME, dispatch per shard, member chunking."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from bot.emulator.serialize import guild_create_json, member_json

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 41250

# gateway.mdx, Gateway Intents: every intent bit Discord defines; others close the connection with 4013.
VALID_INTENTS = sum(1 << b for b in (*range(17), 20, 21, 24, 25))
GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT = 1 << 1, 1 << 8, 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
# Message fields that "contain message content and therefore require the intent" (gateway.mdx).
_CONTENT_FIELDS = {"content": "", "embeds": [], "attachments": [], "components": []}


def strip_message_content(emu: Emulator, data: dict[str, Any]) -> dict[str, Any]:
    """gateway.mdx, Message Content Intent: without MESSAGE_CONTENT, message fields arrive empty except in
    messages the app sent, in DMs, and in messages that mention the app."""
    if not emu.strict.message_content_intent or "guild_id" not in data:
        return data
    me = str(emu.bot_user_id)
    if (data.get("author") or {}).get("id") == me or any(u.get("id") == me for u in data.get("mentions") or []):
        return data
    return {**data, **{k: type(v)() for k, v in _CONTENT_FIELDS.items() if k in data}}


@dataclass
class Session:
    session_id: str
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    buffer: list[dict[str, Any]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    live: asyncio.Event = field(default_factory=asyncio.Event)
    first_seq: int = 1  # the oldest sequence number still in ``buffer`` (older events can't be replayed)


@dataclass
class DispatchedEvent:
    name: str
    data: dict[str, Any]
    shard_id: int
    delivered: bool


class Gateway:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.sessions: dict[str, Session] = {}
        self.by_shard: dict[int, Session] = {}
        self.identifies = 0
        self.resumes = 0
        self.intents: int | None = None
        self.events: list[DispatchedEvent] = []
        self._sockets: set[web.WebSocketResponse] = set()
        self._gate = asyncio.Event()
        self._gate.set()
        self.heartbeat_interval = HEARTBEAT_INTERVAL  # ms, sent in HELLO
        self.replay_limit = 1000  # events kept per session for RESUME
        self.closes: list[int] = []  # close codes the gateway sent
        self.invalid_sessions = 0  # op 9 sent

    def _strip_content(self, event: str, data: dict[str, Any], session: Session) -> dict[str, Any]:
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT:
            return data
        return strip_message_content(self.emu, data)

    # ------------------------------------------------------------------ helpers

    def shard_for(self, guild_id: int | None) -> int:
        if guild_id is None:
            return 0
        return (guild_id >> 22) % self.emu.shard_count

    @property
    def connected(self) -> bool:
        return bool(self.by_shard) and all(s.ws is not None and s.live.is_set() for s in self.by_shard.values())

    async def wait_connected(self, timeout: float = 5.0, shards: int | None = None) -> None:
        want = shards if shards is not None else self.emu.shard_count

        async def _wait() -> None:
            while len(self.by_shard) < want or not self.connected:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

        await asyncio.wait_for(_wait(), timeout)

    async def _send(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> bool:
        if ws.closed:
            return False
        try:
            await ws.send_str(json.dumps(payload))
            return True
        except (ConnectionError, RuntimeError) as exc:  # socket went away under us
            log.debug("gateway send failed: %s", exc)
            return False

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None = None) -> bool:
        """Send a DISPATCH to the shard owning ``guild_id``. Returns whether a live socket got it."""
        shard_id = self.shard_for(guild_id)
        session = self.by_shard.get(shard_id)
        if session is None:
            self.events.append(DispatchedEvent(event, data, shard_id, False))
            return False
        self.emu._touch()
        async with session.lock:
            session.seq += 1
            payload = {"op": 0, "t": event, "s": session.seq, "d": self._strip_content(event, data, session)}
            session.buffer.append(payload)
            if len(session.buffer) > self.replay_limit:
                del session.buffer[:-self.replay_limit]
            session.first_seq = session.buffer[0]["s"]
            ok = False
            if session.ws is not None and session.live.is_set():
                ok = await self._send(session.ws, payload)
        self.events.append(DispatchedEvent(event, payload["d"], shard_id, ok))  # as the bot got it
        return ok

    def dispatch_soon(self, event: str, data: dict[str, Any], guild_id: int | None = None) -> None:
        """Schedule a dispatch from synchronous code (keeps order: the session lock is FIFO)."""
        if not self.by_shard:
            self.events.append(DispatchedEvent(event, data, self.shard_for(guild_id), False))
            return
        self.emu._spawn(self.dispatch(event, data, guild_id))

    # ------------------------------------------------------------------ connection control

    async def disconnect(self, *, resume: bool = True, shard_id: int | None = None, hold: bool = False) -> None:
        if hold:
            self._gate.clear()
        targets = [s for sid, s in self.by_shard.items() if shard_id is None or sid == shard_id]
        for session in targets:
            ws = session.ws
            session.live.clear()
            session.ws = None
            if not resume:
                self.sessions.pop(session.session_id, None)
                self.by_shard.pop(session.shard_id, None)
            if ws is None or ws.closed:
                continue
            if resume:
                await ws.close(code=4000, message=b"emulated disconnect")
            else:
                await self._send(ws, {"op": 9, "d": False})

    def release(self) -> None:
        self._gate.set()

    async def reconnect(self, shard_id: int | None = None) -> None:
        """Send op 7 Reconnect: the client should reconnect and RESUME (gateway.mdx, Resuming)."""
        for sid, session in list(self.by_shard.items()):
            if (shard_id is None or sid == shard_id) and session.ws is not None:
                await self._send(session.ws, {"op": 7, "s": None, "t": None, "d": None})

    async def _close(self, ws: web.WebSocketResponse, code: int, reason: bytes) -> None:
        self.closes.append(code)
        await ws.close(code=code, message=reason)

    async def _watch_heartbeats(self, ws: web.WebSocketResponse, beats: list[float]) -> None:
        """gateway.mdx: "If your app fails to send a heartbeat event in time, your connection will be closed and
        you will be forced to Resume." (The docs name no close code; 4000 keeps the session resumable.)"""
        loop = asyncio.get_running_loop()
        grace = self.heartbeat_interval / 1000 * 1.5  # Discord allows for some network latency
        while not ws.closed:
            await asyncio.sleep(grace / 4)
            if loop.time() - beats[-1] > grace and not ws.closed:
                log.info("gateway: no heartbeat for %.2fs, closing", grace)
                await self._close(ws, 4000, b"heartbeat missed")
                return

    async def close_all(self) -> None:
        self._gate.set()
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.close(code=1001, message=b"emulator shutting down")
        self.by_shard.clear()
        self.sessions.clear()

    # ------------------------------------------------------------------ websocket handler

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session: Session | None = None
        try:
            await self._gate.wait()
            await self._send(ws, {"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval}})
            beats = [asyncio.get_running_loop().time()]
            # not one of the emulator's tasks: settle() waits for those, and this one lives as long as the socket
            watchdog = asyncio.get_running_loop().create_task(self._watch_heartbeats(ws, beats))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.ERROR:
                        break
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                op = payload.get("op")
                data = payload.get("d")
                if op == 1:
                    beats.append(asyncio.get_running_loop().time())
                    del beats[:-2]
                    await self._send(ws, {"op": 11, "s": None, "t": None, "d": None})
                elif op == 2:
                    session = await self._identify(ws, data or {})
                elif op == 6:
                    session = await self._resume(ws, data or {})
                elif op == 8:
                    await self._request_members(ws, session, data or {})
                elif op in (3, 4):
                    pass
                else:
                    log.debug("gateway: ignoring op %s", op)
        except Exception as exc:  # pragma: no cover - recorded, never raised into aiohttp
            log.exception("gateway handler failed")
            self.emu.errors.append(f"gateway: {exc!r}")
        finally:
            if "watchdog" in locals():
                watchdog.cancel()
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                session.live.clear()
            if not ws.closed:
                await ws.close()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        token = str(data.get("token", "")).removeprefix("Bot ")
        if token != self.emu.token:
            await self._close(ws, 4004, b"Authentication failed.")
            return None
        shard_id, shard_count = data.get("shard") or [0, 1]
        if shard_count != self.emu.shard_count:
            await self._close(ws, 4011, b"Sharding required.")
            return None
        intents = data.get("intents", 0)
        if not isinstance(intents, int) or intents < 0 or intents & ~VALID_INTENTS:
            await self._close(ws, 4013, b"Invalid intent(s).")
            return None
        if intents & PRIVILEGED_INTENTS & ~self.emu.privileged_intents:
            await self._close(ws, 4014, b"Disallowed intent(s).")
            return None
        self.identifies += 1
        self.intents = int(data.get("intents", 0))
        old = self.by_shard.get(shard_id)
        if old is not None:
            self.sessions.pop(old.session_id, None)
        session = Session(secrets.token_hex(16), shard_id, shard_count, self.intents)
        self.sessions[session.session_id] = session
        self.by_shard[shard_id] = session
        emu = self.emu
        guilds = [g for g in emu.state.guilds.values() if self.shard_for(g.id) == shard_id]
        async with session.lock:
            session.ws = ws
            session.seq += 1
            ready = {
                "v": 10,
                "user": emu.state.users[emu.bot_user_id].to_json(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": emu.gateway_url,
                "shard": [shard_id, shard_count],
                "application": {"id": str(emu.application_id), "flags": 0},
                "private_channels": [],
                "presences": [],
                "relationships": [],
                "user_settings": {},
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "auth_session_id_hash": "",
                "_trace": ["emulator"],
            }
            await self._send(ws, {"op": 0, "t": "READY", "s": session.seq, "d": ready})
            for g in guilds:
                session.seq += 1
                gc = guild_create_json(emu.state, g, members_limit=emu.members_in_guild_create)
                await self._send(ws, {"op": 0, "t": "GUILD_CREATE", "s": session.seq, "d": gc})
            session.live.set()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        token = str(data.get("token", "")).removeprefix("Bot ")
        last = int(data.get("seq") or 0)
        if session is not None and last + 1 < session.first_seq and session.seq > last:
            # gateway.mdx: a session that can't be resumed gets Invalid Session; missed events are lost
            self.sessions.pop(session.session_id, None)
            if self.by_shard.get(session.shard_id) is session:
                self.by_shard.pop(session.shard_id)
            session = None
        if session is None or token != self.emu.token:
            self.invalid_sessions += 1
            await self._send(ws, {"op": 9, "s": None, "t": None, "d": False})
            return None
        self.resumes += 1
        async with session.lock:
            session.ws = ws
            for payload in session.buffer:
                if payload["s"] > last:
                    await self._send(ws, payload)
            session.seq += 1
            await self._send(ws, {"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": ["emulator"]}})
            session.live.set()
        return session

    async def _request_members(self, ws: web.WebSocketResponse, session: Session | None, data: dict[str, Any]) -> None:
        if session is None:
            return
        guild = self.emu.state.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        user_ids = data.get("user_ids")
        if user_ids:
            wanted = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if m.user_id in wanted]
        query = data.get("query")
        if query:
            members = [m for m in members if self.emu.state.users[m.user_id].username.lower().startswith(query.lower())]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunks = [members[i : i + 1000] for i in range(0, len(members), 1000)] or [[]]
        for index, chunk in enumerate(chunks):
            payload: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [member_json(self.emu.state, m) for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
                "not_found": [],
            }
            if data.get("nonce") is not None:
                payload["nonce"] = data["nonce"]
            if data.get("presences"):
                payload["presences"] = []
            self.emu.chunk_requests += 1
            await self.dispatch("GUILD_MEMBERS_CHUNK", payload, guild.id)
