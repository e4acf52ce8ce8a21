"""`gmbot sync-commands`: register generated/discord/commands.json with Discord.

One bulk overwrite (PUT) per run: Discord allows 200 command creates a day per
guild, so never one call per command. `--dry-run` reads what is registered and
prints what the overwrite would add, change and remove, writing nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from gmbot.discord.api import DEFAULT_API_BASE_URL as API


class SyncError(Exception):
    pass


def load_commands(path: Path) -> list[dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    commands = document.get("commands") if isinstance(document, dict) else document
    if not isinstance(commands, list):
        raise SyncError(f"{path}: expected a list of commands (or {{'commands': [...]}})")
    return commands


# Lists Discord treats as sets: where a command may be used and installed, which channel
# types an option accepts. py-cord even keeps `contexts` in a set, so their order changes
# with the hash seed. Every other list is ordered: options and choices show in that order.
UNORDERED = frozenset({"contexts", "integration_types", "channel_types"})


def _subset(local: Any, remote: Any, field: str = "") -> bool:
    """Does `remote` say everything `local` says? (Discord adds ids and versions, and leaves
    out defaults: an empty list, false or an empty string may be missing remotely.)"""
    if remote is None and local in ([], {}, False, ""):
        return True
    if isinstance(local, dict):
        return isinstance(remote, dict) and all(
            _subset(value, remote.get(key), key) for key, value in local.items() if value is not None
        )
    if isinstance(local, list):
        if not isinstance(remote, list) or len(local) != len(remote):
            return False
        if field in UNORDERED:
            return sorted(map(repr, local)) == sorted(map(repr, remote))
        return all(_subset(a, b) for a, b in zip(local, remote, strict=True))
    return bool(local == remote)


def _permissions(command: dict[str, Any]) -> str | None:
    """Who sees the command: its default_member_permissions (absent or null: every member).
    Compared on its own, since a spec that drops `permissions:` leaves the field out."""
    value = command.get("default_member_permissions")
    return None if value is None else str(value)


# a context-menu entry (type 2 or 3) may share its name with one of the other type
KINDS = {2: "user command", 3: "message command"}


def _label(key: tuple[int, str]) -> str:
    return f"{key[1]} [{KINDS[key[0]]}]" if key[0] in KINDS else key[1]


def diff(local: list[dict[str, Any]], remote: list[dict[str, Any]]) -> list[str]:
    def key(command: dict[str, Any]) -> tuple[int, str]:
        return int(command.get("type", 1)), str(command.get("name"))

    remote_by = {key(c): c for c in remote}
    local_by = {key(c): c for c in local}
    lines = []
    for k, command in local_by.items():
        if k not in remote_by:
            lines.append(f"+ {_label(k)} (new)")
        elif not _subset(command, remote_by[k]) or _permissions(command) != _permissions(remote_by[k]):
            changed = sorted(f for f, v in command.items() if v is not None and not _subset(v, remote_by[k].get(f), f))
            if _permissions(command) != _permissions(remote_by[k]):
                changed = sorted({*changed, "default_member_permissions"})
            lines.append(f"~ {_label(k)} (changed: {', '.join(changed)})")
    lines += [f"- {_label(k)} (removed)" for k in remote_by if k not in local_by]
    return lines


async def sync_commands(
    token: str,
    *,
    commands: list[dict[str, Any]],
    guild: str | None = None,
    application_id: str | None = None,
    dry_run: bool = False,
    base_url: str = API,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[str]:
    """Returns the report lines; raises SyncError when Discord refuses."""
    headers = {"Authorization": f"Bot {token}", "User-Agent": "DiscordBot (gmbot, 0.1)"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=15, transport=transport) as http:
        if not application_id:
            me = await http.get("/oauth2/applications/@me")
            _check(me, "reading the application id")
            application_id = str(me.json()["id"])
        path = f"/applications/{application_id}" + (f"/guilds/{guild}" if guild else "") + "/commands"
        where = f"guild {guild}" if guild else "global"
        current = await http.get(path)
        _check(current, f"reading the {where} commands")
        changes = diff(commands, current.json())
        if dry_run:
            return [f"dry run ({where}): {len(changes)} change(s)", *changes]
        if not changes:
            return [f"{where}: {len(commands)} commands already up to date"]
        result = await http.put(path, json=commands)
        _check(result, f"overwriting the {where} commands")
        return [f"{where}: registered {len(result.json())} commands with one bulk overwrite", *changes]


def _check(response: httpx.Response, doing: str) -> None:
    if response.is_success:
        return
    try:
        detail: Any = response.json()
    except ValueError:
        detail = response.text[:300]
    if response.status_code == 429:
        wait = retry_after(response, detail)
        raise SyncError(f"rate limited while {doing}: "
                        + (f"retry after {wait:g} s" if wait is not None else "Discord gave no time; retry in a minute"))
    raise SyncError(f"Discord answered {response.status_code} while {doing}: {json.dumps(detail)[:500]}")


def retry_after(response: httpx.Response, body: Any) -> float | None:
    """Seconds to wait after a 429: Discord's JSON `retry_after` (to the millisecond), else
    the `Retry-After` header (whole seconds); None when neither is there (Cloudflare's 429
    is plain text without the header)."""
    candidates = [body.get("retry_after") if isinstance(body, dict) else None, response.headers.get("retry-after")]
    for value in candidates:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds >= 0 and seconds != float("inf"):
            return seconds
    return None
