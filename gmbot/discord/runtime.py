"""The Discord side of the runtime: what generated/discord/commands.py calls.

`DiscordRuntime(spec, backend)`; `run_slash(ctx, name, raw_options)` and
`run_prefix(ctx, name, args)` go through the same core pipeline. Slash
commands defer when the backend has not answered within `defer_after` seconds
and follow up, so Discord never shows "The application did not respond"; the
backend time-out (2.5 s) keeps "service unavailable" inside the 3 s.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from gmbot.chat.backend import BackendClient
from gmbot.chat.cards import RenderedCard
from gmbot.chat.core import BUTTON_PREFIX, Core, Invocation, Outcome
from gmbot.chat.options import MentionResolver, NotAMention, Person, UsageError
from gmbot.discord.embeds import card_to_embeds
from gmbot.service.shutdown import OPEN, RESTARTING, Gate, admitted
from gmbot.spec.model import BotSpec

log = logging.getLogger("gmbot.discord")

PLATFORM = "discord"
# what answering a user can fail with: Discord's refusals, and the connection itself
SEND_ERRORS = (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError)

_MENTION_ID = re.compile(r"^<@!?(\d+)>$")
_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


def person(user: Any) -> Person:
    name = getattr(user, "display_name", None) or getattr(user, "name", None) or str(user.id)
    return Person(str(user.id), str(name))


def place(thing: Any) -> Person | None:
    if thing is None:
        return None
    return Person(str(thing.id), str(getattr(thing, "name", None) or thing.id))


def _is_user(value: Any) -> bool:
    """A Member / User option value (anything with an id that is not plain data)."""
    return value is not None and not isinstance(value, str | int | float | bool | dict | list) and hasattr(value, "id")


def embeds_of(card: RenderedCard) -> list[discord.Embed]:
    return [discord.Embed.from_dict(data) for data in card_to_embeds(card)]


def view_of(card: RenderedCard) -> discord.ui.View | None:
    buttons = [b for b in card.buttons if b.custom_id]
    if not buttons:
        return None
    # store=False: py-cord would keep every stored View (and its items) for the bot's life;
    # clicks are routed by custom_id in `on_interaction`, so nothing needs to be stored
    view = discord.ui.View(timeout=None, store=False)
    for button in buttons[:25]:
        view.add_item(discord.ui.Button(
            label=button.label[:80], style=_STYLES.get(button.style, discord.ButtonStyle.secondary),
            custom_id=button.custom_id,
        ))
    return view


def message_kwargs(card: RenderedCard) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"embeds": embeds_of(card)}
    view = view_of(card)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def member_resolver(guild: Any, mentioned: list[Any] | None = None) -> MentionResolver:
    """Mentions -> members of `guild`: from the message's mentions, the cache, then the API."""
    known = {str(m.id): m for m in (mentioned or []) if getattr(m, "guild", None) is not None}

    async def resolve(token: str) -> Person | None:
        match = _MENTION_ID.match(token)
        if match is None:
            raise NotAMention(token)
        if guild is None:
            return None
        user_id = match.group(1)
        member = known.get(user_id) or guild.get_member(int(user_id))
        if member is None:
            try:
                member = await guild.fetch_member(int(user_id))
            except (discord.HTTPException, AttributeError):
                return None
        return person(member) if member is not None else None

    return resolve


class GmbotBot(commands.AutoShardedBot):
    """py-cord's bot, answering commands wherever `gmbot sync-commands` registered them.

    py-cord finds an interaction's command by the id its own sync recorded, else by name
    for global commands only; a command registered in a guild (`sync-commands --guild`)
    matched neither, got no answer, and py-cord then "fixed" it by overwriting that
    guild's commands with []. Here the command is found by name and type wherever it is
    registered, and py-cord never syncs.
    """

    async def process_application_commands(self, interaction: discord.Interaction, auto_sync: bool | None = None) -> None:
        data: Mapping[str, Any] = interaction.data or {}
        known: dict[Any, Any] = self._application_commands  # py-cord's id -> command table
        if "id" in data and data["id"] not in known:
            command = next((c for c in self.pending_application_commands
                            if c.name == data.get("name") and int(c.type) == int(data.get("type", 1))), None)
            if command is not None:
                known[data["id"]] = command
        await super().process_application_commands(interaction, auto_sync=False)


