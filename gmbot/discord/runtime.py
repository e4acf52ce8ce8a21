"""The Discord side of the runtime: what generated/discord/commands.py calls.

`DiscordRuntime(spec, backend)`; `run_slash(ctx, name, raw_options)` and
`run_prefix(ctx, name, args)` go through the same core pipeline. Slash
commands and buttons defer when the backend has not answered within
`defer_after` seconds and follow up, so Discord never shows "The application did
not respond"; once deferred, the answer may take as long as the interaction's
token lives (15 minutes), so an interaction waits for the backend up to
`deferred_timeout` (GMBOT_DEFERRED_TIMEOUT) instead of the backend client's
2.5 s: a slow success is reported as a success, not as "unavailable" inviting a
second try. Prefix commands keep the client's time-out.

Everything posted has mentions turned off (`allowed_mentions`): card text comes
from users and the backend, and must never ping anyone. A message or interaction
delivered twice (a gateway replay after a resume) is answered once: ids seen
lately are remembered, and a prefix reply carries a nonce derived from the
message, so a second process posting the same answer gets Discord's first
message back instead of a second one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from gmbot.chat import menus
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import BUTTON_PREFIX, Core
from gmbot.chat.guard import guarded, log_outcome
from gmbot.chat.options import MentionResolver, NotAMention, UsageError
from gmbot.chat.recent import Recent
from gmbot.chat.vocabulary import Invocation, Outcome, Person, Place, RenderedCard
from gmbot.discord import menus as discord_menus
from gmbot.discord import modals
from gmbot.discord.embeds import card_to_embeds
from gmbot.discord.platform import person_locale
from gmbot.discord.selects import choice, select_components
from gmbot.discord.uploads import files_of
from gmbot.service.shutdown import OPEN, RESTARTING, Gate, admitted
from gmbot.spec.model import BotSpec

log = logging.getLogger("gmbot.discord")

PLATFORM = "discord"
# what answering a user can fail with: Discord's refusals, and the connection itself
SEND_ERRORS = (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError)
ALREADY_ACKNOWLEDGED = 40060  # Discord: another process (or delivery) answered this interaction
NO_MENTIONS = discord.AllowedMentions.none()  # {"parse": []}: no @everyone, no user or role pings
NONCE_MAX = 25  # characters (Discord)

INTERACTION_LIFETIME = 15 * 60.0  # seconds an interaction's token can still post its answer
DEFERRED_TIMEOUT = 300.0  # default wait for the backend once an interaction is deferred
DEFERRED_TIMEOUT_ENV = "GMBOT_DEFERRED_TIMEOUT"

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


def place(thing: Any) -> Place | None:
    if thing is None:
        return None
    return Place(str(thing.id), str(getattr(thing, "name", None) or thing.id))


def _is_user(value: Any) -> bool:
    """A Member / User option value (anything with an id that is not plain data)."""
    return value is not None and not isinstance(value, str | int | float | bool | dict | list) and hasattr(value, "id")


def embeds_of(card: RenderedCard) -> list[discord.Embed]:
    return [discord.Embed.from_dict(data) for data in card_to_embeds(card)]


def view_of(card: RenderedCard) -> discord.ui.View | None:
    buttons = [b for b in card.buttons if b.custom_id]
    menus = select_components(card)  # each a row of its own, above the buttons (gmbot/discord/selects.py)
    if not buttons and not menus:
        return None
    # store=False: py-cord would keep every stored View (and its items) for the bot's life;
    # clicks are routed by custom_id in `on_interaction`, so nothing needs to be stored
    view = discord.ui.View(timeout=None, store=False)
    for menu in menus:
        view.add_item(discord.ui.Select(
            discord.ComponentType.string_select, custom_id=menu["custom_id"], placeholder=menu["placeholder"],
            options=[discord.SelectOption(**option) for option in menu["options"]]))
    for button in buttons[:25 - 5 * len(menus)]:
        view.add_item(discord.ui.Button(
            label=button.label[:80], style=_STYLES.get(button.style, discord.ButtonStyle.secondary),
            custom_id=button.custom_id,
        ))
    return view


def message_kwargs(card: RenderedCard) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"embeds": embeds_of(card), "allowed_mentions": NO_MENTIONS, **files_of(card)}
    view = view_of(card)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def edit_kwargs(card: RenderedCard) -> dict[str, Any]:
    """The message a page button's card replaces: no view means no buttons left (the last
    page of one). The view is stopped first: py-cord would otherwise keep it for the bot's
    life, and clicks are routed by custom_id anyway."""
    view = view_of(card)
    if view is not None:
        view.stop()
    # the new card's pictures in place of the old one's files (attachments=[]: none kept)
    return {"embeds": embeds_of(card), "view": view, "allowed_mentions": NO_MENTIONS, "attachments": [],
            **files_of(card)}


def reply_nonce(message_id: Any) -> str:
    """The same for every answer to one message (a message id is unique), and unlike an
    event's nonce (`gmbot-ev-...`)."""
    return f"re-{message_id}"[:NONCE_MAX]


