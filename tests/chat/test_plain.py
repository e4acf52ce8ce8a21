"""Backend problems in plain words: operationIds as commands, validator text as option rules."""

from __future__ import annotations

import pytest

from gmbot.chat.plain import Plain, option_rule
from gmbot.spec.model import BotSpec


def test_operation_ids_become_the_commands_that_call_them(spec: BotSpec) -> None:
    plain = Plain(spec)
    assert plain.words("Server 1 has no clan yet: set one up first (setupClan).") == \
        "Server 1 has no clan yet: set one up first (`gmbot setup`)."
    assert plain.words("createWar needs the role Leader; unknownOp stays") == \
        "`gmbot createwar` needs the role Leader; unknownOp stays"
    body = plain.reword_body({"title": "Forbidden", "detail": "castVote needs the role Leader", "actorId": "castVote"})
    assert body == {"title": "Forbidden", "detail": "`gmbot vote` needs the role Leader", "actorId": "castVote"}


@pytest.mark.parametrize(
    ("command", "detail", "said"),
    [
        ("status", "500 is greater than the maximum of 25 - query parameter 'limit'", "-limit must be at most 25"),
        ("status", "0 is less than the minimum of 1 - query parameter 'limit'", "-limit must be at least 1"),
        ("war", "'ab#1' does not match '^[A-Za-z0-9]+$' - path parameter 'warId'", "-war is not in the expected form"),
        ("createwar", "'x' is not one of ['ft3', 'ko'] - 'format'", "-type must be one of ft3, ko"),
        ("setup", "'aaaaaaaa' is too long - 'name'", "-name is too long"),
        ("createwar", "'x' is not of type 'integer' - 'game'", "-game must be a whole number"),
        ("setup", "'x' is too long - 'actor.name'", None),  # context, not an option
        ("setup", "Request body must not be empty", None),
    ],
)
def test_validation_details_become_option_rules(spec: BotSpec, command: str, detail: str, said: str | None) -> None:
    found = spec.command(command)
    assert found is not None
    assert option_rule(detail, found) == said


def test_developer_problems_are_never_shown(spec: BotSpec) -> None:
    plain, command = Plain(spec), spec.command("games")
    missing = plain.problem(501, {"detail": "write async def list_games(ctx) in backend_impl/games.py"}, command)
    assert missing is not None and missing.description == "`gmbot games` isn't available yet."
    crash = plain.problem(500, {"detail": "Traceback ..."}, command)
    assert crash is not None and "Traceback" not in crash.description
    dump = plain.problem(400, {"detail": "900 is greater than the maximum of 100 - query parameter 'limit'"}, command)
    assert dump is not None and dump.description == "-limit must be at most 100"
    assert plain.problem(404, {"detail": "There is no war x."}, command) is None  # the spec's card shows it
    key = plain.problem(401, {"detail": "client header DISCORD-BFF does not match the key's client"}, command)
    assert key is not None and "set up wrongly" in key.description and "client" not in key.description
