"""Discord's shard rule: which process delivers a guild's events.

A guild belongs to shard `(guild_id >> 22) % shard_count`; a process running
`shard_ids` delivers the events of those shards' guilds only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ShardFilter:
    shard_count: int = 1
    shard_ids: Sequence[int] | None = None  # None: every shard

    def accepts(self, server_id: Any) -> bool:
        if self.shard_count <= 1 or self.shard_ids is None:
            return True
        try:
            guild_id = int(str(server_id))
        except ValueError:
            return False
        return (guild_id >> 22) % self.shard_count in self.shard_ids
