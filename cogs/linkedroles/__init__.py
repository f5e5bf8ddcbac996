"""Linked Roles on Discord's side: the metadata records registered at start, the OAuth2 code exchange of the
verification URL (``bot/web/routes/linkedroles.py``), and the jobs that publish a linked member's numbers
(one batch per window, rate-limit aware) and delete the role connection on unlinking and erasure."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.ext import commands

from bot.core.effect_errors import end_job
from bot.core.oauth2 import SECRET_ENV, OAuth2Client, OAuth2Error, client_secret_from_env
from bot.linkedroles.jobs import CLEAR_EVENT, METADATA_EVENT, SYNC_EVENT
from bot.linkedroles.service import BATCH_SIZE, SCOPES
from bot.linkedroles.store import Link
from bot.platform.errors import InvalidInput, NotAllowed
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Retry

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)
PAUSE_AFTER_FAILURE = timedelta(seconds=30)  # Discord answered 5xx or not at all: the batch resumes after this


class LinkedRoles(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot
        self.oauth: OAuth2Client | None = None

    @property
    def service(self):  # type: ignore[no-untyped-def]
        return self.bot.app.linked_roles

    async def cog_load(self) -> None:
        for event, handler in ((METADATA_EVENT, self._register_metadata), (SYNC_EVENT, self._sync),
                               (CLEAR_EVENT, self._clear)):
            self.bot.scheduler.register(event, handler)
        if not self.service.enabled:
            return
        secret = client_secret_from_env()
        if secret is None:
            log.error("linked roles are on but %s is not set: members can't link (see docs/linked-roles.md)",
                      SECRET_ENV)
        else:
            assert self.bot.application_id is not None
            self.oauth = OAuth2Client(self.bot.application_id, secret)
        await self.bot.scheduler.schedule(METADATA_EVENT, {"records": self.service.records()})

    async def cog_unload(self) -> None:
        for event in (METADATA_EVENT, SYNC_EVENT, CLEAR_EVENT):
            self.bot.scheduler.unregister(event)
        if self.oauth is not None:
            await self.oauth.close()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self.service.enabled:
            ids = [g.id for g in self.bot.guilds]
            if not self.service.home_guild(ids) and len(ids) > 1:
                log.error("linked roles: the bot is in %d servers; set [linked_roles] guild_id to the one whose "
                          "numbers are published", len(ids))

    # ------------------------------------------------------------------ the verification URL's flow

    def _client(self) -> OAuth2Client:
        if self.oauth is None:
            raise NotAllowed(N_("Linked roles are not set up on this bot yet (an admin must set the OAuth2 "
                                "client secret in {secret_env})."),
                             secret_env=SECRET_ENV)
        return self.oauth

    def redirect_uri(self) -> str:
        assert self.bot.web is not None
        return f"{self.bot.web.base_url}/linked-roles/callback"

    def authorize_url(self, state: str) -> str:
        return self._client().authorize_url(self.redirect_uri(), state, SCOPES)

    async def complete(self, code: str) -> int:
        """The member came back from Discord's consent screen with ``code``: exchange it, learn who they are,
        store the link and publish their numbers now. Returns their user id."""
        client = self._client()
        try:
            answer = await client.exchange(code, self.redirect_uri())
            if not set(SCOPES) <= set(answer.scope.split()):
                raise InvalidInput(N_("Discord did not grant what Kudos asked for. Start again from the link."))
            me = await client.me(answer.access)
        except OAuth2Error as exc:
            log.info("linked roles: the code exchange was refused (%s)", exc.status)
            raise InvalidInput(N_("Discord refused this sign-in (it may have expired). Start again from the link.")) from exc
        user_id = int(me["id"])
        await self.service.link(user_id, answer.access, answer.refresh, answer.expires_in, answer.scope)
        self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="linked-roles-publish")
        return user_id

    # ------------------------------------------------------------------ jobs

    async def _register_metadata(self, payload: dict[str, Any], timer: Any) -> None:
        route = discord.http.Route("PUT", "/applications/{application_id}/role-connections/metadata",
                                   application_id=self.bot.application_id)
        try:
            await self.bot.http.request(route, json=payload["records"])
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            await end_job(exc, "register the linked-roles metadata records")
        log.info("linked roles: %d metadata record(s) registered", len(payload["records"]))

    async def _fresh_access(self, link: Link, *, force: bool = False) -> str | None:
        """The member's access token, refreshed first when it expires within a day (or ``force``). None when
        the link is dead (the member removed Kudos' access on Discord, or the server secret changed)."""
        client = self._client()
        tokens = self.service.tokens_of(link)
        if tokens is None:
            return None
        if not force and not self.service.expiring(link):
            return tokens.access
        try:
            answer = await client.refresh(tokens.refresh)
        except OAuth2Error as exc:
            if exc.status in (400, 401):  # invalid_grant: the authorisation is gone
                return None
            raise
        await self.service.store_tokens(link.user_id, answer.access, answer.refresh, answer.expires_in)
        return answer.access

    def _username(self, link: Link) -> str | None:
        guild = self.bot.get_guild(link.guild_id)
        member = guild.get_member(link.user_id) if guild is not None else None
        return member.display_name[:100] if member is not None else None

    async def _publish(self, link: Link) -> None:
        values = await self.service.numbers(link.guild_id, link.user_id)
        if link.published == values:
            await self.service.published(link, values)
            return
        access = await self._fresh_access(link)
        body = {"platform_name": self.service.settings.platform_name, "platform_username": self._username(link),
                "metadata": values}
        for attempt in (1, 2):
            if access is None:
                log.info("linked roles: the link of a member is no longer authorised; forgetting it")
                await self.service.cleared(link.user_id)
                return
            try:
                await self._client().put_role_connection(access, body)
            except OAuth2Error as exc:
                if exc.status == 401 and attempt == 1:
                    access = await self._fresh_access(link, force=True)
                    continue
                raise
            break
        await self.service.published(link, values)

    async def _sync(self, payload: dict[str, Any], timer: Any) -> None:
        """One batch: every queued member (up to BATCH_SIZE) gets their numbers published. A 429 or an outage
        stops the batch; the rest stay queued for a batch when Discord says (``retry_after``)."""
        if self.oauth is None:
            raise Retry(f"no OAuth2 client secret ({SECRET_ENV})")
        links = await self.service.queued(limit=BATCH_SIZE)
        now = self.bot.clock.now()
        for link in links:
            try:
                await self._publish(link)
            except OAuth2Error as exc:
                if exc.status == 429 or exc.status >= 500:
                    wait = timedelta(seconds=exc.retry_after) if exc.status == 429 else PAUSE_AFTER_FAILURE
                    log.info("linked roles: Discord answered %s; the batch resumes in %.1fs", exc.status,
                             wait.total_seconds())
                    await self.service.continue_later(now + max(wait, timedelta(seconds=0.5)))
                    return
                # a refusal of this member's update (a bad value would be a bug): skip them, keep the batch going
                log.error("linked roles: Discord refused a role-connection update (%s)", exc)
                await self.service.published(link, link.published or {})
            except (aiohttp.ClientError, TimeoutError):
                await self.service.continue_later(now + PAUSE_AFTER_FAILURE)
                return
        if len(links) == BATCH_SIZE:
            await self.service.continue_later(now)

    async def _clear(self, payload: dict[str, Any], timer: Any) -> None:
        """Unlinked or erased: delete the member's role connection on Discord, revoke the tokens, drop the row."""
        user_id = int(payload["user_id"])
        link = await self.service.get(user_id)
        if link is None:
            return
        if self.oauth is None:
            raise Retry(f"no OAuth2 client secret ({SECRET_ENV})")
        try:
            access = await self._fresh_access(link)
            if access is not None:
                try:
                    await self.oauth.delete_role_connection(access)
                except OAuth2Error as exc:
                    if exc.status != 401:  # 401: the grant is gone, and Discord drops the connection with it
                        raise
                tokens = self.service.tokens_of(await self.service.get(user_id) or link)
                if tokens is not None:
                    await self.oauth.revoke(tokens.refresh)
        except OAuth2Error as exc:
            if exc.status == 429 or exc.status >= 500:
                raise Retry(f"clear a role connection: HTTP {exc.status}") from exc
            log.warning("linked roles: clearing a role connection was refused (%s); forgetting the link", exc)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Retry("clear a role connection: no answer") from exc
        await self.service.cleared(user_id)


async def setup(bot: KudosBot) -> None:
    cog = LinkedRoles(bot)
    await bot.add_cog(cog)
    bot.effects.linked_roles = cog  # for the verification URL's routes (bot/web/routes/linkedroles.py)


async def teardown(bot: KudosBot) -> None:
    bot.effects.linked_roles = None
