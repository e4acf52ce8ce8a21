"""Context menus at the wire on Discord (spec `menus:` on a command): `gmbot sync-commands`
registers each entry as a user (type 2) or message (type 3) command beside the slash commands,
in the same bulk overwrite, its name localized; picking it runs the command as the one who
clicked, the member (or the message's author) filling its option. py-cord against the fake
Discord, the real backend behind; Gmbot's `clanof` ("Clan profile")."""

from __future__ import annotations

import pytest

from generated.chat import load_spec
from gmbot.chat import menus

from .stage import Stage

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

TYPES = {"member": 2, "message": 3}


async def test_each_entry_is_registered_as_a_user_or_message_command(s: Stage) -> None:
    await s.two_clans()
    await s.sync_commands()
    registered = s.discord.commands[None]
    found = list(menus.entries(load_spec()))
    assert found, "Gmbot's spec offers menu entries"
    for entry in found:
        kind = TYPES[entry.menu.target.value]
        [command] = [c for c in registered if c["name"] == entry.menu.name and c["type"] == kind]
        assert command["description"] == ""  # Discord wants none for a context-menu command
        assert "options" not in command or not command["options"]
        assert command["contexts"] == [0]  # a clan is a server
    profile = s.discord.registered("Clan profile", kind=2)
    assert profile["name_localizations"]["es-ES"] == "Perfil del clan"
    assert profile["name_localizations"]["pt-BR"] == "Perfil do clã"
    slash = [c for c in registered if c.get("type", 1) == 1]
    assert len(slash) == len(load_spec().commands)  # the slash commands are all still there
    assert "already up to date" in await s.sync_commands()


async def test_a_member_picked_in_the_menu_fills_the_option(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)

    # bob's clan is Wolves (a clan is its server): its profile, which has no result yet
    reply = await d.reply_to(await d.menu(wolves, "alice", "Clan profile", wolves.member("bob")))
    [embed] = reply["embeds"]
    assert "Wolves has no war result yet" in embed["description"], embed
    assert "gmbot games" in embed["description"]  # the operation named as the command to type

    # someone who is not in the server: refused as a typed mention of a stranger would be
    stranger = d.add_user("eve")
    reply = await d.reply_to(await d.menu(wolves, "alice", "Clan profile", stranger))
    [embed] = reply["embeds"]
    assert "-member" in embed["title"] and "not a member of this server" in embed["title"], embed


async def test_a_message_picked_in_the_menu_gives_its_author(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)

    said = await d.say(wolves, "dora", "gg everyone", wolves.channel("general"))
    reply = await d.reply_to(await d.menu(wolves, "bob", "Clan profile", said))
    [embed] = reply["embeds"]
    assert "Wolves has no war result yet" in embed["description"], embed

    # a message whose author left the server: no member to take
    gone = d.add_user("fred")
    message = await d.say(wolves, "dora", "hello", wolves.channel("general"))
    message = {**message, "author": gone.to_json()}
    reply = await d.reply_to(await d.menu(wolves, "bob", "Clan profile", message))
    assert "not a member of this server" in reply["embeds"][0]["title"]
