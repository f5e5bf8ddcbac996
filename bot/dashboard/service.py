"""Login links, sessions and CSRF tokens of the staff dashboard, and the lists its pages read."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.dashboard import store as repo
from bot.dashboard.tokens import BadToken, mac, sign, unsign
from bot.platform.clock import Clock
from bot.platform.db.engine import Database
from bot.platform.errors import Conflict, InvalidInput, NotAllowed
from bot.platform.i18n import N_

log = logging.getLogger(__name__)

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=12)
SECRET_ENV = "KUDOS_WEB_SECRET"
MIN_SECRET = 32
LINK_PURPOSE = "kudos.web.login"
CSRF_PURPOSE = "kudos.web.csrf"
AUDIT_LIMIT = 200


def secret_from_env(env: Mapping[str, str] | None = None) -> tuple[bytes, bool]:
    """The signing secret from ``KUDOS_WEB_SECRET``, or a random one (``True``: ephemeral) when unset."""
    value = (env if env is not None else os.environ).get(SECRET_ENV, "")
    if value:
        if len(value) < MIN_SECRET:
            raise ValueError(f"{SECRET_ENV} is {len(value)} characters long; use at least {MIN_SECRET} random "
                             "characters (python -c \"import secrets; print(secrets.token_urlsafe(32))\")")
        return value.encode(), False
    return secrets.token_bytes(32), True


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a valid (signed, unexpired) login link says: who, where, and its one-time nonce."""

    guild_id: int
    user_id: int
    nonce: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    guild_id: int
    user_id: int
    expires_at: datetime
    csrf: str


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


class WebService:
    def __init__(self, db: Database, clock: Clock, secret: bytes) -> None:
        self.db = db
        self.clock = clock
        self._secret = secret

    # ------------------------------------------------------------------ login links

    def link_token(self, guild_id: int, user_id: int) -> str:
        """A signed login token for this member of this guild, valid for :data:`LINK_TTL`, usable once."""
        expires = self.clock.now() + LINK_TTL
        return sign(self._secret, LINK_PURPOSE, {"g": str(guild_id), "u": str(user_id),
                                                 "n": secrets.token_urlsafe(24), "e": int(expires.timestamp())})

    def check_link(self, token: str) -> LinkClaims:
        """The claims of a login token; raises :class:`NotAllowed` (tampered, malformed or expired)."""
        try:
            data = unsign(self._secret, LINK_PURPOSE, token)
            guild_id, user_id, nonce, exp = int(data["g"]), int(data["u"]), str(data["n"]), int(data["e"])
        except (BadToken, KeyError, TypeError, ValueError):
            raise NotAllowed(N_("This login link is not valid. Run /dashboard in your server for a new one.")) from None
        if not (0 < guild_id < 2**64 and 0 < user_id < 2**64 and 16 <= len(nonce) <= 64):
            raise NotAllowed(N_("This login link is not valid. Run /dashboard in your server for a new one."))
        expires = datetime.fromtimestamp(exp, tz=self.clock.now().tzinfo)
        if self.clock.now() >= expires:
            raise NotAllowed(N_("This login link has expired (links last 10 minutes). Run /dashboard for a new one."))
        return LinkClaims(guild_id, user_id, nonce, expires)

    async def start_session(self, claims: LinkClaims) -> tuple[str, Session]:
        """Use the link (once) and open a session; returns the cookie value. Raises :class:`Conflict` when the
        link was used before. The caller has checked that the member is staff *now*."""
        now = self.clock.now()
        cookie = secrets.token_urlsafe(32)
        expires = now + SESSION_TTL
        async with self.db.begin() as conn:
            if not await repo.use_nonce(conn, claims.nonce, guild_id=claims.guild_id, user_id=claims.user_id,
                                        now=now, expires_at=claims.expires_at):
                raise Conflict(N_("This login link was already used; each link works once. Run /dashboard for a new one."))
            await repo.purge(conn, now)
            await repo.create_session(conn, id_hash=_hash(cookie), guild_id=claims.guild_id, user_id=claims.user_id,
                                      now=now, expires_at=expires)
        return cookie, Session(claims.guild_id, claims.user_id, expires, self.csrf_token(cookie))

    # ------------------------------------------------------------------ sessions

    async def session(self, cookie: str | None) -> Session | None:
        """The live session of a cookie value, or ``None`` (unknown, expired or logged out)."""
        if not cookie or len(cookie) > 100:
            return None
        async with self.db.connect() as conn:
            row = await repo.session(conn, _hash(cookie))
        if row is None or row.revoked_at is not None or self.clock.now() >= row.expires_at:
            return None
        return Session(row.guild_id, row.user_id, row.expires_at, self.csrf_token(cookie))

    async def logout(self, cookie: str | None) -> None:
        if not cookie or len(cookie) > 100:
            return
        async with self.db.begin() as conn:
            await repo.revoke_session(conn, _hash(cookie), self.clock.now())

    async def revoke_member(self, guild_id: int, user_id: int) -> int:
        """End every live session of this member in this guild (they lost the staff role): a second browser,
        or a session opened before, does not come back to life when they are made staff again."""
        async with self.db.begin() as conn:
            return await repo.revoke_member_sessions(conn, guild_id, user_id, self.clock.now())

    def csrf_token(self, cookie: str) -> str:
        """The session's CSRF token: derived from the cookie, so it needs no storage and dies with the session."""
        return mac(self._secret, CSRF_PURPOSE, cookie.encode()).hex()

    @staticmethod
    def csrf_ok(session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(session.csrf.encode(), str(token).encode())

    # ------------------------------------------------------------------ page data

    async def member_names(self, guild_id: int, query: str, *, limit: int = 25) -> list[tuple[int, str]]:
        async with self.db.connect() as conn:
            return await repo.member_names(conn, guild_id, query, limit=limit)

    async def audit(self, guild_id: int, *, member_id: int | None = None, action: str | None = None,
                    since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
        if since is not None and until is not None and until <= since:
            raise InvalidInput(N_("The end date must come after the start date."))
        async with self.db.connect() as conn:
            return await repo.audit(conn, guild_id, member_id=member_id, action=action or None, since=since,
                                    until=until, limit=AUDIT_LIMIT)

    async def audit_actions(self, guild_id: int) -> list[str]:
        async with self.db.connect() as conn:
            return await repo.audit_actions(conn, guild_id)

