"""The Telegram side of the runtime: aiogram handlers that turn Telegram's updates into core
calls.

* `/createwar -players @ann @bob -game 4`, or `/createwar@GmBot ...` in a group: the
  command word is the command, the rest of the text its flags, parsed exactly as the other
  front ends parse theirs (`Core.run_prefix`). With privacy mode on (the default) a bot
  sees only commands in a group; a command addressed to another bot (`/x@OtherBot`) is
  not ours, and neither is an unknown bare `/x` in a group (another bot's, most likely).
  A spec name with `-` is `_` in Telegram (commands.py): both spellings run it.
* A click on a card's button: a callback query whose data is the core's custom id
  (buttons.py). It is always answered: a result card is posted in the chat (a reply to
  the card clicked); anything else (usage, a problem, the backend down) is an alert only
  the clicker sees, as other platforms show it to the user alone.

A group is a clan's server and its channel (`Person(chat id, title)`); a private chat has
no server, so clan commands say they work in a group only. A command's idempotency key is
its chat and message id, a click's the callback query id; Telegram's own retries of an
update (the same `update_id`) are recognised and not handled twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from aiogram import Bot, Dispatcher, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Chat, ChatMemberUpdated, Message, Update, User

from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.chat.fit import cut
from gmbot.chat.guard import guarded, log_outcome
from gmbot.chat.i18n import N_, Catalog
from gmbot.chat.recent import Recent
from gmbot.chat.vocabulary import Invocation, Outcome, Person, Place, RenderedCard, RenderedField
from gmbot.service.shutdown import OPEN, RESTARTING, RESTARTING_TITLE, Gate, admitted
from gmbot.spec.model import BotSpec
from gmbot.telegram import PLATFORM
from gmbot.telegram.api import markup, post, preview
from gmbot.telegram.buttons import Callbacks
from gmbot.telegram.commands import listable, telegram_name
from gmbot.telegram.forms import Forms
from gmbot.telegram.menus import from_reply
from gmbot.telegram.messages import card_to_messages, card_to_text
from gmbot.telegram.people import NAME_MAX, TelegramPeople, person
from gmbot.telegram.platform import person_locale

log = logging.getLogger("gmbot.telegram")

GROUPS = frozenset({"group", "supergroup"})
HELP = frozenset({"help", "start"})  # /start: what a private chat with a bot begins with
WHO_IS_THAT = N_("Who is that?")
UNKNOWN_HINT = N_("Telegram does not tell bots who an @username is: the bot knows the members who "
                  "have sent it a command in this group. Ask them to send /help here once, or "
                  "mention them by picking them from the list as you type @.")


@dataclass(frozen=True)
class Typed:
    """A command as typed: `/name@addressed args`, text mentions replaced by tokens."""

    name: str
    addressed: str  # the bot a `/cmd@Bot` names ("" when none)
    args: str
    picked: dict[str, Person] = field(default_factory=dict)  # token -> the member it stands for


def parse(message: Message) -> Typed | None:
    """The command a message starts with, or None. Entity offsets count UTF-16 code units."""
    text, entities = message.text or "", message.entities or []
    if not entities or entities[0].type != "bot_command" or entities[0].offset != 0:
        return None
    wide = text.encode("utf-16-le")

    def cut(start: int, end: int | None = None) -> str:  # UTF-16 code units -> text
        return wide[start * 2:None if end is None else end * 2].decode("utf-16-le", errors="replace")

    name, _, addressed = cut(1, entities[0].length).partition("@")
    pieces, picked, at = [], {}, entities[0].length
    for entity in entities[1:]:
        if entity.type != "text_mention" or entity.user is None or entity.offset < at:
            continue
        token = "@" + "_".join(cut(entity.offset, entity.offset + entity.length).lstrip("@").split())
        while token in picked or token in text:  # a token stands for this member only
            token += "~"
        picked[token] = person(entity.user)
        pieces += [cut(at, entity.offset), token]
        at = entity.offset + entity.length
    pieces.append(cut(at))
    return Typed(name.lower(), addressed, "".join(pieces).strip(), picked)


def place(chat: Chat) -> Place:
    """A group (the clan's server and channel) or a private chat, its name cut to fit."""
    return Place(str(chat.id), cut(chat.title or chat.full_name or str(chat.id), NAME_MAX))


class TelegramRuntime:
    def __init__(self, spec: BotSpec, backend: BackendClient, bot: Bot, *, people: TelegramPeople | None = None) -> None:
        self.spec = spec
        self.backend = backend
        self.bot = bot
        self.core = Core(spec, backend, PLATFORM)
        self.callbacks = Callbacks(spec)
        self.forms = Forms(bot, self.core)  # forms asked a field at a time (Telegram has none)
        self.gate: Gate = OPEN  # a service sets its Shutdown: commands then count as work in flight
        self.people = people or TelegramPeople()
        self.dispatcher = Dispatcher()
        router = Router(name="gmbot")
        router.message.register(self.on_message)
        router.callback_query.register(self.on_callback)
        router.my_chat_member.register(self.on_membership)
        self.dispatcher.include_router(router)
        self._updates = Recent()  # update ids: Telegram re-sends an update it thinks was missed
        self.tasks: set[asyncio.Task[None]] = set()  # updates being handled

    # -- updates in ----------------------------------------------------------------------------
    async def feed(self, update: Update) -> None:
        """Handle one update (from the webhook or getUpdates), once."""
        if not self._updates.first_time(update.update_id):
            log.info("update %s sent again by Telegram: already handled", update.update_id)
            return
        await self.dispatcher.feed_update(self.bot, update)

    def feed_soon(self, update: Update) -> None:
        """Handle an update in the background (the webhook answers Telegram at once)."""
        task = asyncio.create_task(self.feed(update), name=f"gmbot-telegram-update-{update.update_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- /command ... -----------------------------------------------------------------------------
    async def on_message(self, message: Message) -> None:
        chat = message.chat
        # who is in this group (a user only mentioned may not be: picked mentions are checked)
        for user in (message.from_user, *(message.new_chat_members or []),
                     message.reply_to_message.from_user if message.reply_to_message else None):
            self.people.remember(chat.id, user)
        self.people.forget(chat.id, message.left_chat_member)
        if message.reply_to_message is not None and message.from_user is not None and not message.from_user.is_bot \
                and await self.forms.answer(message, self._invocation(message), self._post_outcome):
            return  # the answer to a form's question
        typed = parse(message)
        if typed is None or message.from_user is None or message.from_user.is_bot:
            return  # not a command, or another bot's message: never talk to bots
        me = await self.bot.me()
        if typed.addressed and typed.addressed.lower() != (me.username or "").lower():
            return  # `/cmd@OtherBot`
        if self.command_name(typed.name) is None and typed.name == telegram_name(self.spec.bot.prefix):
            word, _, rest = typed.args.partition(" ")  # `/gmbot createwar ...`, as on Slack
            typed = replace(typed, name=word.lower(), args=rest.strip(), addressed=typed.addressed or typed.name)
        name = self.command_name(typed.name)
        if name is None and chat.type in GROUPS and not typed.addressed:
            return  # an unknown bare command in a group: another bot's
        await admitted(self.gate, lambda: self._command(message, typed, name or typed.name),
                       lambda: self.tell(message, RESTARTING))

    def command_name(self, typed: str) -> str | None:
        """The spec's name (or alias) for a typed Telegram command, or None."""
        if typed in HELP:
            return "help"
        return next((n for n in (typed, typed.replace("_", "-")) if self.spec.command(n)), None)

    async def _command(self, message: Message, typed: Typed, name: str) -> None:
        chat = message.chat
        assert message.from_user is not None
        author = person(message.from_user)
        group = chat.type in GROUPS
        inv = Invocation(PLATFORM, author=author, server=place(chat) if group else None, channel=place(chat),
                         id=f"{chat.id}_{message.message_id}",
                         locale=person_locale(message.from_user))
        typed = from_reply(self.spec, self.core, name, typed, message)  # a menu entry's target (menus.py)
        args = typed.args
        if name == "help" and args:  # `/help create_war`
            topic, _, rest = args.partition(" ")
            args = f"{self.command_name(topic.lstrip('/').lower()) or topic} {rest}".strip()
        unknown: list[str] = []
        resolve = self.people.resolver(self.bot, chat.id, typed.picked, unknown)
        t = self.core.words(inv)
        outcome = await guarded(log, self.core, self.core.run_prefix(name, args, inv, resolve), t)
        log_outcome(log, name, outcome)
        card = outcome.card
        if outcome.kind in ("help", "usage"):  # cards the core writes: how commands are typed here
            card = slash_commands(card, self.spec.bot.prefix)
        if unknown and outcome.kind == "usage":
            card = replace(card, fields=[*card.fields, RenderedField(t.gettext(WHO_IS_THAT), t.gettext(UNKNOWN_HINT))])
        if outcome.form is not None:  # asked a field at a time, in this chat
            await self.forms.start(chat.id, message.from_user.id, outcome.form, message.message_id, inv)
            return
        if outcome.only_author and group and await self._privately(author, card):
            return
        await self._post(chat.id, card, reply_to=message.message_id)

    def _invocation(self, message: Message) -> Invocation:
        chat = message.chat
        assert message.from_user is not None
        return Invocation(PLATFORM, author=person(message.from_user), server=place(chat) if chat.type in GROUPS else None,
                          channel=place(chat), id=f"{chat.id}_{message.message_id}",
                          locale=person_locale(message.from_user))

    async def _post_outcome(self, chat_id: int, outcome: Outcome, reply_to: int) -> None:
        """A form's card, posted as its command's would be."""
        await self._post(chat_id, outcome.card, reply_to=reply_to)

    async def _privately(self, author: Person, card: RenderedCard) -> bool:
        """A reply only its author may see, in their private chat with the bot; False when
        Telegram refuses (they never started one: a bot cannot write first), and the group
        gets it instead."""
        try:
            await post(self.bot, int(author.id), card_to_messages(card), retry=True)
        except (TelegramAPIError, ValueError) as error:
            log.info("could not answer %s privately (%s): answering in the group", author.id, error)
            return False
        return True

    def reader(self, user: User | None, chat: Chat | None) -> Catalog:
        """The words of who reads a notice given before any command ran: their language, else the group's clan's."""
        server = place(chat).id if chat is not None and chat.type in GROUPS else None
        return self.core.reader_words(person_locale(user), server)

    async def tell(self, message: Message, text: str) -> None:
        """A short notice (the bot is restarting), in reply to the command."""
        t = self.reader(message.from_user, message.chat)
        await self._post(message.chat.id, self.core.notice(t.gettext(RESTARTING_TITLE), t.gettext(text), "error"),
                         reply_to=message.message_id)

    async def _post(self, chat_id: int, card: RenderedCard, *, reply_to: int | None = None) -> None:
        try:
            await post(self.bot, chat_id, card_to_messages(card), reply_to=reply_to, retry=True)
        except TelegramAPIError as error:  # removed from the group, or Telegram down: logged
            log.error("could not answer in chat %s: %s", chat_id, error)

    # -- buttons -------------------------------------------------------------------------------------
    async def on_callback(self, query: CallbackQuery) -> None:
        answered: list[bool] = []

        async def answer(text: str = "", alert: bool = False) -> None:
            answered.append(True)
            try:
                await query.answer(text=text or None, show_alert=alert)
            except TelegramAPIError as error:  # too late (the query expired): the card still follows
                log.warning("could not answer callback query %s: %s", query.id, error)

        try:
            await admitted(self.gate, lambda: self._click(query, answer), lambda: answer(self.reader(query.from_user, query.message.chat if query.message else None)
                                                      .gettext(RESTARTING), True))
        finally:
            if not answered:  # whatever happened, the clicker's spinner stops
                await answer()

    async def _click(self, query: CallbackQuery, answer: Callable[[str, bool], Awaitable[None]]) -> None:
        message = query.message
        chat = message.chat if message is not None else None
        if chat is not None:
            self.people.remember(chat.id, query.from_user)
        inv = Invocation(PLATFORM, author=person(query.from_user),
                         server=place(chat) if chat is not None and chat.type in GROUPS else None,
                         channel=place(chat) if chat is not None else None, id=query.id,
                         locale=person_locale(query.from_user))
        custom_id = self.callbacks.custom_id(query.data or "") or ""
        outcome = await guarded(log, self.core, self.core.click(custom_id, inv), self.core.words(inv))
        log_outcome(log, "button", outcome)
        if outcome.form is not None and chat is not None and message is not None:  # asked a field at a time
            await answer("", False)
            await self.forms.start(chat.id, query.from_user.id, outcome.form, message.message_id, inv)
            return
        if chat is None or outcome.only_author or (outcome.kind not in ("reply", "confirm") and not outcome.replaces):
            await answer(card_to_text(outcome.card), True)  # only the clicker sees it
            return
        await answer("", False)
        # a page, or the answer to a confirmation: in place of the message clicked; a
        # confirmation prompt: a second keyboard, in reply to the button's message
        if outcome.replaces and message is not None and await self._edit(chat.id, message.message_id, outcome.card):
            return
        await self._post(chat.id, outcome.card, reply_to=message.message_id if message is not None else None)

    async def _edit(self, chat_id: int, message_id: int, card: RenderedCard) -> bool:
        """A page button's card in place of the message clicked (editMessageText); False when
        it needs more than one message (it is posted instead) or the edit failed."""
        messages = card_to_messages(card)
        if len(messages) != 1 or "photo" in messages[0]:  # editMessageText cannot make a photo
            return False
        try:
            await self.bot.edit_message_text(
                text=messages[0]["text"], chat_id=chat_id, message_id=message_id,
                parse_mode=messages[0].get("parse_mode", "HTML"), reply_markup=markup(messages[0]),
                link_preview_options=preview(messages[0]))
        except TelegramAPIError as error:
            if "not modified" in str(error):  # the same page again (two clicks at once): shown already
                return True
            log.warning("could not edit message %s in chat %s: %s", message_id, chat_id, error)
            return False
        return True

    # -- the bot added to or removed from a group ----------------------------------------------
    async def on_membership(self, update: ChatMemberUpdated) -> None:
        status = update.new_chat_member.status
        log.info("the bot is now %s in %s %r (%s)", status, update.chat.type, update.chat.title, update.chat.id)

    # -- shared --------------------------------------------------------------------------------


def slash_commands(card: RenderedCard, prefix: str) -> RenderedCard:
    """A card the core wrote about typing commands (`gmbot createwar ...`), as Telegram
    commands are typed (`/createwar ...`; `/gmbot écho ...` for a name Telegram cannot list).
    Values (a usage error quotes what was typed) are changed alike and stay data: shown
    as written, never a clickable command."""
    typed = re.compile(rf"(?<![\w/]){re.escape(prefix)} ([<\w][\w-]*)", re.IGNORECASE)

    def command(match: re.Match[str]) -> str:
        word = match.group(1)
        return f"/{telegram_name(word)}" if word[0] == "<" or listable(word) else f"/{telegram_name(prefix)} {word}"

    return card.map(lambda part, text: typed.sub(command, text) if part != "button_label" else text)


__all__ = ["PLATFORM", "TelegramRuntime", "parse", "slash_commands"]
