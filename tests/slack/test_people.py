"""Who a Slack mention names, at the wire: users.info on the fake Slack, the real backend.

A player must be a member of the workspace the command came from (as on Discord, a
member of the guild): not a deactivated account, not a bot, not a user of another
workspace. Names longer than the API takes are cut where they enter; a users.info that
cannot answer fails the command with "try again" rather than storing raw ids; a
mention list over the option's maximum is refused before anyone is looked up, and the
lookups run a few at a time."""

from __future__ import annotations

from typing import Any

import yaml

from gmbot.chat.options import RESOLVE_AT_ONCE
from gmbot.chat.vocabulary import Invocation, Person, Place
from gmbot.slack import PLATFORM
from gmbot.slack.text import NAME_MAX
from gmbot.spec.model import BotSpec, OptionType
from tests.support import ROOT

from .conftest import Stack
from .fake_slack import Rate, ServerError
from .test_wire import ALICE, command, header

WOLVES = Place("T0WOLF", "wolves")


async def status(stack: Stack) -> dict[str, Any]:
    """The Wolves' clan as the backend keeps it (what any platform is shown)."""
    inv = Invocation(PLATFORM, author=Person(*ALICE), server=WOLVES, channel=Place("CWARS", "wars"), id="")
    outcome = await stack.runtime.core.run_prefix("status", "", inv)
    assert outcome.kind == "reply", outcome.card
    assert isinstance(outcome.body, dict)
    return outcome.body


async def wars(stack: Stack) -> list[dict[str, Any]]:
    """The Wolves' open war requests."""
    return list((await status(stack))["requests"])


async def players(stack: Stack) -> list[dict[str, Any]]:
    (war,) = await wars(stack)
    return list(war["host"]["players"])


def players_max(spec: BotSpec) -> int:
    option = next(o for o in spec.command("createwar").options if o.type is OptionType.USERS)  # type: ignore[union-attr]
    assert option.max_items is not None
    return option.max_items


async def test_only_members_of_the_workspace_can_be_mentioned(stack: Stack) -> None:
    stack.fake.add_user("UGONE", "gone", "T0WOLF", deleted=True)
    stack.fake.add_user("UROBOT", "robot", "T0WOLF", is_bot=True)
    stack.fake.add_user("USLACKBOT", "Slackbot", "T0WOLF")  # Slack's own: users.info says is_bot false
    await command(stack, "setup -name Wolves", user=ALICE)
    for mention in ("<@UGONE>", "<@UROBOT|robot>", "<@USLACKBOT>", "<@UBRUNO|bruno>"):  # UBRUNO: the Bears' workspace
        refused = await command(stack, f"createwar -players <@UALICE> {mention} -game 4", user=ALICE)
        assert refused["response_type"] == "ephemeral", refused
        assert f"{mention} is not a member of this server" in str(refused), refused
    assert await wars(stack) == []
    created = await command(stack, "createwar -players <@UALICE> <@UBOB> -game 4", user=ALICE)
    assert header(created).startswith("War request")


async def test_an_enterprise_grid_user_of_this_workspace_is_a_member(stack: Stack) -> None:
    stack.fake.add_user("WGRID", "grid", "T0OTHER")
    stack.fake.users["WGRID"]["enterprise_user"] = {"id": "WGRID", "enterprise_id": "E1", "teams": ["T0OTHER", "T0WOLF"]}
    await command(stack, "setup -name Wolves", user=ALICE)
    created = await command(stack, "createwar -players <@WGRID> -game 4", user=ALICE)
    assert header(created).startswith("War request"), created


