"""GitHub credentials, from the environment only (docs/integrations.md, "Credentials").

Two ways, the GitHub App first:

- a **GitHub App**: :data:`APP_ID_ENV`, the App's private key (PEM) in :data:`APP_KEY_FILE_ENV` (a path) or
  :data:`APP_KEY_ENV` (the key itself), and :data:`INSTALLATION_ENV`. githubkit's
  ``AppInstallationAuthStrategy`` signs a short JWT with the key (RS256), trades it for an installation token
  at ``POST /app/installations/{id}/access_tokens`` (parsed by githubkit's ``InstallationToken`` model) and
  renews it before it expires (an hour);
- a **fine-grained token**: :data:`TOKEN_ENV`.

:func:`credentials` returns what githubkit's ``GitHub`` takes, ``None`` when nothing is set, and raises
:class:`GithubAuthError` (naming the variable, never a value) when an App is half configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.platform.errors import InvalidInput

TOKEN_ENV = "KUDOS_GITHUB_TOKEN"
APP_ID_ENV = "KUDOS_GITHUB_APP_ID"
APP_KEY_ENV = "KUDOS_GITHUB_APP_PRIVATE_KEY"
APP_KEY_FILE_ENV = "KUDOS_GITHUB_APP_PRIVATE_KEY_FILE"
INSTALLATION_ENV = "KUDOS_GITHUB_APP_INSTALLATION_ID"
API_URL_ENV = "KUDOS_GITHUB_API_URL"
MISSING = (f"Kudos has no GitHub credentials: set {APP_ID_ENV}, {APP_KEY_FILE_ENV} (or {APP_KEY_ENV}) and "
           f"{INSTALLATION_ENV} for a GitHub App, or {TOKEN_ENV} for a fine-grained token, in its environment.")


class GithubAuthError(InvalidInput):
    """The GitHub App's variables are incomplete or wrong (the message names the variable, never a value)."""


def _private_key(env: Mapping[str, str]) -> str:
    path = env.get(APP_KEY_FILE_ENV, "").strip()
    if path:
        try:
            key = Path(path).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise GithubAuthError(f"{APP_KEY_FILE_ENV} names a file Kudos cannot read ({exc.strerror}).") from None
    else:
        # A key put in one line (a .env file, a systemd EnvironmentFile) keeps its line breaks as \n.
        key = env.get(APP_KEY_ENV, "").replace("\\n", "\n")
    if not key.strip():
        raise GithubAuthError(f"{APP_ID_ENV} is set: put the App's private key (PEM) in {APP_KEY_FILE_ENV} "
                              f"(a path) or {APP_KEY_ENV}.")
    if "PRIVATE KEY-----" not in key:
        raise GithubAuthError(f"The GitHub App private key ({APP_KEY_FILE_ENV} / {APP_KEY_ENV}) is not a PEM "
                              "key (-----BEGIN RSA PRIVATE KEY-----).")
    return key.strip() + "\n"


def credentials(env: Mapping[str, str]) -> Any:
    """An ``AppInstallationAuthStrategy`` (GitHub App), the token (fine-grained token), or ``None``."""
    app_id = env.get(APP_ID_ENV, "").strip()
    if app_id:
        installation = env.get(INSTALLATION_ENV, "").strip()
        if not app_id.isdigit():
            raise GithubAuthError(f"{APP_ID_ENV} must be the App's numeric id (App settings → About).")
        if not installation.isdigit():
            raise GithubAuthError(f"{APP_ID_ENV} is set: put the installation's numeric id in {INSTALLATION_ENV} "
                                  "(the number at the end of the installation's settings URL).")
        from githubkit import AppInstallationAuthStrategy

        return AppInstallationAuthStrategy(int(app_id), _private_key(env), int(installation))
    return env.get(TOKEN_ENV, "").strip() or None


def mode(env: Mapping[str, str]) -> str:
    """``app``, ``token`` or ``none``: which credentials :func:`credentials` uses (for logs and docs)."""
    if env.get(APP_ID_ENV, "").strip():
        return "app"
    return "token" if env.get(TOKEN_ENV, "").strip() else "none"


__all__ = ["API_URL_ENV", "APP_ID_ENV", "APP_KEY_ENV", "APP_KEY_FILE_ENV", "INSTALLATION_ENV", "MISSING",
           "TOKEN_ENV", "GithubAuthError", "credentials", "mode"]
