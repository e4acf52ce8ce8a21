"""Checks of `menus:` on a command (gmbot/chat/menus.py, docs/spec.md "Context menus").

Each entry fills options of its command from what was clicked: the parts it names must be
parts of its kind of target, fill options the command has, of a type the part can give, and
every required option must be filled (a menu asks for nothing else). Names are checked against
each platform that shows that kind of entry (`MenuLimits` of its target): their length, how
many of a kind, and one name per kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from generator.errors import Path
from generator.targets import Limit, Target, targets
from gmbot.chat.menus import DEFAULT_OPTIONS, PART_TYPES, PARTS
from gmbot.spec.model import MenuTarget

Problem = tuple[Path, str]


def _strictest(kind: str, part: str, found: Iterable[Target]) -> Limit | None:
    bounded = [t for t in found if kind in t.menu_limits.kinds and getattr(t.menu_limits, part) is not None]
    if not bounded:
        return None
    target = min(bounded, key=lambda t: getattr(t.menu_limits, part))
    return Limit(getattr(target.menu_limits, part), target.title)


def strictest_name(kind: str) -> Limit | None:
    """The most characters an entry's name of this kind may have, and on which platform."""
    return _strictest(kind, "name", targets())


def menu_problems(data: dict[str, Any]) -> Iterator[Problem]:
    commands: dict[str, Any] = data.get("commands") or {}
    seen: dict[tuple[str, str], str] = {}  # (kind, name) -> the command offering it
    counts: dict[str, list[Path]] = {}
    platforms = targets()
    for name, command in commands.items():
        if not isinstance(command, dict):
            continue
        for index, menu in enumerate(command.get("menus") or []):
            if not isinstance(menu, dict):
                continue
            path: Path = ("commands", name, "menus", index)
            kind = str(menu.get("target"))
            yield from _fills(name, command, menu, kind, path)
            label = str(menu.get("name", ""))
            counts.setdefault(kind, []).append(path)
            if (kind, label) in seen:
                yield (*path, "name"), f"'{label}' is already the name of a {kind} menu entry (of command " \
                                       f"'{seen[kind, label]}'): a platform shows one entry per name"
            seen.setdefault((kind, label), name)
            most = _strictest(kind, "name", platforms)
            if most is not None and len(label) > most.value:
                yield (*path, "name"), f"'{label}' is {len(label)} characters, {most.platform} allows " \
                                       f"{most.value} in a {kind} menu"
    for kind, paths in counts.items():
        most = _strictest(kind, "per_kind", platforms)
        if most is not None and len(paths) > most.value:
            yield paths[most.value], f"{len(paths)} {kind} menu entries: {most.platform} allows at most {most.value}"


def _fills(name: str, command: dict[str, Any], menu: dict[str, Any], kind: str, path: Path) -> Iterator[Problem]:
    options: dict[str, Any] = command.get("options") or {}
    try:
        on = MenuTarget(kind)
    except ValueError:
        return  # the JSON Schema said so
    given = menu.get("options")
    if not given and on not in DEFAULT_OPTIONS:
        yield path, f"a {kind} menu entry names what the {kind} fills: options: {{{': ..., '.join(PARTS[on])}: ...}}"
        return
    fills = dict(given or DEFAULT_OPTIONS[on])
    where = (*path, "options") if given else path
    used: dict[str, str] = {}
    for part, option_name in fills.items():
        at = (*where, part) if given else where
        if part not in PARTS[on]:
            yield at, f"'{part}' is not a part of a {kind}: a {kind} menu entry fills {', '.join(PARTS[on])}"
            continue
        option = options.get(option_name)
        if not isinstance(option, dict):
            known = ", ".join(options) or "none"
            default = " (the default: name it with options: {member: <a user option>})" if not given else ""
            yield at, f"the {part} fills option '{option_name}'{default}, which command '{name}' has not " \
                      f"(its options: {known})"
            continue
        types = PART_TYPES[part]
        if str(option.get("type")) not in {t.value for t in types}:
            yield at, f"option '{option_name}' is of type {option.get('type')}: the {part} fills a " \
                      f"{' or '.join(t.value for t in types)} option"
        if option_name in used:
            yield at, f"option '{option_name}' is already filled by the {used[option_name]}"
        used.setdefault(option_name, part)
    for option_name, option in options.items():
        if isinstance(option, dict) and option.get("required") and option_name not in fills.values():
            yield path, f"required option '{option_name}' cannot be given from a menu: fill it from the {kind} " \
                        f"or make it optional"