async def test_names_longer_than_the_api_takes_are_cut(stack: Stack) -> None:
    long = "Sir " + "Reginald " * 30  # a display name of 274 characters
    stack.fake.add_user("ULONG", long, "T0WOLF")
    author = ("UALICE", "alice-" + "x" * 150)  # a slash command's user_name, as long
    assert header(await command(stack, "setup -name Wolves", user=author)) == "Welcome, Wolves!"
    created = await command(stack, "createwar -players <@ULONG> <@UBOB> -game 4", user=author)
    assert header(created).startswith("War request"), created
    name = next(p["name"] for p in await players(stack) if p["id"].endswith("ULONG"))
    assert len(name) == NAME_MAX and name.startswith("Sir Reginald") and name.endswith("…")


def test_the_name_limit_is_the_apis() -> None:
    schemas = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))["components"]["schemas"]
    limits = {name: schema["properties"]["name"]["maxLength"] for name, schema in schemas.items()
              if name in {"UserRef", "ServerRef", "ChannelRef", "PlayerInput"}}
    assert len(limits) == 4 and set(limits.values()) == {NAME_MAX}


async def test_a_rate_limited_lookup_waits_out_retry_after(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    stack.fake.fail_calls("users.info", Rate(0))
    created = await command(stack, "createwar -players <@UBOB> -game 4", user=ALICE)
    assert header(created).startswith("War request")
    # (the author was looked up at setup, for their language: cached since)
    assert [c.failed for c in stack.fake.of("users.info") if c.data.get("user") == "UBOB"] == ["429", None]
    assert [p["name"] for p in await players(stack)] == ["bob"]


async def test_a_lookup_slack_cannot_answer_fails_the_command_with_try_again(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    stack.fake.fail_calls("users.info", Rate(0), Rate(0), Rate(0))  # more than the client's retries
    busy = await command(stack, "createwar -players <@UBOB> -game 4", user=ALICE)
    assert busy["response_type"] == "ephemeral" and "try again" in str(busy), busy
    stack.fake.fail_calls("users.info", ServerError(503))
    busy = await command(stack, "createwar -players <@UBOB> -game 4", user=ALICE)
    assert "try again" in str(busy) and "HTTP 503" in str(busy), busy
    assert await wars(stack) == []  # never a war with "UBOB" as a player's name
    created = await command(stack, "createwar -players <@UBOB> -game 4", user=ALICE)
    assert header(created).startswith("War request")
    assert [p["name"] for p in await players(stack)] == ["bob"]


async def test_too_many_mentions_are_refused_before_any_lookup(stack: Stack, spec: BotSpec) -> None:
    most = players_max(spec)
    mentions = [f"<@UMANY{i}>" for i in range(2 * most)]
    for i in range(2 * most):
        stack.fake.add_user(f"UMANY{i}", f"player{i}", "T0WOLF")
    await command(stack, "setup -name Wolves", user=ALICE)
    refused = await command(stack, f"createwar -players {' '.join(mentions)} -game 4", user=ALICE)
    assert f"takes at most {most} (got {2 * most})" in str(refused), refused
    assert [c for c in stack.fake.of("users.info") if c.data.get("user") != ALICE[0]] == []  # (alice: her language)


async def test_mentions_are_looked_up_a_few_at_a_time(stack: Stack, spec: BotSpec) -> None:
    count = min(players_max(spec), 2 * RESOLVE_AT_ONCE + 1)
    for i in range(count):
        stack.fake.add_user(f"UMANY{i}", f"player{i}", "T0WOLF")
    await command(stack, "setup -name Wolves", user=ALICE)
    stack.fake.hold("users.info")
    reply, url = await stack.wire.slash(f"promote -members {' '.join(f'<@UMANY{i}>' for i in range(count))}",
                                        user=ALICE)
    assert reply.status == 200
    await stack.fake.wait_in_flight("users.info", RESOLVE_AT_ONCE)  # one at a time would never get there
    stack.fake.unhold("users.info")
    promoted = await stack.fake.response(url)
    assert promoted["response_type"] == "in_channel" and "player0" in str(promoted), promoted
    assert stack.fake.most_in_flight["users.info"] == RESOLVE_AT_ONCE
    assert len([c for c in stack.fake.of("users.info") if c.data.get("user") != ALICE[0]]) == count
