"""Shared pieces of the config models: constants, field types, the error helper and the base model."""

from __future__ import annotations

import re
import string
from difflib import get_close_matches
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from bot.platform.deferred import Said, said
from bot.platform.i18n import N_
from bot.platform.text import has_nul, is_invisible

from .errors import toml_type_name

ContributionKind = Literal[
    "answer", "curation", "creation", "thanks", "feedback_given", "feedback_acknowledged", "feedback_shipped", "beta"
]
CONTRIBUTION_KINDS: tuple[str, ...] = get_args(ContributionKind)
# Kinds that no longer exist, and what replaced them: config naming one gets this as its error.
RETIRED_KINDS: dict[str, str] = {
    "feedback": N_("the kind 'feedback' was split into feedback_given, feedback_acknowledged and feedback_shipped"),
}
# Keys that moved, by (table, key): config still using one gets this as its error.
MOVED_KEYS: dict[tuple[str, str], str] = {
    ("feedback", "points_acknowledged"): N_("moved: set points.feedback_acknowledged (its own contribution kind)"),
    ("feedback", "points_shipped"): N_("moved: set points.feedback_shipped (its own contribution kind)"),
}
# Whole sections of a guild's table that were renamed, old name -> new name: a config still using the old
# one (in [guilds.default], in [guilds.<id>], or at the top level by mistake) is refused, naming both.
RENAMED_SECTIONS: dict[str, str] = {
    "broadcast": "announcements",
}

RewardEvent = Literal["beta_joined", "first_feedback", "feedback_shipped", "answer_accepted", "post_featured"]
REWARD_EVENTS: tuple[str, ...] = get_args(RewardEvent)

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
CommandSync = Literal["guild", "global", "off"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///kudos.db"
DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
ERROR_TYPE = "kudos_config"
MAX_SNOWFLAKE = 2**64 - 1
TOKEN_PROBLEM = said(N_("tokens are not read from the config file; set the KUDOS_TOKEN environment variable"))
WEB_SECRET_PROBLEM = said(N_("the dashboard secret is not read from the config file; set the KUDOS_WEB_SECRET "
                             "environment variable"))
_GUILD_KEY = re.compile(r"^[1-9][0-9]{0,19}$")
_POOL_NAME = re.compile(r"^[a-z0-9-]+$")
_PLACEHOLDER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def config_error(problem: str, *at: str | int) -> PydanticCustomError:
    """A validation error with a friendly one-line text, located ``at`` below the current location. A
    ``deferred.said`` problem also carries its message (``ctx["message"]``), for staff to read it in their
    language (docs/languages.md); the loader turns it back into a :class:`Said`."""
    ctx: dict[str, Any] = {"problem": str(problem), "at": tuple(at)}
    if isinstance(problem, Said):
        ctx["message"] = problem.message
    return PydanticCustomError(ERROR_TYPE, "{problem}", ctx)


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    match = get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            match = [lowered[word.lower()]]
    return said(N_(" (did you mean '{name}'?)"), name=match[0]) if match else ""


# --------------------------------------------------------------------------- field types


def _non_empty(value: Any) -> Any:
    if isinstance(value, str) and has_nul(value):
        raise config_error(said(N_("must not contain a NUL character")))
    if isinstance(value, str) and is_invisible(value):
        raise config_error(said(N_("must not be empty (or only invisible characters)")))
    return value


def _ref(what: str):
    def validate(value: Any) -> int | str:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                raise config_error(said(N_("must not be empty")))
            if not (text.isascii() and text.isdigit()):
                return text
            value = int(text)
        elif isinstance(value, bool) or not isinstance(value, int):
            if what == "role":
                raise config_error(said(N_("expected a role name or numeric id (got {type})"), type=toml_type_name(value)))
            raise config_error(said(N_("expected a channel name or numeric id (got {type})"), type=toml_type_name(value)))
        if not 0 < value <= MAX_SNOWFLAKE:
            if what == "role":
                raise config_error(said(N_("role ids must be positive 64-bit integers (got {value})"), value=value))
            raise config_error(said(N_("channel ids must be positive 64-bit integers (got {value})"), value=value))
        return value

    return validate


NonEmptyStr = Annotated[str, BeforeValidator(_non_empty)]
# A role / channel is referenced by name (resolved later by the bot) or by id. Numeric
# strings are turned into ints, so downstream code can rely on: int = id, str = name.
RoleRef = Annotated[int | str, BeforeValidator(_ref("role"))]
ChannelRef = Annotated[int | str, BeforeValidator(_ref("channel"))]
NonNegInt = Annotated[int, Field(ge=0)]
# Bounded numbers where a slash option or a form can set them: a day count beyond a century is a typo (and
# timedelta overflows further on); a count or a bonus is stored in a 32-bit INTEGER column on PostgreSQL.
MAX_DAYS = 36_500
MAX_COUNT = 1_000_000
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

def _template_fields(template: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise config_error(said(N_("malformed template: {error} (write {{{{ and }}}} for literal braces)"),
                                error=str(exc))) from None
    names: list[str] = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _PLACEHOLDER.match(field) or spec or conversion:
            got = f"{{{field}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
            raise config_error(said(N_("placeholders must be plain names like {{code}} (got {got})"), got=got))
        names.append(field)
    return names
