"""Slack's context menus (gmbot/chat/menus.py): a `target: message` entry is a message shortcut
(generated/slack/manifest.json, callback id `gm-menu:<entry>`); picking it on a message runs the
entry's command with the message's author, text and link. Slack has no member's menu: those
entries are not offered here (docs/spec.md, "Context menus").

A shortcut is acknowledged at once, then answered through the payload's `response_url`, as the
slash command is (ephemeral for usage and problems).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gmbot.chat import menus
from gmbot.chat.guard import guarded, log_outcome
from gmbot.chat.vocabulary import Invocation
from gmbot.service.shutdown import RESTARTING, admitted
from gmbot.slack import PLATFORM
from gmbot.slack.manifest import SHORTCUT_PREFIX
from gmbot.slack.text import command_text

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from gmbot.slack.runtime import SlackRuntime

log = logging.getLogger("gmbot.slack")

SHORTCUT = re.compile("^" + re.escape(SHORTCUT_PREFIX))


def ours(body: Mapping[str, Any]) -> bool:
    """A message shortcut of ours (acknowledged by the entry before Bolt authorizes it)."""
    return body.get("type") == "message_action" and bool(SHORTCUT.match(str(body.get("callback_id", ""))))


def permalink(domain: Any, channel: Any, ts: Any) -> str | None:
    """Slack's address of a message: `https://<domain>.slack.com/archives/<channel>/p<ts without the dot>`."""
    if not (domain and channel and ts):
        return None
    return f"https://{domain}.slack.com/archives/{channel}/p{str(ts).replace('.', '')}"


class SlackMenus:
    def __init__(self, runtime: SlackRuntime) -> None:
        self.runtime = runtime

    def install(self, app: AsyncApp) -> None:
        async def ack(ack: Any) -> None:
            await ack()

        app.shortcut(SHORTCUT)(ack=ack, lazy=[self.on_shortcut])

    async def on_shortcut(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        runtime = self.runtime
        await admitted(runtime.gate, lambda: self._shortcut(body, client),
                       lambda: runtime.tell(str(body.get("response_url", "")), RESTARTING,
                                            runtime.reader((body.get("team") or {}).get("id"),
                                                           (body.get("user") or {}).get("id"))))

    async def _shortcut(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        runtime, core = self.runtime, self.runtime.core
        key = str(body.get("callback_id", ""))[len(SHORTCUT_PREFIX):]
        entry = menus.by_key(runtime.spec, key)
        user, team, channel = body.get("user") or {}, body.get("team") or {}, body.get("channel") or {}
        message = body.get("message") or {}
        team_id, user_id = str(team.get("id") or user.get("team_id") or ""), str(user.get("id", ""))
        inv = Invocation(
            PLATFORM, author=runtime._named(user_id, user.get("username"), user.get("name")),
            server=runtime._team(team_id, team.get("domain")),
            channel=runtime._channel(channel.get("id"), channel.get("name")),
            id=str(body.get("trigger_id") or body.get("action_ts", "")),
            zone=runtime.people.zone(client, team_id, user_id),
            locale=await runtime.people.locale(client, team_id, user_id),
        )
        if entry is None:  # a shortcut of an older manifest: the command it ran is gone
            name = key.rpartition(":")[0]
            work = core.run(name, {}, inv)
        else:
            name = entry.command.name
            author = str(message.get("user") or "")
            mention = f"<@{author}>" if author else None
            parts = {"author": mention, "text": command_text(str(message.get("text") or "")).text or None,
                     "link": permalink(team.get("domain"), channel.get("id"), message.get("ts"))}
            # the author is checked as a typed mention: a member of the workspace, not a bot
            resolve = runtime.people.resolver(client, team_id, {mention} if mention else set())
            work = core.run(name, menus.raw_options(entry.menu, parts), inv, resolve)
        outcome = await guarded(log, core, work, core.words(inv))
        log_outcome(log, name, outcome)
        await runtime._respond(str(body.get("response_url", "")), outcome, f"the shortcut {key}", client)
