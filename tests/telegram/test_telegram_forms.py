"""Forms at the wire on Telegram, which has none (spec `form:`): `/dispute <war>` asks the
form's fields one at a time, each question a reply with ForceReply (selective, the field's
hint as the placeholder); a refused answer is asked again saying why, `-` leaves an optional
field empty, the backend's 422 naming a field asks that field again, and the last answer
sends the form: its card is posted as the command's. The fields stay flags: a command that
gives them asks nothing. aiogram against the fake Bot API, the real backend behind."""

from __future__ import annotations

import json
from dataclasses import replace

from gmbot.spec.model import BotSpec

from .conftest import BEARS, SECRET, WOLVES, Stack, shown, title
from .fake_telegram import Call
from .test_telegram_images import ask

LINK = "https://example.com/score.png"


async def reply(stack: Stack, user: str, question: Call, text: str) -> Call:
    """`user` answers `question` (a reply to it); the bot's next message in the chat."""
    update = stack.fake.message(stack.fake.chats[WOLVES], stack.user(user), text, reply_to=question.result)
    before = len(stack.fake.sent(WOLVES))
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    calls = await stack.fake.wait_for(lambda c: c.method == "sendMessage" and c.failed is None
                                      and str(c.data["chat_id"]) == str(WOLVES), count=before + 1)
    return calls[before]


def asks(call: Call, label: str) -> bool:
    markup = call.data.get("reply_markup") or {}
    return markup.get("force_reply") is True and markup.get("selective") is True and label in shown(call)


async def test_a_dispute_asked_one_field_at_a_time(stack: Stack, spec: BotSpec) -> None:
    form = spec.command("dispute").form  # type: ignore[union-attr]
    assert form is not None
    reason, link, link2 = (f.description for f in form.fields)
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    created = await stack.say(WOLVES, "Ann", "/createwar -players @ann -game 4")
    war = title(created).split()[2]

    command = await stack.say(WOLVES, "Ann", f"/dispute {war}")
    assert asks(command, reason) and title(command) == f"Dispute war {war} (1/{len(form.fields)})"
    assert command.data["reply_markup"]["input_field_placeholder"] == reason
    # a stranger's reply to the question is no answer: the form is Ann's
    update = stack.fake.message(stack.fake.chats[WOLVES], stack.user("Bob"), "not mine", reply_to=command.result)
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    second = await reply(stack, "Ann", command, "They played with <b>5</b>")
    assert asks(second, link) and "(2/3)" in title(second) and "Optional" in shown(second)
    assert second.data["reply_markup"]["input_field_placeholder"] == "https://..."
    again = await reply(stack, "Ann", second, "not a link")
    assert asks(again, link) and "not a link" in shown(again)  # refused by the option's pattern: asked again
    third = await reply(stack, "Ann", again, LINK)
    assert asks(third, link2)
    # the backend's 422 names /evidence/1: that field is asked again, saying why
    twice = await reply(stack, "Ann", third, LINK)
    assert asks(twice, link2) and f"The link {LINK} is given twice." in shown(twice)
    # the war is not played yet: the backend's problem is the card, as the command's
    problem = await reply(stack, "Ann", twice, "-")
    assert "only a played war can be disputed" in shown(problem)
    assert not (problem.data.get("reply_markup") or {}).get("force_reply")
    # the form is done: another answer to its question is ordinary chat
    done = len(stack.fake.sent(WOLVES))
    update = stack.fake.message(stack.fake.chats[WOLVES], stack.user("Ann"), LINK, reply_to=twice.result)
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    flags = await stack.say(WOLVES, "Ann", f"/dispute -war {war} -reason Five -link {LINK}")
    assert len(stack.fake.sent(WOLVES)) == done + 1  # the stray answer got nothing; the flags asked nothing
    assert "only a played war can be disputed" in shown(flags)


async def test_a_button_with_a_form_asks_its_fields_in_reply_to_the_card(stack: Stack) -> None:
    war = {"id": "zyo8", "result": "host", "game": {"id": 4, "name": "Mini Militia"},
           "host": {"server": {"id": str(WOLVES), "name": "Wolves"}, "glory": 3},
           "opponent": {"server": {"id": "-1002002", "name": "Bears"}, "glory": 0}}
    card = stack.runtime.core.render_event({"type": "war.confirmed", "serverId": str(WOLVES),
                                            "channelId": str(WOLVES), "data": {"war": war}})
    assert card is not None
    await stack.runtime._post(WOLVES, card)
    posted = (await stack.fake.wait_for(lambda c: c.method == "sendMessage" and c.failed is None))[-1]
    keys = [k["text"] for row in posted.data["reply_markup"]["inline_keyboard"] for k in row]
    sends = len(stack.fake.of("sendMessage"))
    update = stack.fake.click(stack.user("Ann"), posted, keys.index("Dispute"))
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    question = (await stack.fake.wait_for(lambda c: c.method == "sendMessage" and c.failed is None,
                                          count=sends + 1))[sends]
    assert title(question) == "Dispute war zyo8 (1/3)" and question.data["reply_markup"]["force_reply"] is True
    assert question.data["reply_parameters"]["message_id"] == posted.result["message_id"]


async def test_a_field_with_suggestions_answers_a_name_with_did_you_mean(stack: Stack, spec: BotSpec) -> None:
    """Telegram has no search as it is typed: the profile card's "Against a clan…" asks the
    opponent as a question, and a clan's name where its id goes is asked again with the clans
    of that name (searchClans) and their ids."""
    button = next(b for b in spec.command("profile").replies["200"].buttons if b.form is not None)  # type: ignore[union-attr]
    assert button.form is not None
    field = next(f for f in button.form.fields if f.autocomplete is not None)
    await stack.say(BEARS, "Bob", '/setup -name "Night Owls"')
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    photo = await ask(stack, "/profile -game 4")  # the rating chart, the card its caption
    markup = photo.data["reply_markup"]  # multipart: the keyboard as JSON text
    posted = replace(photo, data={**photo.data, "reply_markup": json.loads(markup) if isinstance(markup, str) else markup})
    keys = [k["text"] for row in posted.data["reply_markup"]["inline_keyboard"] for k in row]
    sends = len(stack.fake.of("sendMessage"))
    update = stack.fake.click(stack.user("Ann"), posted, keys.index(button.label))
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    question = (await stack.fake.wait_for(lambda c: c.method == "sendMessage" and c.failed is None,
                                          count=sends + 1))[sends]
    assert asks(question, field.description)
    again = await reply(stack, "Ann", question, "Night Owls")
    assert asks(again, field.description) and "Did you mean" in shown(again) and ": Night Owls (" in shown(again)
