"""``[guilds.<id>.github]``: which GitHub repositories the server's feedback links to, and how issue events
map to feedback statuses (see docs/integrations.md). Credentials come from the environment only."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from bot.platform.config.base import _Model, config_error
from bot.platform.deferred import said
from bot.platform.i18n import N_

REPO = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
# The statuses an issue event may set ("" = leave the item as it is).
GithubStatus = Literal["", "acknowledged", "planned", "in_progress", "shipped", "declined"]


class GithubStatusesConfig(_Model):
    """``[guilds.<id>.github.statuses]``: the status each issue event sets."""

    opened: GithubStatus = "acknowledged"
    reopened: GithubStatus = "acknowledged"
    closed_completed: GithubStatus = "shipped"
    closed_not_planned: GithubStatus = "declined"
    labels: dict[str, GithubStatus] = Field(default_factory=lambda: {"planned": "planned"})


class GithubConfig(_Model):
    """``[guilds.<id>.github]``."""

    repos: list[str] = Field(default_factory=list, description=N_("owner/name of the repositories items may link to"))
    statuses: GithubStatusesConfig = Field(default_factory=GithubStatusesConfig)

    @field_validator("repos")
    @classmethod
    def _check_repos(cls, value: list[str]) -> list[str]:
        for index, repo in enumerate(value):
            if not REPO.match(repo):
                raise config_error(said(N_("'{repo}' is not owner/name"), repo=repo), index)
        return [r.lower() for r in value]
