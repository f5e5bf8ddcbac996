"""Reward rules from the dashboard, as ``/rewards rule add | edit | disable | enable``: the form's dry run shows
who would get the rule now, and only the rule that dry run showed is saved."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from bot.platform.tables import audit_log
from bot.sandbox.harness import Harness
from tests.dashboard.conftest import csrf_of, get, log_in, post, refused_for_non_staff, refused_without_csrf

PREVIEWED = re.compile(r'name="previewed" value="([0-9a-f]*)"')


@pytest.fixture
def dash_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "rewards": [{"name": "from-file", "trigger": {"points": 1000}, "dm": "You made it"}],
    }}}


async def credit(h: Harness, *names: str) -> None:
    assert h.bot is not None
    for name in names:
        await h.bot.app.ledger.credit(h.guild_id, h.members[name], "answer", source_key=f"answer:{name}",
                                      actor_id=None)
    await h.settle()


def previewed(page: str) -> str:
    found = PREVIEWED.search(page)
    assert found, page[:500]
    return found.group(1)


async def test_add_a_rule_after_its_dry_run(dash: Harness, http) -> None:
    await credit(dash, "alice", "bob")
    base = await log_in(dash, http)
    status, page = await get(http, base + "/rewards/rules/new")
    assert status == 200 and "Dry run" in page and 'id="save-button"' not in page
    csrf = await csrf_of(http, base + "/rewards")
    helper = str(dash.role_id("Helper"))
    form = {"csrf": csrf, "mode": "new", "name": "first-answer", "trigger": "points:1", "role": helper,
            "bonus_points": "5"}
    status, page = await post(http, base + "/rewards/rules", {**form, "step": "preview"})
    assert status == 200 and "2 member(s) would get it now." in page and "Nothing is saved yet" in page, page
    assert "alice" in page and "bob" in page and 'id="save-button"' in page
    assert dash.bot is not None
    assert "first-answer" not in {r.name for r in await dash.bot.app.rewards.rules(dash.guild_id)}
    fingerprint = previewed(page)

    # Save with a changed rule (or no dry run at all): a new dry run, nothing saved.
    status, page = await post(http, base + "/rewards/rules", {**form, "bonus_points": "6", "step": "save",
                                                             "previewed": fingerprint})
    assert status == 200 and "changed since its dry run" in page and previewed(page) != fingerprint
    assert "first-answer" not in {r.name for r in await dash.bot.app.rewards.rules(dash.guild_id)}

    status, page = await post(http, base + "/rewards/rules", {**form, "step": "save", "previewed": fingerprint})
    assert status == 200 and "Added first-answer" in page and "@Helper" in page, page
    rule = await dash.bot.app.rewards.rule(dash.guild_id, "first-answer")
    assert rule.origin == "command" and rule.enabled and rule.threshold == 1
    assert rule.config.role == dash.role_id("Helper") and rule.config.bonus_points == 5
    async with dash.bot.db.connect() as conn:
        saved = [r for r in await conn.execute(select(audit_log).where(audit_log.c.action == "reward.rule_saved"))
                 if r.details.get("rule") == "first-answer"]
    assert len(saved) == 1 and saved[0].actor_id == dash.members["sam"]
    # The same name again is refused, as /rewards rule add refuses it.
    status, page = await post(http, base + "/rewards/rules", {**form, "step": "preview"})
    assert status == 409 and "exists already" in page


async def test_edit_a_rule_with_its_dry_run_and_refusals(dash: Harness, http) -> None:
    await credit(dash, "alice")
    sam = dash.member("sam")
    added = await sam.slash("rewards rule add", name="vip", trigger="points:1", dm="Welcome, VIP")
    assert "Added" in (added.content or "")
    base = await log_in(dash, http)
    status, page = await get(http, base + "/rewards/rules/edit?name=vip")
    assert status == 200 and 'value="points:1"' in page and "Welcome, VIP" in page and "readonly" in page
    csrf = await csrf_of(http, base + "/rewards")
    form = {"csrf": csrf, "mode": "edit", "name": "vip", "trigger": "points:500/30d", "dm": "Welcome, VIP"}
    status, page = await post(http, base + "/rewards/rules", {**form, "step": "preview"})
    assert status == 200 and "0 member(s) would get it now." in page
    status, page = await post(http, base + "/rewards/rules", {**form, "step": "save", "previewed": previewed(page)})
    assert status == 200 and "Updated vip" in page
    assert dash.bot is not None
    rule = await dash.bot.app.rewards.rule(dash.guild_id, "vip")
    assert rule.threshold == 500 and rule.trigger.window_days == 30 and rule.config.dm == "Welcome, VIP"

    # The model's and the command's refusals, shown on the form (nothing saved).
    for change, says in (({"trigger": "nonsense"}, "can't read the trigger"),
                         ({"cooldown_days": "3"}, "only applies to repeatable"),
                         ({"perk_pool": "nope"}, "no perk pool called"),
                         ({"role": "123"}, "names no role"),
                         ({"dm": "Your code: {code}"}, "no perk_pool")):
        status, page = await post(http, base + "/rewards/rules", {**form, **change, "step": "preview"})
        assert status == 400 and says in page.replace("&#39;", "'"), (change, page[-1500:])
        assert 'id="rule-form"' in page  # the form again, as it was sent
    assert (await dash.bot.app.rewards.rule(dash.guild_id, "vip")).threshold == 500

    # An event rule has nothing to replay: the dry run says so and it can be saved.
    status, page = await post(http, base + "/rewards/rules", {**form, "trigger": "event:beta_joined",
                                                             "step": "preview"})
    assert status == 200 and "can&#39;t be replayed" in page
    status, page = await post(http, base + "/rewards/rules", {**form, "trigger": "event:beta_joined",
                                                             "step": "save", "previewed": previewed(page)})
    assert status == 200 and "Updated vip" in page
    assert (await dash.bot.app.rewards.rule(dash.guild_id, "vip")).trigger.type == "event"

    # A rule from the config file is changed in the file, as with the commands.
    status, page = await get(http, base + "/rewards/rules/edit?name=from-file")
    assert status == 403 and "config file" in page
    status, page = await post(http, base + "/rewards/rules", {**form, "name": "from-file", "step": "preview"})
    assert status == 403 and "config file" in page
    status, page = await get(http, base + "/rewards/rules/edit?name=nothing")
    assert status == 404


async def test_disable_and_enable_a_rule(dash: Harness, http) -> None:
    await dash.member("sam").slash("rewards rule add", name="vip", trigger="kind:answer:1", dm="Welcome, VIP")
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/rewards")
    status, page = await post(http, base + "/rewards/rules/disable", {"csrf": csrf, "name": "vip"})
    assert status == 200 and "Rule vip is off" in page and "/rewards/rules/enable" in page
    assert dash.bot is not None
    assert not (await dash.bot.app.rewards.rule(dash.guild_id, "vip")).enabled
    await credit(dash, "alice")  # a disabled rule earns nothing
    assert not any("Welcome, VIP" in (m.content or "") for m in dash.member("alice").dms())
    status, page = await post(http, base + "/rewards/rules/disable", {"csrf": csrf, "name": "vip"})
    assert status == 409 and "off already" in page
    status, page = await post(http, base + "/rewards/rules/enable", {"csrf": csrf, "name": "vip"})
    assert status == 200 and "Rule vip is on again" in page
    assert (await dash.bot.app.rewards.rule(dash.guild_id, "vip")).enabled
    await credit(dash, "bob")
    assert any("Welcome, VIP" in (m.content or "") + str(m.embeds) for m in dash.member("bob").dms())
    status, page = await post(http, base + "/rewards/rules/disable", {"csrf": csrf, "name": "from-file"})
    assert status == 403 and "config file" in page
    # /rewards rule disable is the same service call.
    done = await dash.member("sam").slash("rewards rule disable", name="vip")
    assert "is off" in (done.content or "")
    assert not (await dash.bot.app.rewards.rule(dash.guild_id, "vip")).enabled


async def test_rule_actions_need_csrf_and_a_current_staff_member(dash: Harness, http) -> None:
    await dash.member("sam").slash("rewards rule add", name="vip", trigger="points:1", dm="Welcome, VIP")
    base = await log_in(dash, http)
    form = {"mode": "new", "name": "sneaky", "trigger": "points:1", "dm": "hi", "step": "preview"}
    for path, data in (("/rewards/rules", form), ("/rewards/rules/disable", {"name": "vip"}),
                       ("/rewards/rules/enable", {"name": "vip"})):
        await refused_without_csrf(http, base + path, data)
        await refused_for_non_staff(dash, path, data)
    assert dash.bot is not None
    rules = {r.name: r for r in await dash.bot.app.rewards.rules(dash.guild_id)}
    assert "sneaky" not in rules and rules["vip"].enabled
