"""Forms on Telegram, which has none: the fields are asked one at a time, as BotFather asks.

Each question is a message in reply to the user's last one, with `ForceReply` (`selective`:
only that user's app opens the reply field, with the field's hint as its placeholder). The
user's reply to the question is the field's value, checked as the option it is (a refused
value asks again, saying why; `-` leaves an optional field empty). After the last field the
form is sent (`Core.submit`) and its card posted as a command's; a refusal there (the
backend naming a field) asks that field again. A form waits `WAIT` seconds for its next
answer; a new form of the same person in the same chat replaces it. The fields stay flags of
the command too: `/dispute -war zyo8 -reason ...` asks nothing.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ForceReply, Message, ReplyParameters

from gmbot.chat.core import Core
from gmbot.chat.fit import cut
from gmbot.chat.guard import guarded, log_outcome
from gmbot.chat.i18n import N_
from gmbot.chat.vocabulary import Invocation, Outcome, RenderedForm

log = logging.getLogger("gmbot.telegram")

EMPTY = "-"  # the answer that leaves an optional field empty
WAIT = 15 * 60.0  # seconds a form waits for its next answer
PLACEHOLDER_MAX = 64  # ForceReply's input_field_placeholder
OPTIONAL = N_("Optional: reply {empty} to leave it empty.")
ASKED = 1024  # forms waiting at once, at most (the oldest go first)


@dataclass
class Asking:
    form: RenderedForm
    values: dict[str, str] = field(default_factory=dict)
    at: int = 0  # the field asked
    question: int = 0  # the message id of the question asked
    until: float = 0.0


Post = Callable[[int, Outcome, int], Awaitable[None]]  # (chat id, outcome, reply to): the card, as a command's


class Forms:
    def __init__(self, bot: Bot, core: Core) -> None:
        self.bot, self.core = bot, core
        self.asking: dict[tuple[int, int], Asking] = {}  # (chat id, user id) -> the form asked

    async def start(self, chat_id: int, user_id: int, form: RenderedForm, reply_to: int, inv: Invocation) -> None:
        key = (chat_id, user_id)
        self.asking.pop(key, None)
        while len(self.asking) >= ASKED:
            self.asking.pop(next(iter(self.asking)))
        asking = Asking(form, {i.name: i.value for i in form.inputs if i.value})
        self.asking[key] = asking
        await self.ask(chat_id, asking, reply_to, inv, "")

    async def ask(self, chat_id: int, asking: Asking, reply_to: int, inv: Invocation, problem: str) -> None:
        field_asked = asking.form.inputs[asking.at]
        t = self.core.words(inv)
        lines = [f"<b>{html.escape(asking.form.title)}</b> ({asking.at + 1}/{len(asking.form.inputs)})"]
        if problem:
            lines.append(f"⚠ {html.escape(problem)}")
        lines.append(html.escape(field_asked.label))
        if not field_asked.required:
            lines.append(f"<i>{html.escape(t.gettext(OPTIONAL).format(empty=EMPTY))}</i>")
        hint = cut(field_asked.placeholder or field_asked.label, PLACEHOLDER_MAX)
        try:
            sent = await self.bot.send_message(
                chat_id, "\n".join(lines), parse_mode="HTML",
                reply_markup=ForceReply(force_reply=True, selective=True, input_field_placeholder=hint),
                reply_parameters=ReplyParameters(message_id=reply_to, allow_sending_without_reply=True))
        except TelegramAPIError as error:
            log.error("could not ask a form's field in chat %s: %s", chat_id, error)
            return
        asking.question, asking.until = sent.message_id, time.monotonic() + WAIT

    async def answer(self, message: Message, inv: Invocation, post: Post) -> bool:
        """A reply to a question of a form this person is filling in here (True: it was)."""
        asked = message.reply_to_message
        if message.from_user is None or asked is None or message.text is None:
            return False
        key = (message.chat.id, message.from_user.id)
        asking = self.asking.get(key)
        if asking is None or asking.question != asked.message_id:
            return False
        if asking.until < time.monotonic():
            del self.asking[key]
            return False
        current = asking.form.inputs[asking.at]
        typed = "" if message.text.strip() == EMPTY else message.text
        problem = await self.core.check_field(asking.form.id, current.name, typed, inv)
        if problem:
            await self.ask(message.chat.id, asking, message.message_id, inv, problem)
            return True
        asking.values[current.name] = typed
        asking.at += 1
        if asking.at < len(asking.form.inputs):
            await self.ask(message.chat.id, asking, message.message_id, inv, "")
            return True
        outcome = await guarded(log, self.core, self.core.submit(asking.form.id, asking.values, inv),
                                self.core.words(inv))
        log_outcome(log, "form", outcome)
        if outcome.kind == "invalid" and outcome.errors:
            names = [i.name for i in asking.form.inputs]
            wrong = [n for n in names if n in outcome.errors]
            if wrong:
                asking.at = names.index(wrong[0])
                await self.ask(message.chat.id, asking, message.message_id, inv, outcome.errors[wrong[0]])
                return True
        del self.asking[key]
        await post(message.chat.id, outcome, message.message_id)
        return True
