from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
import yaml

from gmbot.discord.shards import ShardFilter
from gmbot.discord.sync import API, SyncError, diff, sync_commands
from tests.support import ROOT

COMMANDS: list[dict[str, Any]] = [
    {"name": "games", "description": "The supported games", "options": []},
    {"name": "war", "description": "Show one war", "options": [{"name": "war", "description": "War id", "type": 3, "required": True}]},
]


def test_shard_filter() -> None:
    guild = (123456 << 22) | 99
    assert ShardFilter().accepts(guild)
    assert ShardFilter(4, [123456 % 4]).accepts(guild)
    assert not ShardFilter(4, [(123456 + 1) % 4]).accepts(guild)
    assert not ShardFilter(4, [0]).accepts("not-a-snowflake")


def guild_on(shard: int, count: int, n: int = 7) -> int:
    """A guild id of shard `shard` of `count` (the shard key is `id >> 22`)."""
    return ((count * n + shard) << 22) | 5


@pytest.mark.parametrize(("count", "ids", "name"), [
    (1, None, "all"), (4, None, "all"), (2, [0, 1], "all"), (2, [1], "shards-1-of-2"),
    (16, [4, 5, 6, 7, 9], "shards-4_7.9-of-16"), (4, [0, 2], "shards-0.2-of-4"),
])
def test_a_shard_set_names_its_partition_and_reads_it_back(count: int, ids: list[int] | None, name: str) -> None:
    shards = ShardFilter(count, ids)
    assert shards.partition == name
    back = ShardFilter.from_partition(name)
    assert back is not None and back.partition == name
    assert all(back.accepts(guild_on(s, count)) == shards.accepts(guild_on(s, count)) for s in range(count))
    assert ShardFilter.from_partition("p-1234") is None  # not a shard set's


def test_a_partition_name_too_long_for_the_backend_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="over 64 characters"):
        assert ShardFilter(1000, list(range(0, 1000, 7))).partition


def test_shard_sets_overlap_when_their_ids_agree_modulo_the_gcd() -> None:
    old = [ShardFilter(2, [0]), ShardFilter(2, [1])]
    assert [o.overlaps(ShardFilter(4, [2])) for o in old] == [True, False]
    assert all(o.overlaps(ShardFilter(3, [1])) for o in old)  # 2 and 3: every guild class meets
    assert ShardFilter().overlaps(ShardFilter(4, [3]))
    # derived, not assumed: the rule agrees with the guilds themselves
    for new_count, old_count in [(4, 2), (3, 2), (6, 4)]:
        for n_id in range(new_count):
            for o_id in range(old_count):
                meet = any(ShardFilter(new_count, [n_id]).accepts(g) and ShardFilter(old_count, [o_id]).accepts(g)
                           for g in (guild_on(k % 97, 97, k) for k in range(500)))
                assert ShardFilter(new_count, [n_id]).overlaps(ShardFilter(old_count, [o_id])) == meet


def test_a_new_shard_set_inherits_from_the_old_partitions_of_its_guilds() -> None:
    states = [
        {"partition": "shards-0-of-2", "cursor": 40, "held": False},
        {"partition": "shards-1-of-2", "cursor": 25, "held": False},
        {"partition": "p-unrelated", "cursor": 1, "held": True},
    ]
    new = ShardFilter(4, [1])  # its guilds were all on old shard 1
    inherited = new.lineage(new.partition, states)
    assert inherited is not None and inherited.cursor == 25 and inherited.busy == ()
    both = ShardFilter(4, [0, 1])  # guilds from both old shards: the lower cursor, the rest dropped
    inherited = both.lineage(both.partition, states)
    assert inherited is not None and inherited.cursor == 25
    assert inherited.delivered(guild_on(0, 4), 40) and not inherited.delivered(guild_on(0, 4), 41)
    assert inherited.delivered(guild_on(1, 4), 25) and not inherited.delivered(guild_on(1, 4), 26)
    assert new.lineage(new.partition, [{**states[1], "held": True}]).busy == ("shards-1-of-2",)  # type: ignore[union-attr]
    assert new.lineage(new.partition, [states[0]]) is None  # no old partition held its guilds
    assert new.lineage(new.partition, [{"partition": new.partition, "cursor": 3, "held": True}]) is None  # itself


def test_diff_ignores_what_discord_adds() -> None:
    remote = [{**COMMANDS[0], "id": "1", "version": "2", "application_id": "9", "type": 1},
              {"name": "old", "description": "gone", "id": "3"}]
    assert diff(COMMANDS, remote) == ["+ war (new)", "- old (removed)"]
    defaults = [{**COMMANDS[0], "nsfw": False, "options": [], "choices": []}]
    assert diff(defaults, remote[:1]) == []
    changed = [{**COMMANDS[0], "description": "other"}]
    assert diff(changed, remote[:1]) == ["~ games (changed: description)"]


