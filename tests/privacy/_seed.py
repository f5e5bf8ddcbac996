"""A guild where one member (``M``) appears in every column that can hold a member's id, next to another member
(``X``) and another guild (``G2``) where ``M`` also appears: erasure is per member and per server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.activity.tables import activity_counters
from bot.announcements.tables import announcements
from bot.betas.tables import beta_participants, beta_poll_voters, beta_poll_votes, beta_polls, betas
from bot.contributions.tables import featured_posts, help_posts, solutions
from bot.dashboard.tables import web_login_nonces, web_sessions
from bot.feedback.tables import (
    feedback,
    feedback_coreporters,
    feedback_dms_closed,
    feedback_drafts,
    feedback_followers,
    feedback_merge_proposals,
    feedback_votes,
)
from bot.giveback.tables import giveback
from bot.ledger.tables import contributions, member_stages, member_stats, stage_moves
from bot.linkedroles.tables import linked_role_links
from bot.platform.tables import audit_log, guilds, member_locales, members
from bot.privacy.tables import privacy_optouts, privacy_public_names
from bot.privileges.tables import member_privileges, privilege_moves, staging_posts, staging_reviews
from bot.rewards.tables import grants, perk_codes, perk_pools, reward_rules
from bot.search.tables import search_docs, search_helped
from bot.settings.tables import setting_overrides
from bot.webhooks.tables import webhook_events

G, G2 = 810000000000000001, 810000000000000002
M = 830000000000000001  # the member who asks to be forgotten
X = 830000000000000002  # someone else
CH, MSG = 840000000000000001, 840000000000000002
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CODE = "ACME-SECRET-9876"
SECRETS = ("Mia", "thanks Mia for the fix", "Mia wrote this reason", "Mia's crash", "It crashes at home",
           "click here then there")


async def _id(conn: AsyncConnection, stmt: Any) -> int:
    return int((await conn.execute(stmt)).scalar_one())


async def _many(conn: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    for row in rows:  # one by one: the rows set different columns (the others keep their defaults)
        await conn.execute(insert(table).values(**row))


async def seed(conn: AsyncConnection) -> None:
    """Rows about ``M`` (and ``X``) in every table that holds members' ids, in ``G``; a few in ``G2``."""
    t = T0
    await _many(conn, guilds, [{"id": G, "name": "g", "joined_at": t}, {"id": G2, "name": "g2", "joined_at": t}])
    await _many(conn, members, [
        {"guild_id": G, "user_id": M, "display_name": "Mia", "first_seen_at": t, "joined_at": t, "left_at": t},
        {"guild_id": G, "user_id": X, "display_name": "Otto", "first_seen_at": t, "joined_at": t},
        {"guild_id": G2, "user_id": M, "display_name": "Mimi", "first_seen_at": t, "joined_at": t},
    ])
    await conn.execute(insert(privacy_optouts).values(guild_id=G, user_id=M, tracking_off_at=t))
    await conn.execute(insert(privacy_public_names).values(guild_id=G, user_id=M, since=t))
    # #23: a kept draft, M's post and answer in the search index, and a "This solved it" that M asked and answered.
    await conn.execute(insert(feedback_drafts).values(guild_id=G, user_id=M, type="idea", title="M's draft",
                                                      created_at=t, updated_at=t))
    await conn.execute(insert(search_docs).values(guild_id=G, kind="help", ref_id=424242, title="M's question",
                                                  status="solved", author_id=M, answerer_id=M, updated_at=t))
    await conn.execute(insert(search_helped).values(thread_id=434343, guild_id=G, original_thread_id=424242,
                                                    asker_id=M, answerer_id=M, created_at=t))

    # The ledger: M received a thanks from X, gave one to X, and has a row without a giver; X got one from nobody.
    received = await _id(conn, insert(contributions).values(
        guild_id=G, user_id=M, kind="thanks", points=1, source_key=f"thanks:{X}:{M}:1", actor_id=X,
        reason="thanks Mia for the fix", season="s1", channel_id=CH, message_id=MSG, created_at=t,
        note="daily cap").returning(contributions.c.id))
    await _many(conn, contributions, [
        {"guild_id": G, "user_id": X, "kind": "thanks", "points": 1, "source_key": f"thanks:{M}:{X}:1",
         "actor_id": M, "reason": "Mia wrote this reason", "created_at": t + timedelta(minutes=1)},
        {"guild_id": G, "user_id": M, "kind": "answer", "points": 10, "source_key": "answer:1:2",
         "created_at": t + timedelta(minutes=2), "reverses_id": None, "status": "pending",
         "held_until": t + timedelta(days=3)},
        {"guild_id": G, "user_id": X, "kind": "answer", "points": 10, "source_key": "answer:3:4", "created_at": t},
        {"guild_id": G2, "user_id": M, "kind": "answer", "points": 10, "source_key": "answer:5:6", "created_at": t,
         "reason": "elsewhere"},
    ])
    await conn.execute(insert(contributions).values(
        guild_id=G, user_id=M, kind="thanks", points=-1, source_key=f"reverse:{received}", actor_id=X,
        reverses_id=received, created_at=t + timedelta(minutes=3)))
    await _many(conn, member_stats, [
        {"guild_id": G, "user_id": M, "kind": "*", "season": "", "points": 10, "count": 2},
        {"guild_id": G, "user_id": M, "kind": "answer", "season": "s1", "points": 10, "count": 1},
        {"guild_id": G, "user_id": X, "kind": "*", "season": "", "points": 11, "count": 2},
    ])
    await _many(conn, member_stages, [{"guild_id": G, "user_id": M, "stage": 1, "since": t},
                                               {"guild_id": G, "user_id": X, "stage": 1, "since": t}])
    await _many(conn, stage_moves, [
        {"guild_id": G, "user_id": M, "from_stage": 0, "to_stage": 1, "at": t},
        {"guild_id": G, "user_id": X, "from_stage": 0, "to_stage": 1, "at": t},
    ])

    # Privileges: M holds one (pinned by X), and pinned one for X.
    await _many(conn, member_privileges, [
        {"guild_id": G, "user_id": M, "privilege": "mark_solution", "held": True, "pin": "pinned",
         "pin_reason": "runs the meetup", "pinned_by": X, "since": t},
        {"guild_id": G, "user_id": X, "privilege": "mark_solution", "held": True, "pin": "pinned",
         "pin_reason": "trusted", "pinned_by": M, "since": t},
    ])
    await _many(conn, privilege_moves, [
        {"guild_id": G, "user_id": M, "privilege": "mark_solution", "gained": True, "cause": "pin", "at": t},
        {"guild_id": G, "user_id": X, "privilege": "mark_solution", "gained": True, "cause": "pin", "at": t},
    ])

    # Staging ground: M's first post, reviewed by X; M reviewed X's first post with a suggestion.
    await _many(conn, staging_posts, [
        {"thread_id": 1001, "guild_id": G, "author_id": M, "state": "review", "created_at": t, "release_at": t},
        {"thread_id": 1002, "guild_id": G, "author_id": X, "state": "released", "created_at": t, "release_at": t},
    ])
    await _many(conn, staging_reviews, [
        {"guild_id": G, "thread_id": 1001, "reviewer_id": X, "action": "pass", "created_at": t},
        {"guild_id": G, "thread_id": 1002, "reviewer_id": M, "action": "suggest", "title": "Mia's crash",
         "note": "click here then there", "created_at": t},
    ])

    # Give-back: M was given beta access, and (as staff) thanked X.
    await _many(conn, giveback, [
        {"guild_id": G, "user_id": M, "kind": "beta", "source_key": "beta:1", "detail": "Mia's crash", "at": t},
        {"guild_id": G, "user_id": X, "kind": "staff_thanks", "source_key": "thanks:9", "actor_id": M, "at": t},
    ])

    # Rewards: a rule M wrote (as staff), a delivered perk code and a grant still pending.
    rule = await _id(conn, insert(reward_rules).values(
        guild_id=G, name="first", definition={}, created_by=M, created_at=t, updated_at=t).returning(reward_rules.c.id))
    pool = await _id(conn, insert(perk_pools).values(guild_id=G, name="beta", created_at=t).returning(perk_pools.c.id))
    delivered = await _id(conn, insert(grants).values(
        guild_id=G, user_id=M, rule_id=rule, rule_name="first", action="perk", payload={"pool": "beta"},
        status="delivered", dedupe_key=f"rule:{rule}:{M}", cause=f"contribution:{received}", created_at=t,
        delivered_at=t).returning(grants.c.id))
    await _many(conn, grants, [
        {"guild_id": G, "user_id": M, "rule_name": "first", "action": "role_add", "payload": {}, "status": "pending",
         "dedupe_key": f"rule:{rule}:{M}:role", "cause": f"event:beta_joined:{M}", "created_at": t,
         "hold": "approval"},
        {"guild_id": G, "user_id": X, "rule_name": "first", "action": "dm", "payload": {}, "status": "pending",
         "dedupe_key": f"rule:{rule}:{X}", "created_at": t},
    ])
    await _many(conn, perk_codes, [
        {"pool_id": pool, "code": CODE, "assigned_to": M, "grant_id": delivered, "assigned_at": t, "created_at": t},
        {"pool_id": pool, "code": "ACME-FREE-0001", "created_at": t},
    ])

    # Betas: M created one and joined it; X joined too.
    beta = await _id(conn, insert(betas).values(
        guild_id=G, name="Sync", eligibility={}, status="open", created_by=M, created_at=t).returning(betas.c.id))
    await _many(conn, beta_participants, [
        {"beta_id": beta, "user_id": M, "status": "joined", "joined_at": t, "terms_accepted_at": t},
        {"beta_id": beta, "user_id": X, "status": "joined", "joined_at": t + timedelta(minutes=1)},
    ])
    # A poll M posted in it; M and X voted.
    poll = await _id(conn, insert(beta_polls).values(
        beta_id=beta, guild_id=G, channel_id=1, message_id=2, question="Sync speed?", answers=["ok", "slow"],
        hours=24, status="posted", created_by=M, created_at=t).returning(beta_polls.c.id))
    await _many(conn, beta_poll_votes, [{"poll_id": poll, "user_id": M, "answer_id": 1},
                                        {"poll_id": poll, "user_id": X, "answer_id": 2}])
    await _many(conn, beta_poll_voters, [{"poll_id": poll, "user_id": M, "first_voted_at": t, "participant": True},
                                         {"poll_id": poll, "user_id": X, "first_voted_at": t, "participant": True}])

    # Feedback: M reported one (X votes and follows it); M votes on, follows and co-reported X's.
    mine = await _id(conn, insert(feedback).values(
        guild_id=G, beta_id=beta, reporter_id=M, type="bug", title="Mia's crash", details="It crashes at home",
        steps="click here then there", version="1.2", status="new", created_at=t, updated_at=t)
        .returning(feedback.c.id))
    theirs = await _id(conn, insert(feedback).values(
        guild_id=G, reporter_id=X, type="idea", title="Dark mode", details="please", created_at=t, updated_at=t)
        .returning(feedback.c.id))
    for table in (feedback_votes, feedback_followers):
        await _many(conn, table, [{"feedback_id": mine, "user_id": X, "created_at": t},
                                           {"feedback_id": theirs, "user_id": M, "created_at": t}])
    await conn.execute(insert(feedback_coreporters).values(feedback_id=theirs, user_id=M, source_feedback_id=mine,
                                                           created_at=t))
    await conn.execute(insert(feedback_dms_closed).values(guild_id=G, user_id=M, until=t))
    await _many(conn, feedback_merge_proposals, [
        {"guild_id": G, "item_id": theirs, "into_id": mine, "proposer_id": M, "state": "open", "created_at": t},
        {"guild_id": G, "item_id": mine, "into_id": theirs, "proposer_id": X, "state": "declined", "decided_by": M,
         "decided_at": t, "created_at": t}])
    await _many(conn, member_locales, [  # the language of M's (and X's) last interaction
        {"guild_id": G, "user_id": M, "locale": "de", "updated_at": t},
        {"guild_id": G, "user_id": X, "locale": "ja", "updated_at": t},
    ])

    # Help and showcase: M answered (X accepted), M accepted X's answer; featured both ways.
    await _many(conn, solutions, [
        {"guild_id": G, "thread_id": 1, "message_id": 2, "answerer_id": M, "accepted_by": X, "created_at": t},
        {"guild_id": G, "thread_id": 3, "message_id": 4, "answerer_id": X, "accepted_by": M, "created_at": t},
    ])
    await _many(conn, featured_posts, [
        {"guild_id": G, "channel_id": CH, "message_id": 5, "author_id": M, "featured_by": X, "via": "curator",
         "created_at": t},
        {"guild_id": G, "channel_id": CH, "message_id": 6, "author_id": X, "featured_by": M, "via": "curator",
         "created_at": t},
        {"guild_id": G, "channel_id": CH, "message_id": 7, "author_id": M, "featured_by": None, "via": "starboard",
         "created_at": t},
    ])
    await conn.execute(insert(help_posts).values(thread_id=1, guild_id=G, forum_id=CH, created_at=t))
    await conn.execute(insert(announcements).values(
        guild_id=G, channel_id=CH, subject="news", status="posted", scheduled_for=t, created_by=M, created_at=t))
    # M (staff) changed a setting; X changed another.
    await _many(conn, setting_overrides, [
        {"guild_id": G, "key": "points.answer", "value": "25", "version": 1, "updated_by": M, "updated_at": t},
        {"guild_id": G, "key": "points.thanks", "value": "3", "version": 2, "updated_by": X, "updated_at": t},
        {"guild_id": G2, "key": "points.answer", "value": "5", "version": 1, "updated_by": M, "updated_at": t},
    ])
    await _many(conn, activity_counters, [
        {"guild_id": G, "user_id": M, "channel_id": CH, "day": date(2026, 5, 1), "messages": 3, "reactions": 1},
        {"guild_id": G, "user_id": X, "channel_id": CH, "day": date(2026, 5, 1), "messages": 1},
    ])

    # Outbound webhook events: about M, and one about X in which M only voted (inside the document).
    await _many(conn, webhook_events, [
        {"guild_id": G, "event_id": "evt_m", "type": "beta.joined", "member_id": M, "created_at": t,
         "body": {"id": "evt_m", "data": {"member_id": str(M)}}},
        {"guild_id": G, "event_id": "evt_x", "type": "feedback.voted", "member_id": X, "created_at": t,
         "body": {"id": "evt_x", "data": {"voter_id": str(M), "feedback": {"reporter_id": str(X)}}}},
        {"guild_id": G2, "event_id": "evt_g2", "type": "beta.joined", "member_id": M, "created_at": t,
         "body": {"id": "evt_g2", "data": {"member_id": str(M)}}},
    ])
    # The audit log: M as actor, as target, and only inside the details.
    await _many(conn, audit_log, [
        {"guild_id": G, "actor_id": M, "action": "ledger.reverse", "target_id": X, "details": {"by": str(M)},
         "created_at": t},
        {"guild_id": G, "actor_id": X, "action": "reward.revoke", "target_id": M, "details": {}, "created_at": t},
        {"guild_id": G, "actor_id": X, "action": "beta.remove", "target_id": beta,
         "details": {"members": [M, X]}, "created_at": t},
        {"guild_id": G, "actor_id": X, "action": "beta.create", "target_id": beta, "details": {}, "created_at": t},
    ])

    # The dashboard: M logged in once (the link's nonce is recorded) and has a live session; also in G2.
    await _many(conn, web_login_nonces, [
        {"nonce": "n" * 32, "guild_id": G, "user_id": M, "used_at": t, "expires_at": t + timedelta(minutes=10)},
        {"nonce": "o" * 32, "guild_id": G, "user_id": X, "used_at": t, "expires_at": t + timedelta(minutes=10)},
    ])
    await _many(conn, web_sessions, [
        {"id_hash": "a" * 64, "guild_id": G, "user_id": M, "created_at": t, "expires_at": t + timedelta(hours=12)},
        {"id_hash": "b" * 64, "guild_id": G, "user_id": X, "created_at": t, "expires_at": t + timedelta(hours=12)},
        {"id_hash": "c" * 64, "guild_id": G2, "user_id": M, "created_at": t, "expires_at": t + timedelta(hours=12)},
    ])

    # Linked roles: M linked Kudos (tokens sealed; the values are opaque here), and so did X.
    await _many(conn, linked_role_links, [
        {"user_id": uid, "guild_id": G, "access_enc": f"sealed-a-{n}", "refresh_enc": f"sealed-r-{n}",
         "expires_at": t + timedelta(days=7), "scope": "identify role_connections.write", "linked_at": t,
         "state": "linked", "published": {"points": "5"}, "published_at": t}
        for n, uid in enumerate((M, X))
    ])
