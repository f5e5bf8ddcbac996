"""``[guilds.<id>.webhooks]``: outbound webhook endpoints of a guild (see docs/webhooks.md).

The secret of an endpoint never sits in the file: ``secret_env`` names the environment variable that holds it.
Targets are checked here as far as the file can tell (http or https, no user:password, no literal loopback,
private or link-local address, no ``localhost``, unless ``[web] allow_private_webhooks``); the delivery checks
again what a host name resolves to (:mod:`bot.webhooks.targets`).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from bot.platform.config.base import NonEmptyStr, _did_you_mean, _Model, config_error
from bot.platform.deferred import said
from bot.platform.events import OUTBOUND_TYPES
from bot.platform.i18n import N_
from bot.platform.webhook_targets import url_problem

ENDPOINT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")


class WebhookEndpointConfig(_Model):
    """One ``[[guilds.<id>.webhooks.endpoints]]`` entry."""

    name: NonEmptyStr = Field(description="short name, unique in the guild (lowercase letters, digits, - and _)")
    url: NonEmptyStr = Field(description="http:// or https:// URL the events are POSTed to")
    secret_env: NonEmptyStr = Field(description="environment variable holding the signing secret")
    events: list[str] = Field(default_factory=lambda: ["*"], description="event types, or [\"*\"] for all")
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not ENDPOINT_NAME.match(value):
            raise config_error(said(N_("must be 1-40 lowercase letters, digits, '-' or '_', starting with a letter or "
                                       "digit")))
        return value

    @field_validator("secret_env")
    @classmethod
    def _check_env(cls, value: str) -> str:
        if not ENV_NAME.match(value):
            raise config_error(said(N_("must be the NAME of an environment variable (A-Z, 0-9, _), not the secret "
                                       "itself")))
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        problem = url_problem(value, allow_private=True)
        if problem:
            raise config_error(problem)
        return value.strip()

    @field_validator("events")
    @classmethod
    def _check_events(cls, value: list[str]) -> list[str]:
        if not value:
            raise config_error(said(N_("name at least one event type, or [\"*\"] for all")))
        for index, name in enumerate(value):
            if name != "*" and name not in OUTBOUND_TYPES:
                raise config_error(said(N_("unknown event type '{name}'{hint} (known: {known})"), name=name,
                                        hint=_did_you_mean(name, OUTBOUND_TYPES), known=", ".join(OUTBOUND_TYPES)),
                                   index)
        return list(dict.fromkeys(value))


class WebhooksConfig(_Model):
    """``[guilds.<id>.webhooks]``."""

    endpoints: list[WebhookEndpointConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> WebhooksConfig:
        seen: dict[str, int] = {}
        for index, endpoint in enumerate(self.endpoints):
            if endpoint.name in seen:
                raise config_error(said(N_("duplicate endpoint name '{name}' (already used by endpoints[{index}])"),
                                        name=endpoint.name, index=seen[endpoint.name]), "endpoints", index, "name")
            seen[endpoint.name] = index
        return self


def private_endpoint_problems(guilds: dict[str, Any]) -> tuple[str, int, str] | None:
    """The first endpoint (guild key, index, problem) whose URL names a loopback, private or link-local
    address, for :class:`~bot.platform.config.models.KudosConfig` to refuse unless private targets are allowed."""
    for key, guild in guilds.items():
        for index, endpoint in enumerate(guild.webhooks.endpoints):
            problem = url_problem(endpoint.url, allow_private=False)
            if problem:
                return key, index, problem
    return None
