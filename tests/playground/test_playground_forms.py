"""Forms in the playground (gmbot/playground/forms.py): a dispute asked field by field, and
filled at once with `fill`, against the real backend in-process: the field checks of the
options and the backend's 4xx problems, each naming its field."""

from __future__ import annotations

import io

from generated.application import application
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.platforms import platform
from gmbot.playground.playground import Playground
from gmbot.server.local import local_backend
from gmbot.spec.model import BotSpec
from tests.chat.fakes import ROUTES
from tests.playground.support import CONFIRMED_WAR

DISCORD = platform("discord")

WAR = CONFIRMED_WAR


async def _play(spec: BotSpec, script: str) -> str:
    out = io.StringIO()
    async with local_backend(application, DISCORD.client) as live:
        backend = BackendClient(live.url, live.api_key, DISCORD.client, routes=ROUTES)
        await Playground({"discord": Core(spec, backend, "discord")}, out).run((WAR + script).splitlines())
        await backend.aclose()
    return out.getvalue()


def _in_order(text: str, expected: list[str]) -> None:
    position = 0
    for line in expected:
        found = text.find(line, position)
        assert found >= 0, f"{line!r} missing after position {position}:\n{text[position - 400:]}"
        position = found + len(line)
    assert "Traceback" not in text


async def test_a_dispute_asked_field_by_field(spec: BotSpec) -> None:
    form = spec.command("dispute").form  # type: ignore[union-attr]
    assert form is not None
    text = await _play(spec, """
gmbot dispute {war}
x
They played with 5, the format was 4 against 4.
not a link
https://example.com/score.png
-
""")
    labels = [f.description for f in form.fields]
    _in_order(text, [
        "[form] Dispute war ",
        *[f"  {f.name}: {f.description}" for f in form.fields],
        f"? {labels[0]}",  # the reason, asked
        f"? {labels[1]}",  # "x" is fine for a reason (min_length 1)
        f"!! {labels[1]}: ",  # "not a link" refused by the option's pattern, asked again
        f"? {labels[1]}",
        f"? {labels[2]}",
        "Ticket ",  # sent after the last field: the backend's ticket card
        "https://example.com/score.png",
    ])


async def test_the_result_cards_button_opens_the_form_and_fill_sends_it(spec: BotSpec) -> None:
    text = await _play(spec, """
click Dispute
fill link=https://example.com/a.png link2=https://example.com/a.png
fill reason="Wrong score"
fill link2=https://example.com/b.png
""")
    _in_order(text, [
        ">> war.confirmed in Wolves #general:",
        "[Dispute]",
        "[form] Dispute war ",
        # the reason left out: refused by the field's own check, nothing sent
        "!! What went wrong: is required",
        # the same link twice: the backend's 422 names /evidence/1, the field link2
        "!! Another link: The link https://example.com/a.png is given twice.",
        "? Another link",  # asked again
        "Ticket ",
        "Wrong score",
    ])


async def test_a_clan_s_name_in_a_field_with_suggestions_gets_did_you_mean(spec: BotSpec) -> None:
    """The profile card's "Against a clan…" asks the opponent's id; the playground has no
    search as it is typed (as Discord's modal and Telegram), so a name gets the clans of that
    name under the refusal, asked one field at a time or sent at once with `fill`."""
    button = next(b for b in spec.command("profile").replies["200"].buttons if b.form is not None)  # type: ignore[union-attr]
    assert button.form is not None
    field = next(f for f in button.form.fields if f.autocomplete is not None)
    text = await _play(spec, f"""
as carla in Owls
gmbot setup -name "Night Owls"
as alice in Wolves
gmbot profile -game 4
click {button.label}
Night Owls
fill {field.name}="Night Owls"
""")
    _in_order(text, [
        f"[{button.label}]",
        "[form] ",
        f"? {field.description}",
        f"!! {field.description}: ",  # a name: the id's pattern refuses it
        "Did you mean: ", ": Night Owls (",
        f"!! {field.description}: ",  # the same from fill, the form sent at once
        "Did you mean: ", ": Night Owls (",
    ])
