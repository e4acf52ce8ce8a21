"""The playground fed a scripted war, against the real backend started in-process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from generated.application import application
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.chat.vocabulary import RenderedCard
from gmbot.platforms import platform, platforms
from gmbot.playground.playground import Playground, as_text
from gmbot.server.local import local_backend
from gmbot.spec.model import BotSpec
from tests.chat.fakes import ROUTES
from tests.playground.support import chat
from tests.support import ROOT

DISCORD = platform("discord")

SCRIPT = """
as alice in Wolves
gmbot setup -name Wolves
as bob in Wolves
as bruno in Bears
gmbot setup -name Bears
gmbot subscribe -games 4
as alice in Wolves
gmbot createwar -players @alice @zed -game 4
gmbot createwar -players @alice @bob -game 4 -duration 2s
as bruno in Bears
gmbot accept -war {war} -players @bruno
gmbot say -war {war} -message gl hf
this is ordinary chat, ignored
wait 3.5
click We lost
as alice in Wolves
click We won
gmbot leaderboard
"""


async def test_a_scripted_war(spec: BotSpec) -> None:
    out = io.StringIO()
    async with local_backend(application, DISCORD.client) as live:
        backend = BackendClient(live.url, live.api_key, DISCORD.client, routes=ROUTES)
        await Playground({"discord": Core(spec, backend, "discord")}, out).run(SCRIPT.splitlines())
        await backend.aclose()
    text = out.getvalue()
    expected = [
        "== Welcome, Wolves! ==",
        "-players: @zed is not a member of this server",
        ">> war.requested in Bears #general:",
        "== NEW WAR REQUEST ==",
        ">> war.accepted in Wolves #general:",
        ">> war.message in Wolves #general:",
        "gl hf",
        ">> war.ended in Bears #general:",
        "== WHO WON? ==",
        "Please be honest!",
        "[We won]  [We lost]  [Draw]",
        ">> war.confirmed in Wolves #general:",
        "Wolves won!",
        "#1 Wolves: 3 glory points",
    ]
    position = 0
    for line in expected:
        found = text.find(line, position)
        assert found >= 0, f"{line!r} missing after position {position}:\n{text}"
        position = found
    assert "ordinary chat" not in text.split("this is ordinary chat, ignored")[-1]
    assert "Traceback" not in text


HOSTILE = "**Evil** <@1> [x](https://e.x) ⟨time 0 relative⟩"


async def test_the_playground_prints_hostile_text_as_it_is(spec: BotSpec) -> None:
    """Plain text: the values as typed, no marks, no escapes, no time written from a value."""
    out = io.StringIO()
    async with local_backend(application, DISCORD.client) as live:
        backend = BackendClient(live.url, live.api_key, DISCORD.client, routes=ROUTES)
        await Playground({"discord": Core(spec, backend, "discord")}, out).run(
            ["as alice in Wolves", f"gmbot setup -name {HOSTILE}", f"gmbot createwar -game 4 -players {HOSTILE}"])
        await backend.aclose()
    text = out.getvalue()
    assert f"== Welcome, {HOSTILE}! ==" in text and "-players: '**Evil**' is not a mention" in text
    assert not {"\ue000", "\ue001", "\\"} & set(text) and "1970" not in text


def test_gmbot_chat_exits_0_at_end_of_input() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-m", "gmbot.cli", "chat"], input="as alice in Wolves\ngmbot games\ngmbot nope\n",
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "== Games (4) ==" in result.stdout and "Unknown command" in result.stdout


def test_gmbot_chat_plays_on_every_registered_platform_each_as_it_shows_cards() -> None:
    """`on <platform>` for each registered platform, none by default: the first registered."""
    registered = platforms()
    lines = ["as zoe in Home", "gmbot setup -name Home"]
    for index, side in enumerate(registered):
        lines += [f"as ann{index} in Clan{index} on {side.name}", f"gmbot setup -name Clan{index}"]
    result = chat(lines)
    assert result.returncode == 0 and "!!" not in result.stdout, result.stdout + result.stderr
    first = registered[0]
    assert "-- zoe in Home\n" in result.stdout
    assert as_text(first)(RenderedCard(title="Welcome, Home!")).splitlines()[0] in result.stdout
    for index, side in enumerate(registered):
        noted = "" if side is first else f" (on {side.title})"
        assert f"-- ann{index} in Clan{index}{noted}\n" in result.stdout, side.name
        # the setup reply's title, as this platform's own converter and reader show it
        title = as_text(side)(RenderedCard(title=f"Welcome, Clan{index}!")).splitlines()[0]
        assert f"  {title}\n" in result.stdout, side.name


async def test_each_platform_makes_up_ids_of_its_own_shape(spec: BotSpec) -> None:
    """The playground's servers, users and channels get ids shaped by their platform
    (`Platform.fake_id`), and a mention pasted as `<@id>` finds its member."""
    backends = {p.name: BackendClient("http://127.0.0.1:9", "unused", p.client, routes=ROUTES) for p in platforms()}
    playground = Playground({name: Core(spec, backend, name) for name, backend in backends.items()}, io.StringIO())
    for index, side in enumerate(platforms()):
        playground.switch("ann", f"Clan {index}", side.name)
        assert playground.server is not None and playground.user is not None
        assert (playground.server.id, playground.user.id, playground.channels[playground.server.id].id) == (
            side.fake_id("server", index), side.fake_id("user", index), side.fake_id("channel", index))
        assert await playground.resolve(f"<@{playground.user.id}>") == playground.user
    assert len({s.id for s in playground.servers.values()}) == len(platforms())
    for backend in backends.values():
        await backend.aclose()


def test_gmbot_chat_with_a_backend_that_is_down_says_so() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gmbot.cli", "chat", "--url", "http://127.0.0.1:9", "--api-key", "k"],
        input="as alice in Wolves\ngmbot games\n", capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the backend is not answering" in result.stderr


def test_gmbot_bot_without_a_token_is_a_clear_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "gmbot.cli", "bot"], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path, env=env)
    assert result.returncode == 2 and "DISCORD_TOKEN is not set" in result.stderr


async def test_history_since_and_until_filter_at_the_real_backend(spec: BotSpec) -> None:
    """Issue 17: `-since 1h` keeps the war just settled, `-until 1h` (an hour ago) drops it,
    `-since tomorrow` too; an impossible date is a usage error; help shows the format."""
    out = io.StringIO()
    asked = ["gmbot history -since 1h", "gmbot history -until 1h", "gmbot history -since tomorrow",
             "gmbot history -since 2026-13-45", "gmbot help history"]
    async with local_backend(application, DISCORD.client) as live:
        backend = BackendClient(live.url, live.api_key, DISCORD.client, routes=ROUTES)
        await Playground({"discord": Core(spec, backend, "discord")}, out).run(SCRIPT.splitlines() + asked)
        await backend.aclose()
    # each answer follows its command's prompt line
    answers = [out.getvalue().rsplit(f"> {line}\n", 1)[1].split("> gmbot ", 1)[0] for line in asked]
    since, until, tomorrow, impossible, helped = answers
    assert "War history (1)" in since and "WON vs Bears" in since
    assert "War history (0)" in until and "No war with a result matches." in until
    assert "War history (0)" in tomorrow
    assert "-since must be a date like 2026-11-01" in impossible and "[-since <when>]" in impossible
    assert "-opponent <clan id>" in helped and "2026-11-01 18:00 or 7d ago" in helped
    lines = helped.splitlines()
    examples = [i for i, line in enumerate(lines) if line.rstrip().endswith("`") and "`gmbot history" in line
                and "[-" not in line]
    assert len(examples) == len(spec.command("history").examples)  # type: ignore[union-attr]
    indent = len(lines[examples[0]]) - len(lines[examples[0]].lstrip())
    assert all(len(lines[i]) - len(lines[i].lstrip()) > indent for i in examples[1:]), helped  # kept indented


def test_page_buttons_play_on_every_registered_platform() -> None:
    """`click next` / `click previous` under a paged card: the card is edited in place, and the
    last page has no Next to press."""
    lines = []
    for index, side in enumerate(platforms()):
        lines += [f"as ann{index} in Clan{index} on {side.name}", "gmbot games -limit 3",
                  "click next", "click next", "click previous"]
    result = chat(lines)
    assert result.returncode == 0, result.stderr
    total = 4  # the catalogue of `gmbot chat`'s in-process backend (test_gmbot_chat_exits_0_at_end_of_input)
    per_platform = result.stdout.split("-- ann")[1:]
    assert len(per_platform) == len(platforms())
    for played in per_platform:
        assert played.count("(the card above, edited in place:)") == 2, played  # next, then previous
        assert "!! no button [next]" in played, played  # 4 games, 3 a page: the second page is the last
        assert f"({total})" in played


def test_confirmations_play_on_every_registered_platform() -> None:
    """A destructive command asks first; `click keep it` gives up, `click remove it` goes ahead,
    its answer in place of the prompt; a destructive button asks the same way."""
    lines = []
    for index, side in enumerate(platforms()):
        lines += [f"as ann{index} in Clan{index} on {side.name}", f"gmbot setup -name Clan{index}",
                  f"gmbot createwar -players @ann{index} -game 4", "gmbot removewar -war {war}", "click keep it",
                  "gmbot removewar -war {war}", "click remove it",
                  f"gmbot createwar -players @ann{index} -game 4", "click withdraw", "click withdraw"]
    result = chat(lines)
    assert result.returncode == 0 and "!!" not in result.stdout, result.stdout + result.stderr
    per_platform = result.stdout.split("-- ann")[1:]
    assert len(per_platform) == len(platforms())
    for played in per_platform:
        for line in ("Remove war request", "Cancelled", "(the card above, edited in place:)", "removed",
                     "Withdraw war request", "withdrawn"):
            assert line in played, (line, played)


def test_a_bad_value_of_an_option_with_suggestions_gets_a_did_you_mean_everywhere() -> None:
    lines = []
    for index, side in enumerate(platforms()):
        lines += [f"as ann{index} in Clan{index} on {side.name}", f"gmbot setup -name Clan{index}",
                  f"gmbot createwar -players @ann{index} -game fortnite", "gmbot available"]
    result = chat(lines)
    assert result.returncode == 0, result.stderr
    played = result.stdout.split("-- ann")[1:]
    assert len(played) == len(platforms())
    for text in played:
        assert "Did you mean" in text and "-game 5: Fortnite (5)" in text, text
        assert "(only ann" in text and "sees this:)" in text, text  # available's private reply


def test_selects_play_on_every_registered_platform() -> None:
    """`choose <select> <option>` under a card with selects: the games card's "Subscribe to…"
    subscribes the clan, the status card's "Show a war…" shows the war chosen; a choice that is
    not on the card says so."""
    lines = []
    for index, side in enumerate(platforms()):
        lines += [f"# played on {side.name}", f"as ann{index} in Clan{index} on {side.name}",
                  f"gmbot setup -name Clan{index}", "gmbot games -limit 3", "choose subscribe mini militia",
                  f"as bob{index} in Foes{index} on {side.name}", f"gmbot setup -name Foes{index}",
                  f"gmbot createwar -players @bob{index} -game 4",
                  f"as ann{index} in Clan{index} on {side.name}", f"gmbot accept -war {{war}} -players @ann{index}",
                  f"as bob{index} in Foes{index} on {side.name}", "gmbot status",
                  f"choose show {{war}}: Foes{index} vs Clan{index}", "choose 1 nothing like it"]
    result = chat(lines, timeout=90)
    assert result.returncode == 0, result.stderr
    per_platform = result.stdout.split("# played on ")[1:]
    assert len(per_platform) == len(platforms())
    for index, played in enumerate(per_platform):
        subscribed = played.split("choose subscribe mini militia", 1)[1]
        assert "Subscribed games (1)" in subscribed and "4: Mini Militia" in subscribed, played
        shown = played.split("choose show", 1)[1]
        assert f"Foes{index} vs Clan{index}" in shown.split("\n", 2)[1], played  # the war card's title
        assert played.count("!! no option [nothing like it]") == 1, played
        assert played.count("!!") == 1, played


def test_a_clan_s_name_where_its_id_goes_gets_a_did_you_mean_everywhere() -> None:
    """`-opponent "Night Owls"` (a name: the id's pattern refuses it) suggests the clans of that
    name on the user's platform (searchClans), with their ids."""
    lines = []
    for index, side in enumerate(platforms()):
        lines += [f"as bob{index} in Owls{index} on {side.name}", f'gmbot setup -name "Night Owls {index}"',
                  f"as ann{index} in Clan{index} on {side.name}", f"gmbot setup -name Clan{index}",
                  f'gmbot h2h -opponent "Night Owls {index}"']  # fmt: skip
    result = chat(lines)
    assert result.returncode == 0, result.stderr
    played = result.stdout.split("-- ann")[1:]
    assert len(played) == len(platforms())
    for index, text in enumerate(played):
        assert "Did you mean" in text and f": Night Owls {index} (" in text, text
