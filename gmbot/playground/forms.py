"""Forms in the playground: asked field by field, or filled at once with `fill`.

When a command or a click answers with a form, the playground prints it and asks its first
field; each next line (not a command) answers the field asked, checked as the bot checks it,
until the last, then the form is sent. `fill name=value name="two words" ...` sends it at
once (as `click` presses a button); `cancel` closes it. A refused form names each wrong field
and asks the first of them again.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gmbot.chat.core import Core
from gmbot.chat.options import MentionResolver
from gmbot.chat.vocabulary import Invocation, Outcome, RenderedForm, RenderedInput

EMPTY = "-"  # the answer that leaves an optional field empty


@dataclass
class Open:
    form: RenderedForm
    values: dict[str, str] = field(default_factory=dict)
    at: int = 0  # the field asked

    @property
    def asked(self) -> RenderedInput | None:
        return self.form.inputs[self.at] if self.at < len(self.form.inputs) else None


def describe(form: RenderedForm) -> str:
    lines = [f"[form] {form.title}   ({form.submit})"]
    for one in form.inputs:
        notes = ["required" if one.required else "optional"] + (["paragraph"] if one.long else [])
        filled = f" = {one.value}" if one.value else ""
        lines.append(f"  {one.name}: {one.label} ({', '.join(notes)}){filled}")
    lines.append("fill name=value ... sends it; or answer each field (`-` leaves it empty, `cancel` closes it)")
    return "\n".join(lines)


def question(one: RenderedInput) -> str:
    return f"? {one.label}" + ("" if one.required else f" (optional: {EMPTY} for none)")


def parse_fill(text: str) -> dict[str, str] | None:
    """`reason="two words" link=https://x` -> values, or None when it is not name=value pairs."""
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    pairs = [w.partition("=") for w in words]
    if not pairs or any(not sep or not name for name, sep, _ in pairs):
        return None
    return {name: value for name, _, value in pairs}


class Forms:
    """The open form of each (server, user)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.open: dict[tuple[str, str], Open] = {}

    def show(self, key: tuple[str, str], form: RenderedForm) -> None:
        opened = Open(form, {i.name: i.value for i in form.inputs if i.value})
        self.open[key] = opened
        self.say(_indent(describe(form)))
        self.ask(opened)

    def ask(self, opened: Open) -> None:
        if opened.asked is not None:
            self.say(_indent(question(opened.asked)))

    async def answer(self, key: tuple[str, str], text: str, core: Core, inv: Invocation,
                     resolve: MentionResolver, shown: Callable[[Outcome], Awaitable[None]]) -> bool:
        """A line while a form is open here (True: it was the form's)."""
        opened = self.open.get(key)
        if opened is None:
            return False
        word, _, rest = text.partition(" ")
        if word.lower() == "cancel" and not rest:
            del self.open[key]
            self.say("  (form closed)")
            return True
        if word.lower() == "fill":
            values = parse_fill(rest)
            if values is None:
                self.say("  !! fill name=value name=\"two words\" ...")
                return True
            opened.values.update(values)
            await self.send(key, opened, core, inv, resolve, shown)
            return True
        asked = opened.asked
        if asked is None:
            return False
        typed = "" if text == EMPTY else text
        problem = await core.check_field(opened.form.id, asked.name, typed, inv, resolve)
        if problem:
            self.say(f"  !! {asked.label}: {problem}")
            self.ask(opened)
            return True
        opened.values[asked.name] = typed
        opened.at += 1
        if opened.asked is not None:
            self.ask(opened)
        else:
            await self.send(key, opened, core, inv, resolve, shown)
        return True

    async def send(self, key: tuple[str, str], opened: Open, core: Core, inv: Invocation,
                   resolve: MentionResolver, shown: Callable[[Outcome], Awaitable[None]]) -> None:
        outcome = await core.submit(opened.form.id, opened.values, inv, resolve)
        if outcome.kind != "invalid":
            del self.open[key]
            await shown(outcome)
            return
        for name, why in outcome.errors.items():
            label = next((i.label for i in opened.form.inputs if i.name == name), name)
            self.say(f"  !! {label}: {why}")
        names = [i.name for i in opened.form.inputs]
        opened.at = min(names.index(n) for n in outcome.errors if n in names) if outcome.errors else 0
        self.ask(opened)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
