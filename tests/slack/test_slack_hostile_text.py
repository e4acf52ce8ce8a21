"""Text is data on Slack, at the wire: hostile clan names and messages reach other clans'
channels as the characters they are, never as a broadcast, a mention, a link or formatting.

Real Bolt and the real backend; each hostile name is a Slack clan (a workspace of its own)
that asks for a war, which Bears accept; then it `say`s hostile text. The events consumer
posts the cards into Bears' channel through `chat.postMessage` on the fake Slack Web API.
Checked is what Slack got: in mrkdwn no `<`, `>` or formatting character of a value is
left (entities and look-alikes), every mrkdwn text is verbatim, the notification text is
escaped too, and each value reads back as typed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .conftest import Stack
from .test_delivery import BEAR_CHANNEL, BEARS, consumer, posts
from .test_wire import ALICE, BRUNO, blocks, command, header

HOSTILE_NAMES = [
    "<!here>",  # what Slack sends when a user types @here
    "@everyone",
    "<!channel>",
    "<https://evil.example/login|FREE GLORY>",
    "[FREE GLORY](https://evil.example)",
    "*bold* _x_ ~s~ `code`",
    "⟨time 0 relative⟩",
    "Tom & Jerry <3",
    "<@UBRUNO> <#CBEARWARS>",
]
HOSTILE_MESSAGE = "<!channel> wake up\n> quoted\n*FREE* _GLORY_ at <https://evil.example|here>"

_LOOKALIKES = {"\u2217": "*", "\u02cd": "_", "\u223c": "~", "\u02cb": "`"}


def as_read(text: str) -> str:
    """What a Slack reader sees of an escaped value: entities as characters, look-alikes as
    what they stand for (near enough to read), a soft hyphen unseen."""
    for lookalike, original in _LOOKALIKES.items():
        text = text.replace(lookalike, original)
    return text.replace("\u00ad", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def inert(text: str) -> bool:
    """No Slack markup in `text`: no `<...>` token, no formatting character, no bare `&`,
    no line opening a quote."""
    if set("<>*_~`") & set(text) or re.search(r"&(?!amp;|lt;|gt;)", text):
        return False
    return not re.search(r"^[ \t]*&gt;", text, re.MULTILINE)


def shows(text: str, value: str) -> None:
    assert inert(text) and as_read(text) == value, (text, value)


def between(text: str, before: str, after: str) -> str:
    assert text.startswith(before) and text.endswith(after), (text, before, after)
    return text[len(before):len(text) - len(after)]


def mrkdwn_texts(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in blocks(message):
        found += [t for t in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
                  if isinstance(t, dict) and t.get("type") == "mrkdwn"]
    return found


def section(message: dict[str, Any]) -> str:
    return next(b["text"]["text"] for b in blocks(message) if b["type"] == "section" and "text" in b)


def fields(message: dict[str, Any]) -> dict[str, str]:
    pairs = [f["text"].split("\n", 1) for b in blocks(message) if b["type"] == "section" for f in b.get("fields", [])]
    return {name: value for name, value in pairs}


async def test_hostile_names_and_messages_reach_other_clans_as_text(stack: Stack, tmp_path: Path) -> None:
    await command(stack, "setup -name Bears", user=BRUNO, team=BEARS, channel=BEAR_CHANNEL)
    await command(stack, "subscribe -games 4", user=BRUNO, team=BEARS, channel=BEAR_CHANNEL)
    feed = consumer(stack, tmp_path)
    for index, name in enumerate(HOSTILE_NAMES):
        team, channel = (f"T0EVIL{index}", f"evil{index}"), (f"CEVIL{index}", "wars")
        captain = (f"UEVIL{index}", f"evil{index}")  # a member of that workspace: mentions are checked
        stack.fake.add_user(*captain, team[0])
        welcome = await command(stack, f"setup -name {name}", user=captain, team=team, channel=channel)
        assert header(welcome) == f"Welcome, {name}!"  # a header is plain text: Slack reads nothing in it
        shows(between(welcome["text"], "Welcome, ", "!"), name)  # the notification text is mrkdwn
        created = await command(stack, f"createwar -players <@{captain[0]}|{captain[1]}> -game 4", user=captain, team=team, channel=channel)
        footer = next(b for b in created["attachments"][0]["blocks"] if b["type"] == "context")  # "War id: ..."
        war = footer["elements"][0]["text"].split()[-1]
        await command(stack, f"accept -war {war} -players <@UBRUNO|bruno>", user=BRUNO, team=BEARS, channel=BEAR_CHANNEL)
        relayed = await command(stack, f"say -war {war} -message {HOSTILE_MESSAGE}", user=captain, team=team, channel=channel)
        assert header(relayed) == "Message relayed", relayed
        shows(section(relayed), HOSTILE_MESSAGE)
    while await feed.poll(wait=0):
        pass

    to_bears = [call.data for call in posts(stack, BEAR_CHANNEL[0])]
    for message in to_bears:
        assert all(text["verbatim"] is True for text in mrkdwn_texts(message)), message
    requests = [m for m in to_bears if header(m) == "NEW WAR REQUEST"]
    accepted = [m for m in to_bears if header(m).startswith("WAR ON: ")]
    heard = [m for m in to_bears if header(m).startswith("Message from ")]
    assert len(requests) == len(accepted) == len(heard) == len(HOSTILE_NAMES)
    for name, request, on, message in zip(HOSTILE_NAMES, requests, accepted, heard, strict=True):
        shows(between(section(request), "*", "* is looking for an opponent."), name)
        shows(between(fields(request)["*Clan*"], "", ""), name)
        assert header(on) == f"WAR ON: {name} vs Bears"
        shows(between(on["text"], "WAR ON: ", " vs Bears"), name)  # what the notification shows
        shows(between(message["text"], "Message from ", ""), name)
        shows(section(message), HOSTILE_MESSAGE)
    # as the bytes Slack got: no broadcast, no link
    assert requests[0]["text"] == "NEW WAR REQUEST" and section(requests[0]) == "*&lt;!here&gt;* is looking for an opponent."
    assert heard[3]["text"] == "Message from &lt;https://evil.example/login|FREE GLORY&gt;"


async def test_a_usage_error_quotes_what_was_typed_as_text(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    refused = await command(stack, "createwar -players <!channel> -game 4", user=ALICE)
    assert refused["response_type"] == "ephemeral"
    shows(between(refused["text"], "gmbot createwar: -players: '", "' is not a mention; mention members like @name"),
          "<!channel>")
    unknown = await command(stack, "<!here> now", user=ALICE)
    assert "<!here>" not in str(unknown) and "&lt;!here&gt;" in str(unknown)
