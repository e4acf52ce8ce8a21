"""The `gmbot` console script: one subcommand per job, each in its own module.

Subcommand modules are imported only when run, so `gmbot generate` never pays
for py-cord or SQLAlchemy and `gmbot --help` is instant. Each registered platform
(gmbot/platforms.py) adds its own subcommands.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from gmbot.platforms import PlatformError, Subcommand, load, platforms

# The library's own commands; each function takes argv and returns an exit code.
CORE: tuple[Subcommand, ...] = (
    Subcommand("generate", "generator.cli:main", "generate generated/ from specs/commands.yaml and openapi.yaml"),
    Subcommand("serve", "gmbot.serve:main", "migrate the database, then serve the backend (SQLite by default)"),
    Subcommand("run", "gmbot.run:main", "serve the backend, and the bots beside it whose credentials are set"),
    Subcommand("keys", "gmbot.keys:main", "manage API keys: gmbot keys create --client <CLIENT> --platform <name>"),
    Subcommand("chat", "gmbot.playground.cli:chat_main", "offline playground: type bot commands, read the cards"),
    Subcommand("i18n", "generator.i18n_cli:main",
               "translations: extract the catalog template, update each locale's catalog, check them"),
    Subcommand("preview", "gmbot.preview.cli:main", "a local web page showing every card as each platform renders it"),
)


def subcommands() -> dict[str, Subcommand]:
    """The library's commands, then each platform's (a platform cannot take a core name)."""
    found = {c.name: c for c in CORE}
    for platform in platforms():
        for command in platform.subcommands:
            if command.name in found:
                raise PlatformError(f"the {platform.title} platform's command {command.name!r} is already taken")
            found[command.name] = command
    return found


def _usage(commands: dict[str, Subcommand]) -> str:
    width = max(len(name) for name in commands)
    lines = ["usage: gmbot <command> [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {c.help}" for name, c in commands.items()]
    lines += ["", "Run 'gmbot <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        commands = subcommands()
    except PlatformError as error:
        print(f"gmbot: {error}", file=sys.stderr)
        return 1
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage(commands))
        return 0
    name, rest = args[0], args[1:]
    if name not in commands:
        print(f"gmbot: unknown command {name!r}\n\n{_usage(commands)}", file=sys.stderr)
        return 2
    function: Callable[[list[str]], int] = load(commands[name].target, f"gmbot {name}")
    try:
        return function(rest)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
