"""A grant's stored delivery error (``last_error``, English, read by code too: ``dropped: …``, ``out of codes…``)
said in a reader's language for ``/rewards history`` and the dashboard's grant lists.

The error is kept as English text in its column; here Kudos' own texts are recognised by their message and
said in ``tr``'s language, with their values as stored (a role's name, Discord's own error text). What is not
Kudos' own text (Discord's wording of a refusal, an exception's name, a note of a delivered grant such as the
closed-DMs note of a perk code, a ledger refusal) stays as it is, in English. The messages below are the
wording the dispatcher (cogs/rewards/dispatcher.py), bot/rewards/_delivery.py, _decide.py, _roles.py,
personal.py and the safety check (bot/rewards/safety.py) store: a changed wording there is changed here too.
"""

from __future__ import annotations

import functools
import re

from bot.platform.i18n import N_, Translator

# The staff-log notice of a failed grant (bot/rewards/_delivery.py); its ``reason`` is a delivery error, said in
# the server's language by the dispatcher's ``notice_text``.
FAILED_NOTICE = N_("Reward **{rule}** ({action}) for {member} failed: {reason}")

# Kudos' own wording of a delivery error. A value named ``error`` is itself an error, said the same way.
MESSAGES = (
    N_("the member's DMs are closed"),
    N_("replaced by {rule}"),
    N_("demoted: below the threshold"),
    N_("rejected by staff"),
    N_("the member erased their data"),
    N_("member rejoined"),
    N_("member rejoined (while I was away)"),
    N_("reconciliation: role was missing"),
    N_("reconciliation: role removal accepted"),
    N_("the server is not available yet"),
    N_("unexpected error: {name}"),
    N_("Discord unavailable ({failure})"),
    N_("Discord refused ({code}): {error}"),
    N_("Discord refused ({code}, {action}): {discord}"),
    N_("I'm missing permissions: {permission}"),
    N_("dropped: {error}"),
    N_("the member is no longer in the server"),
    N_("the role was deleted"),
    N_("the user no longer exists"),
    N_("the channel was deleted"),
    N_("the message was deleted"),
    # the safety check's reasons (bot.rewards.safety), joined with "; " when there are several
    N_("the role does not exist in this server"),
    N_("@everyone can't be given as a reward"),
    N_("role {role} is managed by an integration or bot and can't be assigned"),
    N_("role {role} is above (or level with) my top role; drag my role above it in Server Settings → Roles"),
    N_("role {role} carries dangerous permissions ({permissions}); a reward must not hand out moderation powers"),
    N_("I'm missing the Manage Roles permission"),
    N_("role {role} does not exist in this server"),
)
_FIELD = re.compile(r"\{(\w+)\}")
_GAVE_UP = re.compile(r"(?P<error>.+) \(gave up after (?P<count>\d+) attempts\)", re.DOTALL)
_FREE = ("error", "discord", "failure")  # values that may hold anything; the others hold no "; "


@functools.cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for msgid in MESSAGES:
        parts, last = [], 0
        for m in _FIELD.finditer(msgid):
            parts.append(re.escape(msgid[last:m.start()]))
            parts.append(f"(?P<{m.group(1)}>.+?)" if m.group(1) in _FREE else f"(?P<{m.group(1)}>[^;]+?)")
            last = m.end()
        parts.append(re.escape(msgid[last:]))
        out.append((msgid, re.compile("".join(parts), re.DOTALL)))
    return tuple(out)


def _one(text: str, tr: Translator, depth: int) -> str | None:
    """``text`` said in ``tr``'s language when it is one of Kudos' messages, else ``None``."""
    m = _GAVE_UP.fullmatch(text)
    if m is not None:
        error = delivery_error(m["error"], tr, _depth=depth + 1)  # (apart: pybabel reads ``tr`` as a call)
        return tr.ngettext("{error} (gave up after {count} attempt)", "{error} (gave up after {count} attempts)",
                           int(m["count"]), error=error)
    for msgid, pattern in _patterns():
        m = pattern.fullmatch(text)
        if m is not None:
            values = m.groupdict()
            if "error" in values:
                values["error"] = delivery_error(values["error"], tr, _depth=depth + 1)
            return tr(msgid, **values)
    return None


def delivery_error(text: str, tr: Translator, *, _depth: int = 0) -> str:
    """``text`` (a stored ``last_error``) in ``tr``'s language where it is Kudos' own; else as it is."""
    if _depth > 4 or not text:
        return text
    whole = _one(text, tr, _depth)
    if whole is not None:
        return whole
    # Several reasons of the safety check, joined with "; " (one of them holds a "; " of its own).
    parts, said, i = text.split("; "), [], 0
    while i < len(parts):
        for n in (1, 2):
            line = "; ".join(parts[i:i + n])
            done = _one(line, tr, _depth) if i + n <= len(parts) else None
            if done is not None:
                said.append(done)
                i += n
                break
        else:
            return text  # not (only) Kudos' own reasons: as it is
    return "; ".join(said)
