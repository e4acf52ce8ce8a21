"""A form's field with suggestions (`autocomplete:`) at the wire on Slack: the profile card's
"Against a clan…" opens a modal whose opponent field is an `external_select`; what is typed in
it comes as signed `block_suggestion` requests that real Bolt answers (in the HTTP reply) with
the clans the backend's searchClans finds; the option chosen is the field's value on submit."""

from __future__ import annotations

import json

from gmbot.slack import forms
from gmbot.spec.model import BotSpec

from .conftest import Stack
from .test_wire import ALICE, buttons, command, header

OWLS = ("T0OWLS", "owls")
OWEN = ("UOWEN", "owen")


async def test_a_field_with_suggestions_is_an_external_select_answered_from_the_backend(stack: Stack,
                                                                                      spec: BotSpec) -> None:
    profile_button = next(b for b in spec.command("profile").replies["200"].buttons  # type: ignore[union-attr]
                          if b.form is not None)
    assert profile_button.form is not None
    field = next(f for f in profile_button.form.fields if f.autocomplete is not None)
    await command(stack, "setup -name Wolves", user=ALICE)
    await command(stack, 'setup -name "Night Owls"', user=OWEN, team=OWLS, channel=("COWLS", "wars"))
    profile = await command(stack, "profile -game 4", user=ALICE)
    [against] = [b for b in buttons(profile) if b["text"]["text"] == profile_button.label]
    reply, url = await stack.wire.click(against, user=ALICE)
    assert reply.status == 200
    await stack.fake.wait_for(lambda c: c.method == "views.open" and c.failed is None, count=1)
    view = stack.fake.views[0]
    [block] = [b for b in view["blocks"] if b["block_id"] == field.name]
    element = block["element"]
    assert element["type"] == "external_select" and element["min_query_length"] == 1
    assert element["action_id"].startswith(forms.SUGGEST_PREFIX) and not block["optional"]
    assert element["placeholder"]["text"] == field.placeholder and block["label"]["text"] == field.description

    found = await stack.wire.suggest(view, field.name, "Night", user=ALICE)  # signed, answered by Bolt
    assert found.status == 200
    options = json.loads(found.text)["options"]
    assert [o["text"]["text"].split(" (")[0] for o in options] == ["Night Owls"]
    owls = options[0]["value"]
    assert options[0]["text"]["text"] == f"Night Owls ({owls})"
    assert json.loads((await stack.wire.suggest(view, field.name, "Zebra", user=ALICE)).text) == {"options": []}
    unsigned = await stack.wire.post("payload=%7B%7D", {"Content-Type": "application/x-www-form-urlencoded"})
    assert unsigned.status == 401

    submitted = await stack.wire.submit(view, {field.name: owls}, user=ALICE)  # the option chosen
    assert submitted.status == 200 and submitted.text == ""  # the modal closes
    record = await stack.fake.response(url)
    assert header(record) == "Wolves vs Night Owls"
