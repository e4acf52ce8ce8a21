"""The fake Discord itself, driven by a bare py-cord bot: does py-cord's own code accept it?"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord.ext import commands

from .fake_discord import FakeDiscord


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        # what DISCORD_API_BASE_URL does for `gmbot bot`; here by hand, for a bare client
        monkeypatch.setattr(discord.http.Route, "API_BASE_URL", server.api_url)
        yield server


@contextlib.asynccontextmanager
async def running(bot: discord.Client, token: str) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(bot.start(token))
    try:
        yield task
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def test_bare_bot_connects_and_talks(fake: FakeDiscord) -> None:
    wolves = fake.add_guild("Wolves", members=["alice", "bob"], channels=["general", "wars"])
    bot = commands.Bot(command_prefix="!", intents=discord.Intents(guilds=True, guild_messages=True, message_content=True))
    ready = asyncio.Event()
    seen: list[str] = []

    @bot.listen("on_ready")
    async def on_ready() -> None:
        ready.set()

    @bot.command(name="ping")
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        seen.append(ctx.message.content)
        await ctx.send("pong")

    @bot.slash_command(name="hello", description="Say hello")
    @discord.option("who", str, description="Whom to greet")
    async def hello(ctx: discord.ApplicationContext, who: str) -> None:
        await ctx.respond(f"hello {who}", embed=discord.Embed(title="Hi"))

    async with running(bot, fake.token):
        session = await fake.wait_for_session()
        assert session.compress is not None  # py-cord asks for zlib-stream
        assert session.identify is not None and session.identify["intents"] == bot.intents.value
        await asyncio.wait_for(ready.wait(), 10)
        guild = bot.get_guild(wolves.id)
        assert guild is not None and guild.name == "Wolves"
        assert {c.name for c in guild.text_channels} == {"general", "wars"}
        # py-cord registered its own commands on connect (the default gmbot turns off)
        await fake.wait_for_call("PUT", rf"/applications/{fake.application_id}/commands")
        assert fake.registered("hello")["options"][0]["name"] == "who"

        await fake.say(wolves, "alice", "!ping")
        reply = await fake.wait_for_message(wolves.channel("general"))
        assert reply["content"] == "pong" and seen == ["!ping"]

        interaction = await fake.slash(wolves, "alice", "hello", who="bob")
        answer = await fake.reply_to(interaction)
        assert answer["_callback_type"] == 4 and answer["content"] == "hello bob"
        assert answer["embeds"][0]["title"] == "Hi"

        member = await guild.fetch_member(wolves.member("bob").id)
        assert member.name == "bob"
        with pytest.raises(discord.NotFound):
            await guild.fetch_member(12345)


async def test_faults_reach_pycord_as_discord_would_send_them(fake: FakeDiscord) -> None:
    wolves = fake.add_guild("Wolves", members=["alice"])
    bot = commands.Bot(command_prefix="!", intents=discord.Intents(guilds=True), auto_sync_commands=False)
    async with running(bot, fake.token):
        await fake.wait_for_session()
        channel = await bot.fetch_channel(wolves.channel().id)
        assert isinstance(channel, discord.TextChannel)
        path = rf"/channels/{channel.id}/messages"

        fake.fail("POST", path, 429, retry_after=0.05)  # Discord's rate limit: py-cord waits, retries
        await channel.send("one")
        assert [c.status for c in fake.find_calls("POST", path)] == [429, 200]

        fake.fail("POST", path, 429)  # no retry_after, no Via: py-cord gives up at once
        with pytest.raises(discord.HTTPException) as limited:
            await channel.send("two")
        assert limited.value.status == 429

        fake.fail("POST", path, 403)
        with pytest.raises(discord.Forbidden):
            await channel.send("three")

        fake.fail("POST", path, None)  # the connection drops without an answer
        with pytest.raises(aiohttp.ClientError):
            await channel.send("four")
        assert fake.find_calls("POST", path)[-1].status == 0

        with pytest.raises(discord.NotFound):
            await bot.http.send_message(999, "nowhere")
        assert [m["content"] for m in fake.posted(channel.id)] == ["one"]


async def test_resume_after_a_dropped_gateway(fake: FakeDiscord) -> None:
    wolves = fake.add_guild("Wolves", members=["alice"])
    bot = commands.Bot(command_prefix="!", intents=discord.Intents(guilds=True, guild_messages=True,
                                                                   message_content=True), auto_sync_commands=False)
    said: list[str] = []

    @bot.command(name="ping")
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        said.append(ctx.message.content)
        await ctx.send("pong")

    async with running(bot, fake.token):
        first = await fake.wait_for_session()
        await fake.close_gateway(4000)  # resumable
        second = await fake.wait_for_session(count=2)
        assert second.resumed_from == first.session_id and second.identify is None
        await fake.send_op(7)  # RECONNECT: py-cord resumes the session on a new connection
        third = await fake.wait_for_session(count=3)
        assert third.resumed_from == first.session_id
        await fake.say(wolves, "alice", "!ping")
        await fake.wait_for_message(wolves.channel())
        assert said == ["!ping"]


async def test_a_bad_token_fails_login(fake: FakeDiscord) -> None:
    bot = discord.Client(intents=discord.Intents(guilds=True))
    with pytest.raises(discord.LoginFailure):
        await bot.start("not-the-token")
    await bot.close()
    assert fake.calls[0].path == "/users/@me" and fake.calls[0].status == 401


async def test_close_4014_stops_the_client(fake: FakeDiscord) -> None:
    fake.add_guild("Wolves")
    bot = discord.AutoShardedClient(intents=discord.Intents(guilds=True))
    task = asyncio.create_task(bot.start(fake.token))
    await fake.wait_for_session()
    await fake.close_gateway(4014)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await asyncio.wait_for(task, 10)
    await bot.close()


async def test_refused_connections_while_paused(fake: FakeDiscord) -> None:
    await fake.pause()
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorError):
            await http.get(fake.api_url + "/gateway")
        await fake.resume()
        async with http.get(fake.api_url + "/gateway", headers={"Authorization": f"Bot {fake.token}"}) as answer:
            assert answer.status == 200 and (await answer.json())["url"] == fake.gateway_url