class DiscordRuntime:
    def __init__(self, spec: BotSpec, backend: BackendClient, *, defer_after: float = 2.0) -> None:
        self.spec = spec
        self.backend = backend
        self.core = Core(spec, backend)
        self.gate: Gate = OPEN  # a service sets its Shutdown: commands then count as work in flight
        self.defer_after = defer_after

    @staticmethod
    def invocation(guild: Any, channel: Any, author: Any, event_id: Any, mentions: tuple[Person, ...] = ()) -> Invocation:
        return Invocation(PLATFORM, author=person(author), server=place(guild), channel=place(channel),
                          mentions=mentions, id=str(event_id or ""))

    # -- slash commands --------------------------------------------------------------------
    async def run_slash(self, ctx: Any, name: str, raw_options: Mapping[str, Any]) -> None:
        await admitted(self.gate, lambda: self._slash(ctx, name, raw_options),
                       lambda: ctx.respond(RESTARTING, ephemeral=True))

    async def _slash(self, ctx: Any, name: str, raw_options: Mapping[str, Any]) -> None:
        interaction = getattr(ctx, "interaction", None)
        inv = self.invocation(ctx.guild, ctx.channel, ctx.author, getattr(interaction, "id", None))
        raw = {key: person(value) if _is_user(value) else value for key, value in raw_options.items()}
        outcome, deferred = await self._in_time(
            self.core.run(name, raw, inv, member_resolver(ctx.guild)), ctx.defer, f"/{name}"
        )
        self._log(name, outcome)
        try:
            if deferred:
                await self._follow_up(ctx.followup, outcome, thinking=ctx.interaction)
            else:
                await ctx.respond(ephemeral=outcome.kind == "usage", **message_kwargs(outcome.card))
        except SEND_ERRORS as error:
            log.error("could not answer /%s: %s", name, error)

    async def _follow_up(self, followup: Any, outcome: Outcome, *, thinking: Any = None) -> None:
        """Answer a deferred interaction (`thinking`: the interaction, when its deferral shows
        "thinking..."). A usage error is for its author only; but the first follow-up after
        a "thinking..." deferral replaces that message and keeps its (public) visibility, so
        the thinking message goes first and the answer comes as a new one."""
        ephemeral = outcome.kind == "usage"
        if ephemeral and thinking is not None:
            try:
                await thinking.delete_original_response()
            except SEND_ERRORS as error:
                log.warning("could not remove the deferral of a usage error: %s", error)
        await followup.send(ephemeral=ephemeral, **message_kwargs(outcome.card))

    # -- prefix commands -------------------------------------------------------------------
    async def run_prefix(self, ctx: Any, name: str, args: str) -> None:
        await admitted(self.gate, lambda: self._prefix(ctx, name, args), lambda: ctx.send(RESTARTING))

    async def _prefix(self, ctx: Any, name: str, args: str) -> None:
        message = ctx.message
        mentioned = list(getattr(message, "mentions", []) or [])
        inv = self.invocation(ctx.guild, ctx.channel, ctx.author, message.id,
                              tuple(person(m) for m in mentioned))
        outcome = await self._guarded(self.core.run_prefix(name, args or "", inv, member_resolver(ctx.guild, mentioned)))
        self._log(name, outcome)
        try:
            await ctx.send(**message_kwargs(outcome.card))
        except SEND_ERRORS as error:
            log.error("could not answer %s %s: %s", self.spec.bot.prefix, name, error)

    async def _in_time(self, work: Awaitable[Outcome], defer: Callable[[], Awaitable[Any]], what: str) -> tuple[Outcome, bool]:
        """The outcome of `work`, deferring the interaction first when it takes longer than
        `defer_after`; True when it was deferred (answer with a follow-up)."""
        task = asyncio.ensure_future(self._guarded(work))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        deferred = False
        if not done:
            try:
                await defer()
                deferred = True
            except discord.HTTPException as error:
                log.warning("defer failed for %s: %s", what, error)
        return await task, deferred

    async def _guarded(self, work: Any) -> Outcome:
        """Whatever goes wrong, the user gets a card, never silence."""
        try:
            result: Outcome = await work
            return result
        except UsageError as error:
            return self.core.usage_outcome(error)
        except Exception:
            log.exception("command failed")
            return Outcome(self.core.notice("Something went wrong", "The bot hit an unexpected error; it was logged.", "error"), "problem")

    def _log(self, name: str, outcome: Outcome) -> None:
        log.info("%s -> %s status=%s request_id=%s", name, outcome.kind, outcome.status, outcome.request_id)

    # -- buttons, help, unknown commands ---------------------------------------------------
    async def on_interaction(self, interaction: Any) -> None:
        if interaction.type != discord.InteractionType.component:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if not custom_id.startswith(BUTTON_PREFIX):
            return
        await self.run_button(interaction, custom_id)

    async def run_button(self, interaction: Any, custom_id: str) -> None:
        await admitted(self.gate, lambda: self._button(interaction, custom_id),
                       lambda: interaction.response.send_message(RESTARTING, ephemeral=True))

    async def _button(self, interaction: Any, custom_id: str) -> None:
        inv = self.invocation(interaction.guild, interaction.channel, interaction.user, interaction.id)
        outcome, deferred = await self._in_time(self.core.click(custom_id, inv), interaction.response.defer, "a button")
        self._log("button", outcome)
        try:
            if deferred:  # py-cord defers a component without a "thinking" message
                await self._follow_up(interaction.followup, outcome)
            else:
                await interaction.response.send_message(ephemeral=outcome.kind == "usage",
                                                        **message_kwargs(outcome.card))
        except SEND_ERRORS as error:
            log.error("could not answer a button: %s", error)

    async def on_command_error(self, ctx: Any, error: Exception) -> None:
        if isinstance(error, commands.CommandNotFound):
            word = str(getattr(ctx, "invoked_with", "") or "")
            outcome = self.core.usage_outcome(UsageError(f"unknown command '{word}'"))
            try:
                self.core.command(word)
            except UsageError as unknown:
                outcome = self.core.usage_outcome(unknown)
            try:
                await ctx.send(**message_kwargs(outcome.card))
            except SEND_ERRORS as send_error:
                log.error("could not answer %s %s: %s", self.spec.bot.prefix, word, send_error)
            return
        log.error("prefix command error: %s", error, exc_info=error)

    async def on_unknown_application_command(self, interaction: Any) -> None:
        """A slash command Discord still has registered but this bot does not know (the
        registration is older than the bot): an answer, not "the application did not respond"."""
        name = str((interaction.data or {}).get("name", ""))
        outcome = self.core.usage_outcome(UsageError(
            f"unknown command '/{name}': this bot's commands changed; they are registered again "
            f"with `gmbot sync-commands`"))
        self._log(name, outcome)
        try:
            await interaction.response.send_message(ephemeral=True, **message_kwargs(outcome.card))
        except SEND_ERRORS as error:
            log.error("could not answer /%s: %s", name, error)

    def install(self, bot: commands.Bot) -> None:
        """Buttons, `gmbot help [command]` and unknown-command replies."""
        bot.add_listener(self.on_interaction, "on_interaction")
        bot.add_listener(self.on_unknown_application_command, "on_unknown_application_command")
        if not self.spec.bot.prefix_commands:
            return

        async def help_command(ctx: commands.Context[Any], *, topic: str = "") -> None:
            await self.run_prefix(ctx, "help", topic)

        bot.add_command(commands.Command(help_command, name="help"))
        bot.add_listener(self.on_command_error, "on_command_error")
