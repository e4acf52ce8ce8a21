"""A real `gmbot serve` for the public pages (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set), with GMBOT_PUBLIC_URL set so the API's replies carry links, and a small season played
through the API: clans on two platforms, one of them with a hostile name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.backend.backend_support import Api, ClanSetup, Key, setup_clan, uid, user
from tests.backend.conftest import (
    PG_URL,
    Server,
    create_pg_database,
    drop_pg_database,
    prepare_database,
    start_server,
)
from tests.backend.test_ratings import Side, play

PUBLIC = "https://gmbot.example.org/base"
PROVISIONAL = 2
GAME = 7
# markup, quotes, an ampersand, Jinja and mathtext syntax, a bidi override and an emoji
HOSTILE = "<script>window.pwned=1</script>\"'&amp;{{7*7}}$x$\u202e🐺"[:64]


@dataclass
class Site:
    server: Server
    keys: dict[str, Key]
    kind: str
    clans: dict[str, tuple[Api, ClanSetup]]

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, platform: str = "discord") -> Api:
        return Api(self.url, self.keys[platform])


def _season(site: Site) -> None:
    discord, slack = site.api("discord"), site.api("slack")
    for name, api in (("Wolves", discord), ("Bears", discord), ("Owls", slack), ("Newcomers", discord)):
        site.clans[name] = (api, setup_clan(api, name))
    hostile = ClanSetup(uid("9"), HOSTILE, user(uid("1"), "hostile leader"))
    created = discord.post("/clans", {"server": hostile.server, "actor": hostile.leader, "name": HOSTILE,
                                      "channel": {"id": uid("5"), "name": "wars"}})
    assert created.status_code == 201, created.text
    site.clans["hostile"] = (discord, hostile)
    side = {name: Side(*pair) for name, pair in site.clans.items()}
    play([(side["Wolves"], side["Bears"], "host"), (side["hostile"], side["Owls"], "host"),
          (side["Owls"], side["Bears"], "draw"), (side["Wolves"], side["hostile"], "opponent"),
          (side["Bears"], side["hostile"], "host"), (side["Owls"], side["Wolves"], "host"),
          (side["Newcomers"], side["Bears"], "host"), (side["Wolves"], side["Owls"], "disputed")],
         game=GAME)  # fmt: skip


def _params() -> list[Any]:
    return [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgres", id="postgres", marks=[
                pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")])]  # fmt: skip


def _site(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp(f"pages-{kind}")
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'gmbot.sqlite3'}"
    else:
        assert PG_URL
        url = create_pg_database(PG_URL)
    keys = prepare_database(url)
    server = start_server(url, directory / "server.log", GMBOT_PROVISIONAL_WARS=str(PROVISIONAL),
                          GMBOT_PUBLIC_URL=PUBLIC)  # fmt: skip
    site = Site(server, keys, kind, {})
    try:
        _season(site)
        yield site
    finally:
        server.stop()
        if kind == "postgres":
            assert PG_URL
            drop_pg_database(PG_URL, url)


@pytest.fixture(scope="module", params=_params())
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site("sqlite", tmp_path_factory)
