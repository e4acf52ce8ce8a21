"""Slack's text into the chat core, at the wire: "Tom & Jerry <3" typed in Slack arrives as
`Tom &amp; Jerry &lt;3` and is stored as typed (what a Discord opponent is shown too);
`<@U1>` is a mention, the characters `<@U1>` typed as text (`&lt;@U1&gt;`) are not."""

from __future__ import annotations

import pytest

from gmbot.slack.text import command_text, decode_entities

from .conftest import Stack
from .test_people import players, status
from .test_wire import ALICE, command, header


async def test_entities_in_a_slash_command_are_stored_as_typed(stack: Stack) -> None:
    welcome = await command(stack, "setup -name Tom &amp; Jerry &lt;3", user=ALICE)
    assert welcome["response_type"] == "in_channel", welcome
    created = await command(stack, "createwar -players <@UBOB> -game 4", user=ALICE)
    assert header(created).startswith("War request")
    (war,) = (await status(stack))["requests"]
    assert war["host"]["server"]["name"] == "Tom & Jerry <3"


async def test_a_mention_typed_as_text_is_not_a_mention(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    typed = await command(stack, "createwar -players &lt;@UBOB&gt; -game 4", user=ALICE)
    assert typed["response_type"] == "ephemeral" and "is not a mention" in str(typed), typed
    assert [c for c in stack.fake.of("users.info") if c.data.get("user") != ALICE[0]] == []  # alice: her language
    created = await command(stack, "createwar -players <@UBOB> -game 4", user=ALICE)
    assert header(created).startswith("War request")
    assert [p["name"] for p in await players(stack)] == ["bob"]


async def test_entities_in_an_app_mention_are_decoded(stack: Stack) -> None:
    reply = await stack.wire.mention("<@UGMBOT> setup -name Cats &amp; Dogs", user="UALICE", event_id="EvAmp")
    assert reply.status == 200
    await stack.fake.wait_for(lambda c: c.method == "chat.postMessage")
    await command(stack, "createwar -players <@UALICE> -game 4", user=ALICE)
    (war,) = (await status(stack))["requests"]
    assert war["host"]["server"]["name"] == "Cats & Dogs"


@pytest.mark.parametrize(("raw", "text"), [
    ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
    ("&amp;lt; stays &lt;", "&lt; stays <"),  # one pass: a typed "&lt;" is the text "&lt;"
    ("&quot;&#39;", "&quot;&#39;"),  # Slack encodes only &, < and >
    ("<https://x.test/?a=1&amp;b=2|x &amp; y>", "<https://x.test/?a=1&amp;b=2|x &amp; y>"),  # markup kept as sent
])
def test_command_text_decodes_outside_markup(raw: str, text: str) -> None:
    assert command_text(raw).text == text
    assert decode_entities("&amp;amp;") == "&amp;"


def test_command_text_names_the_real_mentions() -> None:
    read = command_text("-players <@U1> <@U2|bo> &lt;@U3&gt; <!here> <#C1|wars>")
    assert read.mentions == frozenset({"<@U1>", "<@U2|bo>"})
    assert read.text == "-players <@U1> <@U2|bo> <@U3> <!here> <#C1|wars>"
