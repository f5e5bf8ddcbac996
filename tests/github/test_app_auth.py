"""GitHub App authentication, from the environment only: githubkit's ``AppInstallationAuthStrategy`` signs the
App's JWT with its private key and trades it at the loopback stand-in's ``POST
/app/installations/{id}/access_tokens`` for an installation token (parsed by githubkit's ``InstallationToken``
model); the summary comment is then written with that token. On both databases, end to end; and a half
configured App is refused with a message that names the variable (never a value)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.github.auth import (
    APP_ID_ENV,
    APP_KEY_ENV,
    APP_KEY_FILE_ENV,
    INSTALLATION_ENV,
    TOKEN_ENV,
    GithubAuthError,
    credentials,
    mode,
)
from bot.platform.errors import InvalidInput
from bot.sandbox.harness import Harness
from tests.conftest import running_harness
from tests.feedback.test_e2e import item, report
from tests.github.standin import GitHubStandIn
from tests.github.test_receiver import CONFIG, REPO, SECRET

APP_ID = 123456
INSTALLATION = 987654


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def standin(app_key: rsa.RSAPrivateKey) -> AsyncIterator[GitHubStandIn]:
    public = app_key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    s = await GitHubStandIn(app=(APP_ID, public)).start()
    yield s
    await s.stop()


@pytest.fixture(params=["sqlite", "postgres"])
async def gh(request, tmp_path: Path, monkeypatch, standin: GitHubStandIn,  # type: ignore[no-untyped-def]
             app_key: rsa.RSAPrivateKey) -> AsyncIterator[Harness]:
    key_file = tmp_path / "app.pem"
    key_file.write_text(_pem(app_key), encoding="utf-8")
    monkeypatch.setenv("KUDOS_GITHUB_WEBHOOK_SECRET", SECRET)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.setenv(APP_ID_ENV, str(APP_ID))
    monkeypatch.setenv(APP_KEY_FILE_ENV, str(key_file))
    monkeypatch.setenv(INSTALLATION_ENV, str(INSTALLATION))
    monkeypatch.setenv("KUDOS_GITHUB_API_URL", standin.url)
    async with running_harness(request.param, partial(Harness, None, CONFIG), tmp_path) as harness:
        yield harness


async def test_a_github_app_mints_one_installation_token_and_writes_with_it(gh: Harness,
                                                                            standin: GitHubStandIn) -> None:
    h = gh
    await report(h)
    row = await item(h)
    assert h.bot is not None
    await h.bot.app.github.link(h.guild_id, row.id, f"{REPO}#1", actor_id=h.members["sam"])
    starter = h.emu.message(row.thread_id)
    await h.member("bob").click(starter.id, label="Me too")
    await h.advance(timedelta(seconds=1))
    await h.member("carol").click(starter.id, label="Me too")
    await h.advance(timedelta(seconds=1))
    assert [(c.method, c.path) for c in standin.calls] == [
        ("POST", f"/app/installations/{INSTALLATION}/access_tokens"),
        ("POST", "/repos/codertocat/hello-world/issues/1/comments"),
        ("PATCH", f"/repos/codertocat/hello-world/issues/comments/{next(iter(standin.comments))}"),
    ]
    assert standin.calls[0].authorization.startswith("Bearer ey")  # the App's JWT
    assert standin.installation_id == INSTALLATION and standin.tokens == ["ghs_standin0000"]
    # Both REST calls carry the one installation token (minted once, reused).
    assert {c.authorization.split(" ", 1)[1] for c in standin.calls[1:]} == {"ghs_standin0000"}
    assert "2 members" in next(iter(standin.comments.values()))["body"]


async def test_a_wrong_app_key_is_refused_by_github_and_writes_nothing(gh: Harness, standin: GitHubStandIn,
                                                                      tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    h = gh
    assert h.bot is not None
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setenv(APP_KEY_FILE_ENV, "")
    monkeypatch.setenv(APP_KEY_ENV, _pem(other).replace("\n", "\\n"))  # one line, as in an env file
    h.bot.app.github._client = None  # the next call reads the environment again
    await report(h)
    row = await item(h)
    with pytest.raises(InvalidInput, match=r"GitHub did not create the issue \(HTTP 401\)"):
        await h.bot.app.github.open_issue(h.guild_id, row.id, REPO, actor_id=h.members["sam"])
    # and through the command, the staff member reads the same sentence
    answer = await h.member("sam").slash("feedback open-issue", item=row.id, repo=REPO)
    assert answer.ephemeral and "HTTP 401" in (answer.content or "")
    assert standin.tokens == [] and standin.issues == {}
    assert await h.bot.app.github.link_of(row.id) is None


def test_credentials_come_from_the_environment_only(tmp_path: Path, app_key: rsa.RSAPrivateKey) -> None:
    assert credentials({}) is None and mode({}) == "none"
    assert credentials({TOKEN_ENV: " github_pat_x "}) == "github_pat_x" and mode({TOKEN_ENV: "x"}) == "token"
    pem = _pem(app_key)
    from githubkit import AppInstallationAuthStrategy

    app = credentials({APP_ID_ENV: "42", APP_KEY_ENV: pem.replace("\n", "\\n"), INSTALLATION_ENV: "7",
                       TOKEN_ENV: "github_pat_ignored"})
    assert isinstance(app, AppInstallationAuthStrategy)
    assert (app.app_id, app.installation_id, app.private_key) == (42, 7, pem.strip() + "\n")
    key_file = tmp_path / "k.pem"
    key_file.write_text(pem, encoding="utf-8")
    assert credentials({APP_ID_ENV: "42", APP_KEY_FILE_ENV: str(key_file), INSTALLATION_ENV: "7"}).private_key == pem
    half = [
        ({APP_ID_ENV: "42", APP_KEY_ENV: pem}, INSTALLATION_ENV),
        ({APP_ID_ENV: "42", INSTALLATION_ENV: "7"}, APP_KEY_FILE_ENV),
        ({APP_ID_ENV: "my-app", APP_KEY_ENV: pem, INSTALLATION_ENV: "7"}, APP_ID_ENV),
        ({APP_ID_ENV: "42", APP_KEY_ENV: "not a key", INSTALLATION_ENV: "7"}, "PEM"),
        ({APP_ID_ENV: "42", APP_KEY_FILE_ENV: str(tmp_path / "missing.pem"), INSTALLATION_ENV: "7"},
         APP_KEY_FILE_ENV),
    ]
    for env, named in half:
        with pytest.raises(GithubAuthError) as refused:
            credentials(env)
        assert named in str(refused.value) and "BEGIN RSA PRIVATE KEY-----\nMII" not in str(refused.value)
