"""Discord's objects as py-cord hands them to commands, for the tests of generated command
callbacks (the wire tests in this folder use the real client against a fake Discord)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock


def member(user_id: int, name: str, guild: Any = None) -> SimpleNamespace:
    return SimpleNamespace(id=user_id, name=name, display_name=name, guild=guild)


class FakeGuild:
    def __init__(self, guild_id: int, name: str, members: list[SimpleNamespace]) -> None:
        self.id, self.name = guild_id, name
        self.members = {m.id: m for m in members}
        for m in members:
            m.guild = self

    def get_member(self, user_id: int) -> Any:
        return self.members.get(user_id)

    async def fetch_member(self, user_id: int) -> Any:
        import discord

        if user_id in self.members:
            return self.members[user_id]
        response: Any = SimpleNamespace(status=404, reason="Not Found")
        raise discord.NotFound(response, "Unknown Member")


def slash_ctx(guild: FakeGuild, author: Any, interaction_id: int = 555) -> SimpleNamespace:
    return SimpleNamespace(
        guild=guild, channel=SimpleNamespace(id=77, name="wars"), author=author,
        interaction=SimpleNamespace(id=interaction_id),
        respond=AsyncMock(), defer=AsyncMock(), followup=SimpleNamespace(send=AsyncMock()),
    )


def prefix_ctx(guild: FakeGuild, author: Any, mentions: list[Any] | None = None, message_id: int = 999) -> SimpleNamespace:
    return SimpleNamespace(
        guild=guild, channel=SimpleNamespace(id=77, name="wars"), author=author,
        message=SimpleNamespace(id=message_id, mentions=mentions or []), send=AsyncMock(),
    )


def sent_embeds(mock: AsyncMock) -> list[dict[str, Any]]:
    """The embeds of the last call of a respond/send mock, as dicts."""
    return [e.to_dict() for e in mock.call_args.kwargs["embeds"]]
