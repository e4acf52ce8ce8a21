"""Languages on Slack at the wire: the user's locale from users.info (asked for with
`include_locale`, once, then cached), else the clan's language; Bolt against the fake Slack,
the real backend behind."""

from __future__ import annotations

from generated.application import application

from .conftest import Stack
from .test_wire import ALICE, command, header


async def test_replies_in_the_users_slack_locale_else_the_clans(stack: Stack) -> None:
    stack.runtime.core.localize(application.locales())  # as `gmbot slack` does
    stack.fake.add_user("UANA", "ana", "T0WOLF", locale="es-ES")
    assert header(await command(stack, "setup -name Wolves", user=ALICE)) == "Welcome, Wolves!"
    games = await command(stack, "games", user=("UANA", "ana"))
    assert header(games).startswith("Juegos ("), games
    assert header(await command(stack, "games", user=("UANA", "ana"))).startswith("Juegos (")
    asked = [c for c in stack.fake.of("users.info") if c.data.get("user") == "UANA"]
    assert len(asked) == 1 and str(asked[0].data.get("include_locale")).lower() in ("1", "true")  # cached since
    # the clan chooses Portuguese: alice's Slack says nothing of hers, so her replies follow the clan
    updated = await command(stack, "update -language pt_BR", user=ALICE)
    assert header(updated) == "Wolves atualizado", updated
    assert header(await command(stack, "games", user=ALICE)).startswith("Jogos (")
    assert header(await command(stack, "games", user=("UANA", "ana"))).startswith("Juegos (")  # hers wins
