"""Re-sharding 2 -> 4 shards with real `gmbot bot` processes (py-cord against the fake Discord)
and the real backend: every event card is posted once, before, during and after the change.

The old shard set stops unevenly (shard 1 first, so its guilds fall behind), the new one starts
while the old shard 0 still delivers (it stands by), and each new process holds guilds of both
old shards: it starts from the lower old cursor and drops what the other old shard had posted.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from gmbot.discord.delivery import nonce_of

from .fake_discord import Guild
from .stage import WAR_GAME, RunningBot, Stage

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

class Clans:
    """Four subscribed clans, one on each shard of 4 (so on old shard n % 2), and a host clan
    whose wars they hear of; set up through the backend's API, as the bot's commands would."""

    def __init__(self, s: Stage) -> None:
        self.s = s
        self.http = httpx.AsyncClient(base_url=s.backend.url, timeout=30,
                                      headers={"client": "DISCORD-BFF", "x-api-key": s.backend.api_key})
        d = s.discord
        self.subscribers = [d.add_guild(f"Clan{n}", members=[f"lead{n}"], channels=["wars"], shard=n, shard_count=4)
                            for n in range(4)]
        self.host = d.add_guild("Host", members=["boss"], channels=["wars"], shard=0, shard_count=4)

    async def set_up(self) -> None:
        for guild in [*self.subscribers, self.host]:
            body = {"server": {"id": str(guild.id), "name": guild.name}, "actor": self.actor(guild),
                    "channel": {"id": str(guild.channel("wars").id), "name": "wars"}, "name": guild.name}
            assert (await self.http.post("/clans", json=body)).status_code == 201
        for guild in self.subscribers:
            reply = await self.http.post(f"/clans/{guild.id}/subscriptions",
                                         json={"actor": self.actor(guild), "games": [WAR_GAME]})
            assert reply.status_code == 200, reply.text

    @staticmethod
    def actor(guild: Guild) -> dict[str, str]:
        return {"id": str(guild.owner.id), "name": guild.owner.name}

    async def war(self) -> list[int]:
        """A war asked for by the host: the ids of the events its subscribers hear of it by."""
        before = await self.newest()
        body = {"server": {"id": str(self.host.id), "name": "Host"}, "actor": self.actor(self.host),
                "players": [self.actor(self.host)], "game": WAR_GAME}
        assert (await self.http.post("/wars", json=body)).status_code == 201
        page = (await self.http.get("/events", params={"after": before, "limit": 100})).json()
        ours = {str(g.id) for g in self.subscribers}
        ids = [e["id"] for e in page["items"] if e["type"] == "war.requested" and e["serverId"] in ours]
        assert len(ids) == 4, page
        return ids

    async def newest(self) -> int:
        after = 0
        while (page := (await self.http.get("/events", params={"after": after, "limit": 100})).json())["items"]:
            after = page["next"]
        return int(after)

    def posted(self) -> Counter[str]:
        """How many messages each event card made in the subscribers' channels (the nonce names
        its event). A post repeated with the same nonce makes none: Discord's `enforce_nonce`
        absorbs it, as the fake does, and that is the de-duplication the delivery relies on
        when a stopped shard's last cursor did not reach the backend."""
        return Counter(str(m["nonce"]) for guild in self.subscribers for m in self.s.discord.posted(guild.channel("wars"))
                       if m.get("nonce"))

    async def until_posted(self, ids: list[int], what: str) -> None:
        await self.s.discord.wait_until(lambda: all(self.posted()[nonce(i)] for i in ids), 20, what)


def nonce(event_id: int) -> str:
    return nonce_of({"id": event_id})


async def shard_set(s: Stage, count: int, *ids: str) -> list[RunningBot]:
    """One `gmbot bot` process per entry of `ids` (e.g. "0,1"), each with its own token."""
    bots = []
    for part in ids:
        token = s.discord.allow_token(f"token-{count}-{part}")
        bots.append(await s.start_bot("--shard-count", str(count), "--shard-ids", part,
                                      "--cursor-file", str(s.tmp / f"c-{count}-{part}"), token=token))
    return bots


async def test_resharding_from_2_to_4_posts_every_event_once(s: Stage) -> None:
    clans = Clans(s)
    try:
        await clans.set_up()
        old = await shard_set(s, 2, "0", "1")
        first = await clans.war()
        await clans.until_posted(first, "the first war, by the old shards")

        await old[1].stop()  # old shard 1 stops first: its guilds (1 and 3) fall behind
        second = await clans.war()
        await clans.until_posted(second[0::2], "the second war in guilds 0 and 2, by old shard 0")

        # the new shard set starts while old shard 0 still delivers: it stands by
        new = await shard_set(s, 4, "0,1", "2,3")
        third = await clans.war()
        await clans.until_posted(third[0::2], "the third war in guilds 0 and 2, by old shard 0")
        await asyncio.sleep(1.5)  # several of the standbys' asks (the stage's leases last 1 s)
        assert not any(clans.posted()[nonce(i)] for i in second[1::2] + third[1::2]), \
            "a new shard posted while an old shard of its guilds was still delivering"

        await old[0].stop()  # the old set is gone: the new one takes over where each old shard was
        fourth = await clans.war()
        everything = first + second + third + fourth
        await clans.until_posted(everything, "every war in every guild")
        await asyncio.sleep(1.0)  # a repeat would come within the consumers' next polls
        posted = clans.posted()
        assert {i: posted[nonce(i)] for i in everything} == dict.fromkeys(everything, 1)
        assert all(count == 1 for count in posted.values()), posted  # nothing else twice either

        # and in its own channel: each subscriber's #wars got each war once
        for n, guild in enumerate(clans.subscribers):
            into = [m["nonce"] for m in s.discord.posted(guild.channel("wars")) if m.get("nonce")]
            assert sorted(into) == sorted(nonce(war[n]) for war in (first, second, third, fourth))
        assert len(new) == 2
    finally:
        await clans.http.aclose()