def already_acknowledged(error: BaseException) -> bool:
    return isinstance(error, discord.HTTPException) and error.code == ALREADY_ACKNOWLEDGED


def deferred_timeout_from_env() -> float:
    """GMBOT_DEFERRED_TIMEOUT seconds, kept a minute inside the token's life for the answer itself."""
    raw = os.environ.get(DEFERRED_TIMEOUT_ENV, "").strip()
    try:
        seconds = float(raw) if raw else DEFERRED_TIMEOUT
    except ValueError:
        seconds = -1.0
    if not seconds > 0:  # also NaN
        log.warning("%s=%r is not a number of seconds: using %g", DEFERRED_TIMEOUT_ENV, raw, DEFERRED_TIMEOUT)
        seconds = DEFERRED_TIMEOUT
    return min(seconds, INTERACTION_LIFETIME - 60)


def member_resolver(guild: Any, mentioned: list[Any] | None = None, strangers: Collection[str] = ()) -> MentionResolver:
    """Mentions -> members of `guild`: from the message's mentions, the cache, then the API.
    `strangers`: ids Discord already said are not members (a slash option's resolved users
    without a member entry)."""
    known = {str(m.id): m for m in (mentioned or []) if getattr(m, "guild", None) is not None}

    async def resolve(token: str) -> Person | None:
        match = _MENTION_ID.match(token)
        if match is None:
            raise NotAMention(token)
        if guild is None:
            return None
        user_id = match.group(1)
        if user_id in strangers:
            return None
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
    registered (py-cord never syncs, so it has no ids), and invoked through py-cord's
    public calls.
    """

    async def process_application_commands(self, interaction: discord.Interaction, auto_sync: bool | None = None) -> None:
        data: Mapping[str, Any] = interaction.data or {}
        command = next((c for c in self.pending_application_commands
                        if c.name == data.get("name") and int(c.type) == int(data.get("type", 1))), None)
        if command is not None and interaction.type == discord.InteractionType.auto_complete:
            # an option typed so far: its suggestions (DiscordRuntime.autocomplete), by the same lookup
            await command.invoke_autocomplete_callback(await self.get_autocomplete_context(interaction))
            return
        if command is None or interaction.type != discord.InteractionType.application_command:
            # autocomplete, or a command this bot does not have: py-cord's own path
            # (on_unknown_application_command answers the latter)
            await super().process_application_commands(interaction, auto_sync=False)
            return
        ctx = await self.get_application_context(interaction)
        interaction.command = command
        await self.invoke_application_command(ctx)


class DiscordRuntime:
    def __init__(self, spec: BotSpec, backend: BackendClient, *, defer_after: float = 2.0,
                 deferred_timeout: float = DEFERRED_TIMEOUT) -> None:
        self.spec = spec
        self.backend = backend
        self.core = Core(spec, backend, PLATFORM)
        self.gate: Gate = OPEN  # a service sets its Shutdown: commands then count as work in flight
        self.defer_after = defer_after
        self.deferred_timeout = deferred_timeout
        self.seen = Recent()  # message and interaction ids answered lately

    @staticmethod
    def invocation(guild: Any, channel: Any, author: Any, event_id: Any, mentions: tuple[Person, ...] = (),
                   patience: float | None = None, interaction: Any = None) -> Invocation:
        return Invocation(PLATFORM, author=person(author), server=place(guild), channel=place(channel),
                          mentions=mentions, id=str(event_id or ""), patience=patience,
                          locale=person_locale(interaction))

    def restarting(self, interaction: Any, guild: Any) -> str:
        """The refusal while shutting down, in the reader's language (the clan's for a prefix message)."""
        server = place(guild)
        return self.core.reader_words(person_locale(interaction), server.id if server else None).gettext(RESTARTING)

    def first_delivery(self, kind: str, event_id: Any) -> bool:
        """False for a message or interaction already taken (Discord delivered it again)."""
        if event_id is None or self.seen.first_time((kind, str(event_id))):
            return True
        log.info("%s %s delivered again: already answered", kind, event_id)
        return False

    # -- slash commands --------------------------------------------------------------------
    async def run_slash(self, ctx: Any, name: str, raw_options: Mapping[str, Any]) -> None:
        if not self.first_delivery("interaction", getattr(getattr(ctx, "interaction", None), "id", None)):
            return
        await admitted(self.gate, lambda: self._slash(ctx, name, raw_options),
                       lambda: ctx.respond(self.restarting(getattr(ctx, "interaction", None), ctx.guild), ephemeral=True))

    async def _slash(self, ctx: Any, name: str, raw_options: Mapping[str, Any]) -> None:
        interaction = getattr(ctx, "interaction", None)
        inv = self.invocation(ctx.guild, ctx.channel, ctx.author, getattr(interaction, "id", None),
                              patience=self.deferred_timeout, interaction=interaction)
        raw, resolve = self._user_options(ctx.guild, raw_options)
        outcome, deferred = await self._in_time(self.core.run(name, raw, inv, resolve), inv, ctx.defer, f"/{name}")
        log_outcome(log, name, outcome)
        try:
            if outcome.form is not None and not deferred:  # a modal can only be the first answer
                await ctx.interaction.response.send_modal(modals.modal(outcome.form))
            elif deferred:
                await self._follow_up(ctx.followup, outcome, thinking=ctx.interaction)
            else:
                await ctx.respond(ephemeral=outcome.private, **message_kwargs(outcome.card))
        except SEND_ERRORS as error:
            self._unanswered(f"/{name}", error)

    async def run_menu(self, ctx: Any, key: str, target: Any) -> None:
        """A user or message command (a `menus:` entry, `key`) clicked on `target`: its command,
        run as a slash command with the options the target fills."""
        entry = menus.by_key(self.spec, key)
        name = entry.command.name if entry else key.rpartition(":")[0]
        raw = menus.raw_options(entry.menu, discord_menus.parts(target)) if entry else {}
        await self.run_slash(ctx, name, raw)

    @staticmethod
    def _user_options(guild: Any, raw_options: Mapping[str, Any]) -> tuple[dict[str, Any], MentionResolver]:
        """A user option's value (py-cord's Member, User or Object) as the mention it stands for,
        checked like a typed mention: py-cord gives a Member only for a member of the server
        (Discord resolves one), a User for anyone else."""
        users = [value for value in raw_options.values() if _is_user(value)]
        strangers = {str(user.id) for user in users if isinstance(user, discord.User)}
        raw = {key: f"<@{value.id}>" if _is_user(value) else value for key, value in raw_options.items()}
        return raw, member_resolver(guild, users, strangers)

    async def _follow_up(self, followup: Any, outcome: Outcome, *, thinking: Any = None) -> None:
        """Answer a deferred interaction (`thinking`: the interaction, when its deferral shows
        "thinking..."). A private card is for its author only; but the first follow-up after
        a "thinking..." deferral replaces that message and keeps its (public) visibility, so
        the thinking message goes first and the answer comes as a new one."""
        if outcome.private and thinking is not None:
            try:
                await thinking.delete_original_response()
            except SEND_ERRORS as error:
                log.warning("could not remove the deferral of a private answer: %s", error)
        await followup.send(ephemeral=outcome.private, **message_kwargs(outcome.card))

    # -- autocomplete ------------------------------------------------------------------------
    async def autocomplete(self, ctx: Any) -> list[discord.OptionChoice]:
        """py-cord's autocomplete callback of every option with `autocomplete:` in the spec: the
        core's suggestions for what is typed so far, as at most 25 choices of the option's type."""
        interaction = ctx.interaction
        name, option = str(getattr(ctx.command, "name", "")), str(getattr(ctx.focused, "name", ""))
        inv = self.invocation(interaction.guild, interaction.channel, interaction.user, interaction.id)
        try:
            found = await self.core.suggestions(name, option, str(ctx.value or ""), inv)
        except Exception:  # the user is typing: no suggestions rather than an error
            log.exception("autocomplete of -%s of /%s failed", option, name)
            return []
        spec_option = next((o for o in getattr(self.spec.command(name), "options", []) if o.name == option), None)
        integer = spec_option is not None and spec_option.type.value == "integer"
        choices = []
        for label, value in found:
            if integer and not value.lstrip("-").isdigit():
                continue  # Discord refuses a choice of another type than the option's
            choices.append(discord.OptionChoice(name=label, value=int(value) if integer else value))
        return choices

    # -- prefix commands -------------------------------------------------------------------
    async def run_prefix(self, ctx: Any, name: str, args: str) -> None:
        await admitted(self.gate, lambda: self._prefix(ctx, name, args),
                       lambda: ctx.send(self.restarting(None, ctx.guild)))

    async def _prefix(self, ctx: Any, name: str, args: str) -> None:
        message = ctx.message
        mentioned = list(getattr(message, "mentions", []) or [])
        inv = self.invocation(ctx.guild, ctx.channel, ctx.author, message.id,
                              tuple(person(m) for m in mentioned))
        work = self.core.run_prefix(name, args or "", inv, member_resolver(ctx.guild, mentioned))
        outcome = await guarded(log, self.core, work, self.core.words(inv))
        log_outcome(log, name or "help", outcome)
        await self._reply(ctx, outcome, name)

    async def _reply(self, ctx: Any, outcome: Outcome, name: str) -> None:
        """Answer a prefix message in its channel, once: the nonce makes Discord return the
        answer already posted to that message instead of posting another."""
        try:
            await ctx.send(nonce=reply_nonce(ctx.message.id), enforce_nonce=True, **message_kwargs(outcome.card))
        except SEND_ERRORS as error:
            self._unanswered(f"{self.spec.bot.prefix} {name}".rstrip(), error)

    async def on_message(self, bot: commands.Bot, message: Any) -> None:
        """py-cord's own on_message (process the commands), plus: a message Discord delivers
        again is answered once, and the bare prefix ("gmbot", or a mention of the bot alone)
        gets the help the core gives a command line without a command."""
        if message.author.bot:
            return
        ctx: commands.Context[Any] = await bot.get_context(message)
        bare = ctx.prefix is None and await self._bare_prefix(bot, message)
        # only messages for the bot are remembered: the channels' chatter would crowd them out
        if (ctx.prefix is None and not bare) or not self.first_delivery("message", message.id):
            return
        if bare:
            await self.run_prefix(ctx, "", "")
            return
        await bot.invoke(ctx)

    @staticmethod
    async def _bare_prefix(bot: commands.Bot, message: Any) -> bool:
        text = str(message.content or "").strip()
        prefixes = await bot.get_prefix(message)
        return bool(text) and text in {p.strip() for p in ([prefixes] if isinstance(prefixes, str) else prefixes)}

    async def _in_time(self, work: Awaitable[Outcome], inv: Invocation, defer: Callable[[], Awaitable[Any]],
                       what: str) -> tuple[Outcome, bool]:
        """The outcome of `work`, deferring the interaction first when it takes longer than
        `defer_after`; True when it was deferred (answer with a follow-up)."""
        task = asyncio.ensure_future(guarded(log, self.core, work, self.core.words(inv)))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        deferred = False
        if not done:
            try:
                await defer()
                deferred = True
            except discord.HTTPException as error:
                if already_acknowledged(error):
                    log.info("%s was answered elsewhere (another process took it)", what)
                else:
                    log.warning("defer failed for %s: %s", what, error)
        return await task, deferred

    def _unanswered(self, what: str, error: BaseException) -> None:
        """An answer that could not be posted: an error, unless another process (or an earlier
        delivery) answered the interaction already, which is how it should be."""
        if already_acknowledged(error):
            log.info("%s was answered elsewhere (another process took it): %s", what, error)
        else:
            log.error("could not answer %s: %s", what, error)


    # -- buttons, help, unknown commands ---------------------------------------------------
    async def on_interaction(self, interaction: Any) -> None:
        if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if not custom_id.startswith(BUTTON_PREFIX):
            return
        if interaction.type == discord.InteractionType.modal_submit:
            await self.run_submit(interaction, custom_id)
            return
        # a choice in one of our selects: the select's id with the value chosen, routed as a click
        await self.run_button(interaction, choice(interaction.data or {}) or custom_id)

    # -- forms (gmbot/discord/modals.py) ----------------------------------------------------
    async def run_submit(self, interaction: Any, form_id: str) -> None:
        if not self.first_delivery("interaction", interaction.id):
            return
        await admitted(self.gate, lambda: self._submit(interaction, form_id),
                       lambda: interaction.response.send_message(self.restarting(interaction, interaction.guild),
                                                                  ephemeral=True))

    async def _submit(self, interaction: Any, form_id: str) -> None:
        """A modal submitted: a refused field is told to its author alone, naming the field; else
        the card, as the command's or the button's would be."""
        inv = self.invocation(interaction.guild, interaction.channel, interaction.user, interaction.id,
                              patience=self.deferred_timeout, interaction=interaction)
        values = modals.submitted(interaction.data or {})
        resolve = member_resolver(interaction.guild)
        outcome, deferred = await self._in_time(self.core.submit(form_id, values, inv, resolve), inv,
                                                 lambda: interaction.response.defer(invisible=False), "a form")
        log_outcome(log, "form", outcome)
        try:
            if deferred:
                await self._follow_up(interaction.followup, outcome, thinking=interaction)
            else:
                await interaction.response.send_message(ephemeral=outcome.private, **message_kwargs(outcome.card))
        except SEND_ERRORS as error:
            self._unanswered("a form", error)

    async def run_button(self, interaction: Any, custom_id: str) -> None:
        if not self.first_delivery("interaction", interaction.id):
            return
        await admitted(self.gate, lambda: self._button(interaction, custom_id),
                       lambda: interaction.response.send_message(self.restarting(interaction, interaction.guild),
                                                                  ephemeral=True))

    async def _button(self, interaction: Any, custom_id: str) -> None:
        inv = self.invocation(interaction.guild, interaction.channel, interaction.user, interaction.id,
                              patience=self.deferred_timeout, interaction=interaction)
        outcome, deferred = await self._in_time(self.core.click(custom_id, inv), inv,
                                                 interaction.response.defer, "a button")
        log_outcome(log, "button", outcome)
        try:
            if outcome.form is not None and not deferred:  # a form: its modal is the click's answer
                await interaction.response.send_modal(modals.modal(outcome.form))
            elif outcome.replaces:  # a page button's card, a confirmation's answer: in place of the one clicked
                if deferred:  # deferred as an update of the message: its edit follows
                    await interaction.edit_original_response(**edit_kwargs(outcome.card))
                else:
                    await interaction.response.edit_message(**edit_kwargs(outcome.card))
            elif deferred:  # py-cord defers a component without a "thinking" message
                await self._follow_up(interaction.followup, outcome)
            else:
                await interaction.response.send_message(ephemeral=outcome.private, **message_kwargs(outcome.card))
        except SEND_ERRORS as error:
            self._unanswered("a button", error)

    async def on_command_error(self, ctx: Any, error: Exception) -> None:
        if isinstance(error, commands.CommandNotFound):
            word = str(getattr(ctx, "invoked_with", "") or "")
            outcome = self.core.usage_outcome(UsageError(f"unknown command '{word}'"))
            try:
                self.core.command(word)
            except UsageError as unknown:
                outcome = self.core.usage_outcome(unknown)
            await self._reply(ctx, outcome, word)
            return
        log.error("prefix command error: %s", error, exc_info=error)

    async def on_unknown_application_command(self, interaction: Any) -> None:
        """A slash command Discord still has registered but this bot does not know (the
        registration is older than the bot): an answer, not "the application did not respond"."""
        name = str((interaction.data or {}).get("name", ""))
        if not self.first_delivery("interaction", interaction.id):
            return
        outcome = self.core.usage_outcome(UsageError(
            f"unknown command '/{name}': this bot's commands changed; they are registered again "
            f"with `gmbot sync-commands`"))
        log_outcome(log, name, outcome)
        try:
            await interaction.response.send_message(ephemeral=True, **message_kwargs(outcome.card))
        except SEND_ERRORS as error:
            self._unanswered(f"/{name}", error)

    def install(self, bot: commands.Bot) -> None:
        """Buttons, `gmbot help [command]`, the bare prefix and unknown-command replies."""
        bot.add_listener(self.on_interaction, "on_interaction")
        bot.add_listener(self.on_unknown_application_command, "on_unknown_application_command")
        if not self.spec.bot.prefix_commands:
            return

        async def help_command(ctx: commands.Context[Any], *, topic: str = "") -> None:
            await self.run_prefix(ctx, "help", topic)

        async def on_message(message: discord.Message) -> None:
            await self.on_message(bot, message)

        bot.add_command(commands.Command(help_command, name="help"))
        bot.add_listener(self.on_command_error, "on_command_error")
        bot.event(on_message)  # in place of py-cord's, which would answer a replayed message again
