"""The `gmbot` console script: one subcommand per job, each in its own module.

Subcommand modules are imported only when run, so `gmbot generate` never pays
for py-cord or SQLAlchemy and `gmbot --help` is instant.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

# name -> (module, function, one-line help); each function takes argv and returns an exit code.
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "generate": ("generator.cli", "main", "generate generated/ from specs/commands.yaml and openapi.yaml"),
    "serve": ("gmbot.serve", "main", "migrate the database, then serve the backend (SQLite by default)"),
    "run": ("gmbot.run", "main", "serve the backend, and the bots beside it whose credentials are set"),
    "keys": ("gmbot.keys", "main", "manage API keys: gmbot keys create --client DISCORD-BFF"),
    "bot": ("gmbot.discord.cli", "bot_main", "run the generated Discord bot (needs DISCORD_TOKEN)"),
    "sync-commands": ("gmbot.discord.cli", "sync_main", "register the Discord commands (generated/discord/commands.json)"),
    "slack": ("gmbot.slack.cli", "slack_main", "run the Slack front end (needs SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)"),
    "chat": ("gmbot.playground.cli", "chat_main", "offline playground: type bot commands, read the cards"),
    "preview": ("gmbot.preview.cli", "main", "a local web page showing every card as each platform renders it"),
}


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = ["usage: gmbot <command> [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, _, help_) in SUBCOMMANDS.items()]
    lines += ["", "Run 'gmbot <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"gmbot: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, function_name, _ = SUBCOMMANDS[name]
    function: Callable[[list[str]], int] = getattr(importlib.import_module(module_name), function_name)
    try:
        return function(rest)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
