"""``POST /hooks/github``: GitHub's webhook deliveries (see docs/integrations.md).

Not a staff page: GitHub signs each delivery with the webhook secret (``X-Hub-Signature-256: sha256=<hex
HMAC-SHA256 of the raw body>``), read from the environment (:data:`SECRET_ENV`) only. A missing or wrong
signature is answered 401 and changes nothing; a delivery id seen before is answered 200 ``duplicate`` and
changes nothing. What a delivery does is :meth:`bot.github.GithubService.receive`'s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os

from aiohttp import web

from bot.web.security import BOT_KEY

log = logging.getLogger(__name__)

SECRET_ENV = "KUDOS_GITHUB_WEBHOOK_SECRET"
MAX_GITHUB_BODY = 1024 * 1024  # issue payloads carry the body (up to 65,536 characters) and more


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())


async def _body(request: web.Request) -> bytes:
    # Read past the dashboard's 64 KiB form limit, up to this route's own.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > MAX_GITHUB_BODY:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_GITHUB_BODY, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(status: int, outcome: str) -> web.Response:
    return web.json_response({"outcome": outcome}, status=status)


async def github_hook(request: web.Request) -> web.StreamResponse:
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        log.warning("a GitHub delivery came in, but %s is not set: refused", SECRET_ENV)
        return _answer(503, "not configured")
    body = await _body(request)
    if not signature_ok(secret, body, request.headers.get("X-Hub-Signature-256", "")):
        return _answer(401, "bad signature")
    delivery = request.headers.get("X-GitHub-Delivery", "").strip()
    event = request.headers.get("X-GitHub-Event", "").strip()
    if not delivery or not event:
        return _answer(400, "missing X-GitHub-Delivery or X-GitHub-Event")
    try:
        payload = json.loads(body)
    except ValueError:
        return _answer(400, "not JSON")
    if not isinstance(payload, dict):
        return _answer(400, "not a JSON object")
    bot = request.app[BOT_KEY]
    outcome = await bot.app.github.receive(event, delivery, payload)
    if outcome == "changed":  # the status change's DM and thread jobs run now, not at the next poll
        bot.tasks.spawn(bot.scheduler.run_due(), name="github-status")
    return _answer(400 if outcome == "invalid" else 200, outcome)


def setup(app: web.Application) -> None:
    app.router.add_post("/hooks/github", github_hook)
