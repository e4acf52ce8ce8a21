"""Text is data on Discord, at the wire: hostile clan names and messages reach other clans'
channels as the characters they are, never as a mention, a link or formatting.

`gmbot bot` (py-cord) against the fake Discord and the real backend. Each hostile name is
a clan of its own whose war request is posted into Bears' #wars by the events consumer;
a war's `say` relays hostile text to the opponent. What is checked is the JSON the bot
sent: every Markdown character of a value behind a backslash, `@everyone` / `@here`
broken by a zero-width space, nothing in message content, and the value reading back
exactly as typed once Discord has hidden its escapes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .fake_discord import Guild
from .stage import WAR_GAME, Stage, embeds, title
from .test_bot_wire import war_between

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

HOSTILE_NAMES = [
    "@here",
    "@everyone",
    "<!channel>",
    "<https://evil.example/login|FREE GLORY>",
    "[FREE GLORY](https://evil.example)",
    "**bold** _x_ ~s~ ||spoiler||",
    "⟨time 0 relative⟩",
    "Tom & Jerry <3",
    "<@&123456789012345678> <#1> `x`",
]
HOSTILE_MESSAGE = "@everyone look\n# FREE GLORY\n-# small\n> quoted\n- item\n1. first\n[claim](https://evil.example) \\o/"

_ESCAPED = re.compile(r"\\([^0-9A-Za-z\s])")  # Discord's escape rule
_MARKDOWN = set("\\*_~`|<>[]")


def as_read(text: str) -> str:
    """What a Discord reader sees of an escaped value: the backslashes hidden, zero-width spaces unseen."""
    return _ESCAPED.sub(r"\1", text).replace("\u200b", "")


def inert(text: str) -> bool:
    """Nothing in `text` is markup: every Markdown character is escaped, no line starts a
    heading, list or quote, no bare URL and no broadcast is left."""
    unescaped = _ESCAPED.sub("x", text)  # an escaped character is text
    if _MARKDOWN & set(unescaped) or "://" in unescaped:
        return False
    broadcast = re.search(r"@(everyone|here)", text)
    return not (broadcast or re.search(r"^[ \t]*([#>+-]|\d+[.)])", unescaped, re.MULTILINE))


def shows(text: str, value: str) -> None:
    assert inert(text) and as_read(text) == value, (text, value)


def between(text: str, before: str, after: str) -> str:
    assert text.startswith(before) and text.endswith(after), (text, before, after)
    return text[len(before):len(text) - len(after)]


def no_content(message: dict[str, Any]) -> None:
    """Embeds never ping; message content could: the bot posts none."""
    assert message["content"] == "" and embeds(message), message


async def hostile_clan(s: Stage, guild: Guild, index: int, name: str) -> None:
    d = s.discord
    welcome = await d.reply_to(await d.slash(guild, f"lead{index}", "setup", guild.channel("wars"), name=name))
    shows(between(title(welcome), "Welcome, ", "!"), name)
    lead = guild.member(f"lead{index}")
    created = await d.reply_to(await d.slash(guild, lead, "createwar", guild.channel("wars"),
                                             players=f"<@{lead.id}>", game=WAR_GAME))
    assert title(created).startswith("War request"), created


async def test_hostile_clan_names_reach_other_clans_as_text(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    guilds = [d.add_guild(f"Guild {i}", members=[f"lead{i}"], channels=["wars"]) for i in range(len(HOSTILE_NAMES))]
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)  # Bears are subscribed to the game: every request reaches them
    for index, (guild, name) in enumerate(zip(guilds, HOSTILE_NAMES, strict=True)):
        await hostile_clan(s, guild, index, name)
    posted: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(HOSTILE_NAMES):
        request = await d.wait_for_message(bears.channel("wars"), index + 1, where=lambda m: title(m) == "NEW WAR REQUEST")
        no_content(request)
        [embed] = embeds(request)
        shows(between(embed["description"], "**", "** is looking for an opponent."), name)
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        shows(fields["Clan"], name)
        posted[name] = embed
    # two, as the bytes Discord got: the broadcast broken, the masked link no link
    first, link = posted["@here"], posted["[FREE GLORY](https://evil.example)"]
    assert first["description"] == "**@\u200bhere** is looking for an opponent."
    assert link["description"] == "**\\[FREE GLORY\\](https\\://evil.example)** is looking for an opponent."


async def test_a_hostile_message_is_relayed_to_the_opponent_as_text(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    war_id = await war_between(s, wolves, bears)
    # a prefix message (as typed) and a slash command (any text, lines too)
    role = "<@&123456789012345678>"
    typed = f"@everyone @here {role} [FREE GLORY](https://evil.example) **now**"
    await d.say(wolves, "alice", f"gmbot say -war {war_id} -message {typed}", wolves.channel("general"))
    relayed = await d.wait_for_message(wolves.channel("general"), where=lambda m: title(m) == "Message relayed")
    shows(embeds(relayed)[0]["description"], typed)
    said = await d.reply_to(await d.slash(wolves, "alice", "say", wolves.channel("general"),
                                          war=war_id, message=HOSTILE_MESSAGE))
    shows(embeds(said)[0]["description"], HOSTILE_MESSAGE)
    for count, text in ((1, typed), (2, HOSTILE_MESSAGE)):
        heard = await d.wait_for_message(bears.channel("wars"), count, where=lambda m: title(m) == "Message from Wolves")
        no_content(heard)
        shows(embeds(heard)[0]["description"], text)
    # a usage error quotes what was typed: data too
    await d.say(wolves, "alice", f"gmbot createwar -players @everyone {role} -game {WAR_GAME}", wolves.channel("general"))
    refused = await d.wait_for_message(wolves.channel("general"), where=lambda m: "not a mention" in as_read(title(m)))
    assert "@everyone" not in title(refused) and "@\u200beveryone" in title(refused)
