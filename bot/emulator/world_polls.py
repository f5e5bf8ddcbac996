"""Polls in the world (poll.mdx, message.mdx "Create Message", gateway-events.mdx "Message Poll Vote Add"):
a create-message body's ``poll`` checked the way Discord checks it, the poll kept on its message with its
votes, members voting and unvoting (MESSAGE_POLL_VOTE_ADD / _REMOVE to sessions with the
GUILD_MESSAGE_POLLS intent), and Get Answer Voters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.emulator import rules
from bot.emulator.routing import Request, Result, Router, RouteTable
from bot.emulator.rules import ApiError, FormErrors
from bot.emulator.state import Message, iso, now

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

# poll.mdx: "up to 10" answers; question text at most 300 characters, each answer at most 55; duration in
# hours "up to 32 days", default 24; layout type 1 (DEFAULT) is the only one.
MAX_ANSWERS = 10
QUESTION_MAX = 300
ANSWER_MAX = 55
MAX_HOURS = 32 * 24
LAYOUT_DEFAULT = 1
# gateway.mdx, Gateway Intents: GUILD_MESSAGE_POLLS (1 << 24) carries MESSAGE_POLL_VOTE_ADD / _REMOVE.
GUILD_MESSAGE_POLLS = 1 << 24


@dataclass
class Poll:
    question: str
    answers: list[dict[str, Any]]  # poll answer objects, with answer_id from 1 (poll.mdx)
    expiry: Any
    allow_multiselect: bool = False
    layout_type: int = LAYOUT_DEFAULT
    votes: dict[int, set[int]] = field(default_factory=dict)  # answer_id -> user ids

    def to_json(self, viewer_id: int) -> dict[str, Any]:
        return {
            "question": {"text": self.question},
            "answers": self.answers,
            "expiry": iso(self.expiry),
            "allow_multiselect": self.allow_multiselect,
            "layout_type": self.layout_type,
            "results": {"is_finalized": False, "answer_counts": [
                {"id": a, "count": len(us), "me_voted": viewer_id in us}
                for a, us in sorted(self.votes.items()) if us]},
        }


def check(body: dict[str, Any]) -> None:
    """Refuse a ``poll`` Discord refuses (50035 with the field's path)."""
    poll = body.get("poll")
    if poll is None:
        return
    errs = FormErrors()
    question = (poll.get("question") or {}).get("text")
    if not isinstance(question, str) or not question.strip():
        errs.add(["poll", "question", "text"], "BASE_TYPE_REQUIRED", "This field is required")
    else:
        errs.too_long(["poll", "question", "text"], question, QUESTION_MAX)
    answers = poll.get("answers")
    if not isinstance(answers, list) or not answers:
        errs.add(["poll", "answers"], "BASE_TYPE_REQUIRED", "This field is required")
        answers = []
    elif len(answers) > MAX_ANSWERS:
        errs.add(["poll", "answers"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ANSWERS} or fewer in length.")
    for i, answer in enumerate(answers):
        text = ((answer or {}).get("poll_media") or {}).get("text")
        if not isinstance(text, str) or not text.strip():
            errs.add(["poll", "answers", i, "poll_media", "text"], "BASE_TYPE_REQUIRED", "This field is required")
        else:
            errs.too_long(["poll", "answers", i, "poll_media", "text"], text, ANSWER_MAX)
    duration = poll.get("duration", 24)
    # a whole number of hours; discord.py 2.7.1 sends it as a float (``timedelta.total_seconds() / 3600``)
    whole = isinstance(duration, (int, float)) and not isinstance(duration, bool) and float(duration).is_integer()
    if not whole or not 1 <= duration <= MAX_HOURS:
        errs.add(["poll", "duration"], "NUMBER_TYPE_MAX", f"int value should be between 1 and {MAX_HOURS}.")
    if poll.get("layout_type", LAYOUT_DEFAULT) != LAYOUT_DEFAULT:
        errs.add(["poll", "layout_type"], "ENUM_TYPE_COERCE", "Value is not a valid enum value.")
    errs.raise_if_any()


def attach(msg: Message, body: dict[str, Any]) -> None:
    """Keep the (checked) poll of a new message on it; answer ids count from 1."""
    poll = body.get("poll")
    if poll is None:
        return
    answers = [{"answer_id": i, "poll_media": {k: v for k, v in (a.get("poll_media") or {}).items()
                                               if k in ("text", "emoji")}}
               for i, a in enumerate(poll["answers"], 1)]
    msg.poll = Poll(poll["question"]["text"], answers, msg.timestamp + timedelta(hours=int(poll.get("duration", 24))),
                    bool(poll.get("allow_multiselect", False)), int(poll.get("layout_type", LAYOUT_DEFAULT)))


def refuse_edit(msg: Message, body: dict[str, Any]) -> None:
    """poll.mdx: "After creation, the poll message cannot be edited"; nor can a poll be added by an edit."""
    if msg.poll is not None or body.get("poll") is not None:
        raise ApiError(400, 50035, "Invalid Form Body", {"poll": {"_errors": [
            {"code": "POLL_EDIT", "message": "Polls cannot be edited"}]}})


def _payload(msg: Message, user_id: int, answer_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {"user_id": str(user_id), "channel_id": str(msg.channel_id), "message_id": str(msg.id),
                           "answer_id": answer_id}
    if msg.guild_id is not None:
        out["guild_id"] = str(msg.guild_id)
    return out


def _poll_of(msg: Message, answer_id: int) -> Poll:
    poll: Poll | None = msg.poll
    if poll is None:
        raise ValueError(f"message {msg.id} has no poll")
    if not any(a["answer_id"] == answer_id for a in poll.answers):
        raise ValueError(f"the poll of message {msg.id} has no answer {answer_id}")
    if poll.expiry <= now():
        raise ValueError(f"the poll of message {msg.id} has ended")
    return poll


async def _dispatch(emu: Emulator, event: str, payload: dict[str, Any], guild_id: int | None) -> None:
    if emu.gateway.intents is not None and not emu.gateway.intents & GUILD_MESSAGE_POLLS:
        return  # the bot did not ask for poll votes
    await emu.gateway.dispatch(event, payload, guild_id)


async def vote(emu: Emulator, msg: Message, user_id: int, answer_id: int) -> None:
    """``user_id`` picks ``answer_id`` (a repeat changes nothing). Without multiselect a member holds one
    answer: they remove it before picking another, as Discord's client does."""
    poll = _poll_of(msg, answer_id)
    if user_id == emu.bot_user_id:
        raise ValueError("poll.mdx: apps are not allowed to vote on polls")
    if user_id in poll.votes.get(answer_id, set()):
        return
    if not poll.allow_multiselect and any(user_id in us for us in poll.votes.values()):
        raise ValueError("this poll allows one answer: remove the vote first")
    poll.votes.setdefault(answer_id, set()).add(user_id)
    await _dispatch(emu, "MESSAGE_POLL_VOTE_ADD", _payload(msg, user_id, answer_id), msg.guild_id)


async def unvote(emu: Emulator, msg: Message, user_id: int, answer_id: int) -> None:
    poll = _poll_of(msg, answer_id)
    if user_id not in poll.votes.get(answer_id, set()):
        return
    poll.votes[answer_id].discard(user_id)
    await _dispatch(emu, "MESSAGE_POLL_VOTE_REMOVE", _payload(msg, user_id, answer_id), msg.guild_id)


def voters(emu: Emulator, msg: Message, answer_id: int, query: dict[str, str]) -> list[int]:
    """Get Answer Voters: user ids after ``after``, ``limit`` 1-100 (default 25)."""
    poll: Poll | None = msg.poll
    if poll is None or not any(a["answer_id"] == answer_id for a in poll.answers):
        raise ApiError(404, 10008, "Unknown Message")
    after = int(query.get("after") or 0)
    limit = max(1, min(int(query.get("limit") or 25), 100))
    return sorted(u for u in poll.votes.get(answer_id, set()) if u > after)[:limit]


# ---------------------------------------------------------------------------------------------- REST

ROUTES = RouteTable()


def register(router: Router) -> None:
    router.include(ROUTES)


@ROUTES.route("GET", "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}")
async def get_answer_voters(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    if channel.guild_id is not None:
        emu._require(channel, rules.READ_MESSAGE_HISTORY)
    msg = emu._message(channel.id, req.id("message_id", "Message"))
    try:
        answer_id = int(req.params["answer_id"])
    except ValueError:
        raise ApiError(404, 10008, "Unknown Message") from None
    ids = voters(emu, msg, answer_id, req.query)
    return 200, {"users": [emu.state.users[u].to_json() for u in ids if u in emu.state.users]}
