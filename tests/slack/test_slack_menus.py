"""Context menus at the wire on Slack (spec `menus:` on a command): each `target: message` entry
is a message shortcut of the generated manifest; a signed `message_action` is acknowledged with
an empty 200 and answered through its `response_url`, the command run as the one who picked
it, with the message's author filling the option (checked as a member, as a typed mention is).
Slack has no member's menu: those entries are not in the manifest. Real Bolt, the real backend,
the fake Web API (users.info)."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from generated.chat import load_spec
from gmbot.chat import menus
from gmbot.slack.manifest import SHORTCUT_PREFIX, manifest
from gmbot.spec.model import MenuTarget
from tests.support import ROOT

from .conftest import SlackWire, Stack
from .test_wire import ALICE, BOB, command


async def shortcut(wire: SlackWire, callback_id: str, message: dict[str, Any], *, user: tuple[str, str],
                   team: tuple[str, str] = ("T0WOLF", "wolves"), channel: tuple[str, str] = ("CWARS", "wars"),
                   ) -> tuple[int, str, str]:
    """A message shortcut picked on `message`, as Slack posts it (form-encoded `payload`)."""
    url = wire.fake.response_url()
    payload = {
        "type": "message_action", "callback_id": callback_id, "trigger_id": f"{time.perf_counter_ns()}.trigger",
        "action_ts": f"{time.time():.6f}", "message_ts": message["ts"], "response_url": url,
        "token": "deprecated", "api_app_id": "AGMBOT",
        "user": {"id": user[0], "username": user[1], "name": user[1], "team_id": team[0]},
        "team": {"id": team[0], "domain": team[1]}, "channel": {"id": channel[0], "name": channel[1]},
        "message": {"type": "message", **message},
    }
    reply = await wire.signed(urllib.parse.urlencode({"payload": json.dumps(payload)}))
    return reply.status, reply.text, url


def test_the_manifest_has_a_message_shortcut_per_message_entry() -> None:
    spec = load_spec()
    document = json.loads((ROOT / "generated" / "slack" / "manifest.json").read_text(encoding="utf-8"))
    shortcuts = document["features"]["shortcuts"]
    wanted = list(menus.entries(spec, MenuTarget.MESSAGE))
    assert wanted and len(shortcuts) == len(wanted)  # member entries are left out: Slack has no such menu
    for entry, made in zip(wanted, shortcuts, strict=True):
        assert made == {"name": entry.menu.name, "type": "message", "callback_id": SHORTCUT_PREFIX + entry.key,
                        "description": entry.command.description}
    assert manifest(spec)["features"]["shortcuts"] == shortcuts


async def test_a_message_shortcut_runs_the_command_on_the_messages_author(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    [entry] = menus.entries(stack.runtime.spec, MenuTarget.MESSAGE)
    said = {"user": BOB[0], "text": "gg &amp; see you &lt;3", "ts": "1700000000.000200"}
    status, text, url = await shortcut(stack.wire, SHORTCUT_PREFIX + entry.key, said, user=ALICE)
    assert status == 200 and text == ""  # acknowledged at once, answered through response_url
    answer = await stack.fake.response(url)
    assert "Wolves has no war result yet" in str(answer), answer  # bob's clan: the workspace's
    assert answer["response_type"] == "ephemeral"  # a problem is told to the one who asked
    assert "UBOB" in [c.data["user"] for c in stack.fake.of("users.info")]  # the author checked as a member


async def test_a_message_by_someone_outside_the_workspace_is_refused_to_the_user(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    [entry] = menus.entries(stack.runtime.spec, MenuTarget.MESSAGE)
    said = {"user": "UNOBODY", "text": "hi", "ts": "1700000000.000300"}
    _, _, url = await shortcut(stack.wire, SHORTCUT_PREFIX + entry.key, said, user=ALICE)
    answer = await stack.fake.response(url)
    assert answer["response_type"] == "ephemeral" and "-member" in str(answer), answer
