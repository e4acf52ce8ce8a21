"""The problems business code raises, each carrying the data a client needs to act on it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gmbot.server.types import Problem


def not_found(what: str, detail: str, **extra: Any) -> Problem:
    return Problem(404, f"{what} not found", detail, **extra)


def clan_not_found(server_id: str) -> Problem:
    return not_found(
        "Clan",
        f"Server {server_id} has no clan yet: set one up first (setupClan).",
        serverId=server_id,
    )


def war_not_found(war_id: str) -> Problem:
    return not_found("War", f"There is no war {war_id}.", warId=war_id)


def forbidden(
    operation: str, needed: Iterable[str], actor_id: str, actor_role: str, why: str = ""
) -> Problem:
    roles = list(needed)
    detail = f"{operation} needs the role {' or '.join(roles)}; you are {actor_role}."
    if why:
        detail = f"{detail} {why}"
    return Problem(
        403, "Forbidden", detail, requiredRoles=roles, actorRole=actor_role, actorId=actor_id
    )


def not_your_war(operation: str, war_id: str, actor_id: str, actor_role: str, rule: str) -> Problem:
    """403 for a clan acting on a war it has no part in: the role is not the reason (a Leader
    of another clan has every role it needs), so none is named as needed."""
    return Problem(
        403, "Forbidden", f"{operation}: {rule}", warId=war_id, actorRole=actor_role, actorId=actor_id
    )


def conflict(detail: str, **extra: Any) -> Problem:
    return Problem(409, "Conflict", detail, **extra)


def unprocessable(detail: str, **extra: Any) -> Problem:
    return Problem(422, "Unprocessable Content", detail, **extra)