def test_diff_compares_as_discord_means() -> None:
    """Sets where order means nothing (contexts, integration types, channel types: py-cord
    keeps contexts in a set, ordered by the hash seed); order where it shows (choices)."""
    choice = {"name": "format", "description": "War format", "type": 3, "channel_types": [0, 5],
              "choices": [{"name": "First to 3", "value": "ft3"}, {"name": "First to 5", "value": "ft5"}]}
    local = [{**COMMANDS[0], "contexts": [0, 1, 2], "integration_types": [0, 1], "options": [choice]}]
    shuffled = [{**COMMANDS[0], "contexts": [2, 0, 1], "integration_types": [1, 0],
                 "options": [{**choice, "channel_types": [5, 0]}]}]
    assert diff(local, shuffled) == []
    fewer = [{**shuffled[0], "contexts": [0, 1]}]
    assert diff(local, fewer) == ["~ games (changed: contexts)"]
    reordered = [{**shuffled[0], "options": [{**choice, "choices": choice["choices"][::-1]}]}]
    assert diff(local, reordered) == ["~ games (changed: options)"]
    options_swapped = [{**COMMANDS[1], "options": [*COMMANDS[1]["options"], choice]}]
    swapped_remote = [{**COMMANDS[1], "options": [choice, *COMMANDS[1]["options"]]}]
    assert diff(options_swapped, swapped_remote) == ["~ war (changed: options)"]


@respx.mock
async def test_one_bulk_overwrite_in_a_guild() -> None:
    respx.get(f"{API}/oauth2/applications/@me").respond(json={"id": "42"})
    respx.get(f"{API}/applications/42/guilds/7/commands").respond(json=[])
    put = respx.put(f"{API}/applications/42/guilds/7/commands").respond(json=[{**c, "id": str(i)} for i, c in enumerate(COMMANDS)])
    report = await sync_commands("tok", commands=COMMANDS, guild="7")
    assert put.call_count == 1 and json.loads(put.calls[0].request.content) == COMMANDS
    assert put.calls[0].request.headers["Authorization"] == "Bot tok"
    assert report[0] == "guild 7: registered 2 commands with one bulk overwrite"


@respx.mock
async def test_dry_run_writes_nothing() -> None:
    respx.get(f"{API}/applications/42/commands").respond(json=[{**COMMANDS[0], "id": "1"}])
    put = respx.put(f"{API}/applications/42/commands")
    report = await sync_commands("tok", commands=COMMANDS, application_id="42", dry_run=True)
    assert not put.called
    assert report == ["dry run (global): 1 change(s)", "+ war (new)"]


@respx.mock
async def test_discord_errors_are_reported_not_raised_raw() -> None:
    respx.get(f"{API}/applications/42/commands").respond(json=[])
    respx.put(f"{API}/applications/42/commands").mock(return_value=httpx.Response(429, headers={"retry-after": "30"}, json={}))
    with pytest.raises(SyncError, match="retry after 30"):
        await sync_commands("tok", commands=COMMANDS, application_id="42")


@respx.mock
async def test_a_rate_limit_says_how_long_to_wait() -> None:
    respx.get(f"{API}/applications/42/commands").respond(json=[])
    put = respx.put(f"{API}/applications/42/commands")
    # Discord's own 429: the exact time in the JSON body (the header may be missing or rounded)
    put.mock(return_value=httpx.Response(429, json={"message": "You are being rate limited.", "retry_after": 12.5,
                                                    "global": False}))
    with pytest.raises(SyncError, match=r"retry after 12\.5 s$"):
        await sync_commands("tok", commands=COMMANDS, application_id="42")
    # Cloudflare's: plain text, no header
    put.mock(return_value=httpx.Response(429, text="error code: 1015"))
    with pytest.raises(SyncError) as refused:
        await sync_commands("tok", commands=COMMANDS, application_id="42")
    assert "?" not in str(refused.value) and "retry in a minute" in str(refused.value)


def test_sync_main_dry_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from gmbot.discord.cli import sync_main

    monkeypatch.setenv("DISCORD_TOKEN", "tok")
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "42")
    with respx.mock:
        respx.get(f"{API}/applications/42/commands").respond(json=[])
        assert sync_main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    commands = yaml.safe_load((ROOT / "specs" / "commands.yaml").read_text(encoding="utf-8"))["commands"]
    entries = [m for c in commands.values() for m in c.get("menus") or []]  # user and message commands
    assert out.startswith(f"dry run (global): {len(commands) + len(entries)} change(s)") and "+ createwar (new)" in out
    assert "+ Clan profile [user command] (new)" in out and "+ Clan profile [message command] (new)" in out
    monkeypatch.delenv("DISCORD_TOKEN")
    assert sync_main([]) == 2


@pytest.mark.parametrize(("argv", "said"), [
    (["--shard-ids", "1"], "--shard-ids needs --shard-count"),
    (["--shard-count", "4", "--shard-ids", "1,4"], "--shard-ids must be below --shard-count (4)"),
    (["--shard-count", "1000", "--shard-ids", ",".join(map(str, range(0, 1000, 7)))], "over 64 characters"),
])
async def test_shard_settings_that_cannot_name_a_partition_are_one_line_and_exit_2(
        argv: list[str], said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from gmbot.discord.cli import run_bot

    monkeypatch.setenv("DISCORD_TOKEN", "token")
    assert await run_bot(argv) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and err.count("\n") == 1
