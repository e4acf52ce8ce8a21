"""Context menus in the playground (spec `menus:`): `menu "<entry>" on @user` picks a member's
menu entry, `menu "<entry>" on message @user: <text>` a message's, as the server's platform
offers them (Discord both, Slack the message's only, Telegram none), against the real backend."""

from __future__ import annotations

import io

from generated.application import application
from gmbot.chat import menus
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.platforms import platforms
from gmbot.playground.playground import Playground
from gmbot.server.local import local_backend
from gmbot.spec.model import BotSpec, MenuTarget
from tests.chat.fakes import ROUTES


async def test_menu_entries_as_each_platform_offers_them(spec: BotSpec) -> None:
    [member] = menus.entries(spec, MenuTarget.MEMBER)  # Gmbot's "Clan profile" on a member...
    [message] = menus.entries(spec, MenuTarget.MESSAGE)  # ... and on a message
    script = []
    for side in platforms():
        script += [f"as alice in Wolves on {side.name}", "gmbot setup -name Wolves", f"as bob in Wolves on {side.name}",
                   f"as alice in Wolves on {side.name}", f'menu "{member.menu.name}" on @bob',
                   f'menu "{message.menu.name}" on message @bob: gg all', f'menu "{member.menu.name}" on @nobody']
    out = io.StringIO()
    clients = {p.client: p.name for p in platforms()}
    async with local_backend(application, clients=clients) as live:
        backends = {p.name: BackendClient(live.url, live.keys[p.client], p.client, routes=ROUTES) for p in platforms()}
        cores = {name: Core(spec, backend, name) for name, backend in backends.items()}
        await Playground(cores, out).run(script)
        for backend in backends.values():
            await backend.aclose()
    text = out.getvalue()
    runs = text.count("Wolves has no war result yet")  # bob's clan: the server's
    offered = sum(len(p.menu_targets & {"member", "message"}) for p in platforms())
    assert runs == offered, text
    for side in platforms():
        for kind in {"member", "message"} - side.menu_targets:
            assert f"!! {side.title} has no {kind}'s menu" in text, text
        if "member" in side.menu_targets:
            assert "-member: @nobody is not a member of this server" in text
    assert text.count("Clan profile") >= 1  # the lines echo the entry picked


async def test_a_menu_line_that_does_not_parse_says_how(spec: BotSpec) -> None:
    out = io.StringIO()
    side = platforms()[0]
    async with local_backend(application, side.client) as live:
        backend = BackendClient(live.url, live.api_key, side.client, routes=ROUTES)
        await Playground({side.name: Core(spec, backend, side.name)}, out).run(
            ["as alice in Wolves", "menu Clan profile", 'menu "No such entry" on @alice'])
        await backend.aclose()
    text = out.getvalue()
    assert '!! menu "<entry>" on @user' in text and "!! no member menu entry 'No such entry'" in text


async def test_an_entry_is_picked_by_its_translated_name_too(spec: BotSpec) -> None:
    from generated.chat.routes import ROUTES as APP_ROUTES

    [entry] = menus.entries(spec, MenuTarget.MEMBER)
    locales = application.locales()
    spanish = locales.catalog("es").translated(menus.MENU, entry.menu.name)
    assert spanish and spanish != entry.menu.name
    side = next(p for p in platforms() if "member" in p.menu_targets)
    out = io.StringIO()
    async with local_backend(application, side.client) as live:
        backend = BackendClient(live.url, live.api_key, side.client, routes=APP_ROUTES)
        await Playground({side.name: Core(spec, backend, side.name, locales)}, out).run(
            [f"as alice in Wolves on {side.name}", "gmbot setup -name Wolves", f'menu "{spanish}" on @alice'])
        await backend.aclose()
    assert "Wolves has no war result yet" in out.getvalue(), out.getvalue()
