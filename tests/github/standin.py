"""A small loopback GitHub for the tests: the REST calls Kudos makes (create an issue, create an issue comment,
edit one), answered with the real ``comment`` object of octokit's ``issue_comment.created`` example (its id and
body set to the call's), so githubkit's typed ``IssueComment`` model parses what the bot gets. Records every call.

With ``app=(app_id, public_key_pem)`` it is also GitHub's App endpoint ``POST
/app/installations/{id}/access_tokens``: it verifies the App's JWT (RS256 with the App's public key, ``iss`` =
the App id, at most 10 minutes long: GitHub's rules, "Generating a JSON Web Token (JWT) for a GitHub App") and
answers an installation token in the shape of GitHub's ``installation-token`` schema, which githubkit parses
with its ``InstallationToken`` model. The other routes then accept only ``token``/``Bearer`` + a token it
issued (401 otherwise, as GitHub answers a bad credential)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.github.payloads import EXAMPLES


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    authorization: str
    body: dict[str, Any]


class GitHubStandIn:
    def __init__(self, *, app: tuple[int, str] | None = None) -> None:
        self.app = app
        self.installation_id = 0
        self.tokens: list[str] = []  # installation tokens issued, in order
        self.calls: list[Call] = []
        self.comments: dict[int, dict[str, Any]] = {}
        self._next_id = 2_000_000_001  # beyond a 32-bit integer, as GitHub's comment ids are now
        self._runner: web.AppRunner | None = None
        self.port = 0
        template = json.loads((EXAMPLES / "issue_comment.created.payload.json").read_text(encoding="utf-8"))
        self._template: dict[str, Any] = template["comment"]
        # The issue of octokit's issues.opened example: what creating an issue answers (githubkit's Issue).
        opened = json.loads((EXAMPLES / "issues.opened.payload.json").read_text(encoding="utf-8"))
        self._issue: dict[str, Any] = opened["issue"]
        self.issues: dict[int, dict[str, Any]] = {}

    def _comment(self, comment_id: int, owner: str, repo: str, number: int, body: str) -> dict[str, Any]:
        base = f"http://127.0.0.1:{self.port}/repos/{owner}/{repo}"
        return {**self._template, "id": comment_id, "body": body, "url": f"{base}/issues/comments/{comment_id}",
                "issue_url": f"{base}/issues/{number}",
                "html_url": f"https://github.com/{owner}/{repo}/issues/{number}#issuecomment-{comment_id}"}

    async def _record(self, request: web.Request) -> dict[str, Any]:
        body = await request.json()
        authorization = request.headers.get("Authorization", "")
        self.calls.append(Call(request.method, request.path, authorization, body))
        if self.app is not None and authorization.split(" ", 1)[-1] not in self.tokens:
            raise web.HTTPUnauthorized(text=json.dumps({"message": "Bad credentials"}),
                                       content_type="application/json")
        return body

    async def access_token(self, request: web.Request) -> web.Response:
        import jwt

        authorization = request.headers.get("Authorization", "")
        self.calls.append(Call(request.method, request.path, authorization,
                               await request.json() if request.can_read_body else {}))
        if self.app is None or not authorization.startswith("Bearer "):
            return web.json_response({"message": "A JSON web token could not be decoded"}, status=401)
        app_id, public_key = self.app
        try:
            claims = jwt.decode(authorization[7:], public_key, algorithms=["RS256"], options={
                "require": ["iat", "exp", "iss"]}, leeway=120)
        except jwt.PyJWTError:
            return web.json_response({"message": "A JSON web token could not be decoded"}, status=401)
        if str(claims["iss"]) != str(app_id) or claims["exp"] - claims["iat"] > 600:
            return web.json_response({"message": "'Issuer' claim ('iss') must be an Integer"}, status=401)
        self.installation_id = int(request.match_info["installation_id"])
        token = f"ghs_standin{len(self.tokens):04d}"
        self.tokens.append(token)
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return web.json_response({"token": token, "expires_at": expires, "repository_selection": "selected",
                                  "permissions": {"issues": "write", "metadata": "read"}}, status=201)

    async def create(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        m = request.match_info
        comment_id, self._next_id = self._next_id, self._next_id + 1
        self.comments[comment_id] = self._comment(comment_id, m["owner"], m["repo"], int(m["number"]), body["body"])
        return web.json_response(self.comments[comment_id], status=201)

    async def update(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        comment_id = int(request.match_info["comment_id"])
        if comment_id not in self.comments:
            return web.json_response({"message": "Not Found"}, status=404)
        self.comments[comment_id] = {**self.comments[comment_id], "body": body["body"]}
        return web.json_response(self.comments[comment_id])

    async def create_issue(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        m = request.match_info
        number = 100 + len(self.issues)
        self.issues[number] = {**self._issue, "number": number, "title": body["title"], "body": body.get("body"),
                               "url": f"http://127.0.0.1:{self.port}/repos/{m['owner']}/{m['repo']}/issues/{number}"}
        return web.json_response(self.issues[number], status=201)

    async def start(self) -> GitHubStandIn:
        app = web.Application()
        app.router.add_post("/app/installations/{installation_id:\\d+}/access_tokens", self.access_token)
        app.router.add_post("/repos/{owner}/{repo}/issues", self.create_issue)
        app.router.add_post("/repos/{owner}/{repo}/issues/{number:\\d+}/comments", self.create)
        app.router.add_patch("/repos/{owner}/{repo}/issues/comments/{comment_id:\\d+}", self.update)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
