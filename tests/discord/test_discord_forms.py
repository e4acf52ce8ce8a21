"""Forms at the wire on Discord (spec `form:`): py-cord against the fake Discord, the real
backend behind. `/dispute war:<id>` answers with a modal (interaction callback 9) whose
submit (interaction type 5, MODAL_SUBMIT) files the dispute; a refused field (the options'
checks, or the backend's 422 whose `pointer` names a field) is told in an ephemeral message
naming the field; a prefix command, which cannot open a modal, posts a prompt whose button
opens it, for its author only."""

from __future__ import annotations

from typing import Any

import pytest

from gmbot.spec.load import load_spec_yaml
from tests.support import ROOT

from .fake_discord import EPHEMERAL, MODAL, Guild
from .stage import WAR_GAME, Stage, title

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

FORM = load_spec_yaml(ROOT / "specs" / "commands.yaml").command("dispute").form  # type: ignore[union-attr]
LINK = "https://example.com/score.png"


def inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in modal["components"] for c in row["components"]]


async def create_war(s: Stage, wolves: Guild) -> str:
    d = s.discord
    await d.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> -game {WAR_GAME}",
                wolves.channel("general"))
    card = await d.wait_for_message(wolves.channel("general"), 1, where=lambda m: "created" in title(m))
    return title(card).split()[2]


async def test_a_dispute_in_a_modal(s: Stage) -> None:
    assert FORM is not None
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    war = await create_war(s, wolves)
    # the slash command registers the command's options only: the form asks the rest
    assert [o["name"] for o in d.registered("dispute").get("options") or []] == ["war"]

    opened = await d.slash(wolves, "alice", "dispute", wolves.channel("general"), war=war)
    modal = await d.modal(opened)
    assert opened.response_type == MODAL and modal["title"] == f"Dispute war {war}"
    assert [i["custom_id"] for i in inputs(modal)] == [f.name for f in FORM.fields]
    assert [i["label"] for i in inputs(modal)] == [f.description for f in FORM.fields]
    assert [i["style"] for i in inputs(modal)] == [2 if f.long else 1 for f in FORM.fields]  # 2: a paragraph
    assert [i.get("required", True) for i in inputs(modal)] == [f.required for f in FORM.fields]  # true unless said
    assert [i.get("max_length") for i in inputs(modal)] == [f.max_length for f in FORM.fields]

    # every refused field, named, to its author alone (Discord's client checks less than the bot)
    refused = await d.reply_to(await d.submit(wolves, "alice", modal, {"reason": " ", "link": "not a link"}))
    assert refused["flags"] & EPHEMERAL and title(refused) == "Please correct the form"
    said = refused["embeds"][0]["description"]
    assert "**What went wrong**: is required" in said and "not a link" in said
    twice = await d.reply_to(await d.submit(wolves, "alice", modal, {"reason": "Five", "link": LINK, "link2": LINK}))
    assert twice["flags"] & EPHEMERAL and f"**Another link**: The link {LINK} is given twice." in \
        twice["embeds"][0]["description"].replace("\\", "")
    # a problem naming no field is the command's problem card (the war is not played yet)
    problem = await d.reply_to(await d.submit(wolves, "alice", modal, {"reason": "Five", "link": LINK}))
    assert problem["flags"] & EPHEMERAL and "only a played war can be disputed" in str(problem["embeds"])
    # the form's id carries what it runs: it still works in a new process
    await s.stop_bots()
    await s.start_bot()
    again = await d.reply_to(await d.submit(wolves, "alice", modal, {"reason": "Five"}))
    assert "only a played war can be disputed" in str(again["embeds"])
    # someone else's form is not theirs to send
    other = await d.reply_to(await d.submit(wolves, "bob", modal, {"reason": "Five"}))
    assert title(other) == "Not yours to fill in" and other["flags"] & EPHEMERAL


async def test_a_prefix_command_posts_a_button_that_opens_the_modal(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    await d.say(wolves, "alice", "gmbot dispute zyo8", wolves.channel("general"))
    prompt = await d.wait_for_message(wolves.channel("general"), where=lambda m: title(m) == "Dispute war zyo8")
    labels = [b["label"] for row in prompt["components"] for b in row["components"]]
    assert labels == ["Fill in the form"]
    stranger = await d.reply_to(await d.click(wolves, "bob", prompt, "Fill in the form"))
    assert title(stranger) == "Not yours to fill in" and stranger["flags"] & EPHEMERAL
    clicked = await d.click(wolves, "alice", prompt, "Fill in the form")
    modal = await d.modal(clicked)
    assert modal["title"] == "Dispute war zyo8" and len(inputs(modal)) == len(FORM.fields)  # type: ignore[union-attr]


async def test_the_result_cards_dispute_button_opens_the_form(s: Stage) -> None:
    from datetime import timedelta

    from backend_impl import db, scheduler
    from backend_impl.db import utcnow

    from .test_bot_wire import war_between

    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    war = await war_between(s, wolves, bears)
    assert war in await scheduler.end_due_wars(db.get(), utcnow() + timedelta(hours=13))
    for guild, user, label in ((wolves, "alice", "We won"), (bears, "bruno", "We lost")):
        ended = await d.wait_for_message(guild.channel("wars"), where=lambda m: title(m) == "WHO WON?")
        await d.reply_to(await d.click(guild, user, ended, label))
    result = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == f"RESULT: war {war}")
    clicked = await d.click(bears, "bruno", result, "Dispute")
    modal = await d.modal(clicked)
    assert modal["title"] == f"Dispute war {war}" and [i["custom_id"] for i in inputs(modal)] == \
        [f.name for f in FORM.fields]  # type: ignore[union-attr]
    ticket = await d.reply_to(await d.submit(bears, "bruno", modal, {"reason": "They were 5", "link": LINK}))
    assert title(ticket).startswith("Ticket ") and f"war {war}" in title(ticket) and not ticket["flags"] & EPHEMERAL
    assert "They were 5" in str(ticket["embeds"])


async def test_a_field_with_suggestions_is_a_text_input_and_a_name_gets_did_you_mean(s: Stage) -> None:
    """A modal has no autocomplete: the profile card's "Against a clan…" asks the opponent in
    a text input, and a clan's name where its id goes is refused (ephemeral) with the clans of
    that name (searchClans) and their ids."""
    spec = load_spec_yaml(ROOT / "specs" / "commands.yaml")
    button = next(b for b in spec.command("profile").replies["200"].buttons if b.form is not None)  # type: ignore[union-attr]
    assert button.form is not None
    field = next(f for f in button.form.fields if f.autocomplete is not None)
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await d.reply_to(await d.slash(wolves, "alice", "setup", wolves.channel("wars"), name="Wolves"))
    await d.say(bears, "bruno", 'gmbot setup -name "Night Owls"', bears.channel("wars"))
    await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "Welcome, Night Owls!")
    profile = await d.reply_to(await d.slash(wolves, "alice", "profile", wolves.channel("wars"), game=WAR_GAME))
    modal = await d.modal(await d.click(wolves, "alice", profile, button.label))
    [text_input] = [i for i in inputs(modal) if i["custom_id"] == field.name]
    assert text_input["type"] == 4 and text_input["placeholder"] == field.placeholder
    refused = await d.reply_to(await d.submit(wolves, "alice", modal, {field.name: "Night Owls"}))
    said = str(refused)
    assert refused["flags"] & EPHEMERAL and "Did you mean" in said and ": Night Owls (" in said
