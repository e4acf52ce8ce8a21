"""Forms at the wire on Slack (spec `form:`): `/gmbot dispute <war>` opens a modal with
`views.open` (the fake checks the trigger's 3 s and the modal's limits), its submission is
answered with `response_action: errors` under each wrong field (the options' checks, and the
backend's 422 whose `pointer` names a field), a problem naming no field closes the modal
and is told through the command's `response_url`, and a dispute filed posts the ticket card
there. A mention cannot open a modal: it answers with a prompt whose button opens it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from gmbot.chat.request import HttpRequest
from gmbot.spec.model import BotSpec

from .conftest import Stack
from .test_wire import ALICE, buttons, command, header

BRUNO = ("UBRUNO", "bruno")
BEARS = ("T0BEAR", "bears")


async def _war(stack: Stack) -> str:
    await command(stack, "setup -name Wolves", user=ALICE)
    await command(stack, "setup -name Bears", user=BRUNO, team=BEARS, channel=("CBEARS", "wars"))
    created = await command(stack, "createwar -players <@UALICE> -game 4 -duration 1s", user=ALICE)
    war = header(created).split()[2]
    accepted = await command(stack, f"accept -war {war} -players <@UBRUNO>", user=BRUNO, team=BEARS,
                             channel=("CBEARS", "wars"))
    assert "Wolves vs Bears" in header(accepted)
    return war


async def _status(stack: Stack, war: str) -> str:
    route = stack.runtime.backend.route("getWar")
    reply = await stack.runtime.backend.call(HttpRequest("getWar", route.method, route.path.replace("{warId}", war)))
    return str(reply.body["status"])


async def _opened(stack: Stack, count: int) -> dict[str, Any]:
    await stack.fake.wait_for(lambda c: c.method == "views.open" and c.failed is None, count=count)
    return stack.fake.views[count - 1]


async def test_a_dispute_in_a_modal_with_errors_under_the_fields(stack: Stack, spec: BotSpec) -> None:
    war = await _war(stack)
    reply, url = await stack.wire.slash(f"dispute {war}", user=ALICE)
    assert reply.status == 200 and reply.text == ""
    view = await _opened(stack, 1)
    form = spec.command("dispute").form  # type: ignore[union-attr]
    assert form is not None
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [f.name for f in form.fields]
    assert [b["label"]["text"] for b in inputs] == [f.description for f in form.fields]
    assert [b["optional"] for b in inputs] == [not f.required for f in form.fields]
    assert [b["element"]["multiline"] for b in inputs] == [f.long for f in form.fields]
    assert [b["element"]["max_length"] for b in inputs] == [f.max_length for f in form.fields]
    assert view["title"]["text"] == f"Dispute war {war}" and view["submit"]["text"] == form.submit
    assert json.loads(view["private_metadata"])["r"] == url

    # the options' checks, every wrong field at once, under each
    refused = await stack.wire.submit(view, {"link": "not a link"}, user=ALICE)
    answer = json.loads(refused.text)
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {"reason", "link"}
    assert answer["errors"]["reason"] == "is required" and "not a link" in answer["errors"]["link"]
    # the backend's 422 names /evidence/1: the second link's field
    link = "https://example.com/score.png"
    twice = json.loads((await stack.wire.submit(view, {"reason": "Five players", "link": link, "link2": link},
                                                user=ALICE)).text)
    assert twice == {"response_action": "errors", "errors": {"link2": f"The link {link} is given twice."}}
    # a problem naming no field (the war is still on): the modal closes, the card goes where the command was
    closed = await stack.wire.submit(view, {"reason": "Five players", "link": link}, user=ALICE)
    assert closed.status == 200 and closed.text == ""
    problem = await stack.fake.response(url)
    assert problem["response_type"] == "ephemeral" and "only a played war can be disputed" in json.dumps(problem)

    for _ in range(75):  # the backend's scheduler ends the war (1 s)
        if await _status(stack, war) == "ended":
            break
        await asyncio.sleep(0.2)
    reply, url = await stack.wire.slash(f"dispute -war {war}", user=ALICE)
    view = await _opened(stack, 2)
    filed = await stack.wire.submit(view, {"reason": "They played with <!here> 5", "link": link}, user=ALICE)
    assert filed.status == 200 and filed.text == ""
    ticket = await stack.fake.response(url)
    assert ticket["response_type"] == "in_channel" and header(ticket).startswith("Ticket ")
    text = json.dumps(ticket)
    assert "&lt;!here&gt;" in text and "<!here>" not in text  # the reason is data


async def test_a_mention_answers_with_a_button_that_opens_the_modal(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    await stack.wire.mention("<@UGMBOT> dispute zyo8", user="UALICE", event_id="EvF1")
    posted = (await stack.fake.wait_for(lambda c: c.method == "chat.postEphemeral"))[0].data
    posted = {k: json.loads(v) if k in ("blocks", "attachments") and isinstance(v, str) else v for k, v in posted.items()}
    opener = buttons(posted)
    assert header(posted) == "Dispute war zyo8" and [b["text"]["text"] for b in opener] == ["Fill in the form"]
    _, url = await stack.wire.click(opener[0], user=ALICE)
    view = await _opened(stack, 1)
    assert view["title"]["text"] == "Dispute war zyo8" and json.loads(view["private_metadata"])["r"] == url
    # only the one who ran the command may open its form
    _, url = await stack.wire.click(opener[0], user=("UBOB", "bob"))
    assert header(await stack.fake.response(url)) == "Not yours to fill in"


async def test_an_expired_trigger_posts_the_prompt_instead(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    stack.fake.fail_calls("views.open", "expired_trigger_id")
    message = await command(stack, "dispute zyo8", user=ALICE)
    assert header(message) == "Dispute war zyo8" and [b["text"]["text"] for b in buttons(message)] == ["Fill in the form"]
    assert message["response_type"] == "ephemeral"
