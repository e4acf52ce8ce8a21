"""Discord's shard rule: which process delivers a guild's events, and from where.

A guild belongs to shard `(guild_id >> 22) % shard_count`; a process running `shard_ids`
delivers the events of those shards' guilds only, as the feed's partition named after
them (`shards-0_1-of-4`: shards 0 to 1 of 4; `all` for a process running every shard).

Re-sharding (2 -> 4 shards) renames the partitions, so a new one reads what the old ones
left (`lineage`, the `Lineage` of gmbot/chat/events.py): it starts from the lowest cursor
of the old partitions that held any of its guilds, drops an event when an old partition
that held its guild had gone past it, and stands by while such an old partition is still
held (the old shard set has not stopped). Two shard sets hold a guild in common when
their shard ids agree modulo the greatest common divisor of their counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gmbot.chat.events import Inheritance

ALL = "all"
_NAME = re.compile(r"shards-(\d+(?:_\d+)?(?:\.\d+(?:_\d+)?)*)-of-(\d+)")
NAME_LIMIT = 64  # the backend's longest partition name


def _guild_shard_key(server_id: Any) -> int | None:
    try:
        return int(str(server_id)) >> 22
    except ValueError:
        return None


@dataclass(frozen=True)
class ShardFilter:
    shard_count: int = 1
    shard_ids: Sequence[int] | None = None  # None: every shard

    @property
    def every_shard(self) -> bool:
        return self.shard_count <= 1 or self.shard_ids is None or set(range(self.shard_count)) <= set(self.shard_ids)

    def accepts(self, server_id: Any) -> bool:
        if self.every_shard:
            return True
        key = _guild_shard_key(server_id)
        return key is not None and key % self.shard_count in set(self.shard_ids or ())

    def overlaps(self, other: ShardFilter) -> bool:
        """Some guild belongs to both shard sets."""
        if self.every_shard or other.every_shard:
            return True
        step = math.gcd(self.shard_count, other.shard_count)
        return bool({i % step for i in self.shard_ids or ()} & {i % step for i in other.shard_ids or ()})

    @property
    def partition(self) -> str:
        """The feed's partition this shard set delivers; ValueError when the name would be too long."""
        if self.every_shard:
            return ALL
        runs: list[list[int]] = []
        for shard in sorted(set(self.shard_ids or ())):
            if runs and runs[-1][-1] == shard - 1:
                runs[-1][1:] = [shard]
            else:
                runs.append([shard])
        name = f"shards-{'.'.join('_'.join(map(str, run)) for run in runs)}-of-{self.shard_count}"
        if len(name) > NAME_LIMIT:
            raise ValueError(f"shards {list(self.shard_ids or ())} make a partition name over {NAME_LIMIT} "
                             "characters: give each process fewer separate ranges of --shard-ids")
        return name

    @classmethod
    def from_partition(cls, name: str) -> ShardFilter | None:
        """The shard set a partition name stands for; None for another kind of name."""
        if name == ALL:
            return cls()
        match = _NAME.fullmatch(name)
        if match is None:
            return None
        ids: list[int] = []
        for run in match.group(1).split("."):
            first, _, last = run.partition("_")
            ids.extend(range(int(first), int(last or first) + 1))
        return cls(int(match.group(2)), tuple(ids))

    def lineage(self, partition: str, partitions: Sequence[Mapping[str, Any]]) -> Inheritance | None:
        """What the partitions of other shard sets left this one (see the module's docstring)."""
        earlier: list[tuple[ShardFilter, int]] = []
        busy: list[str] = []
        for state in partitions:
            name = str(state.get("partition"))
            shards = ShardFilter.from_partition(name)
            if name == partition or shards is None or not shards.overlaps(self):
                continue
            earlier.append((shards, int(state.get("cursor") or 0)))
            if state.get("held"):
                busy.append(name)
        if not earlier:
            return None

        def delivered(server_id: Any, event_id: int) -> bool:
            return any(event_id <= cursor and shards.accepts(server_id) for shards, cursor in earlier)

        return Inheritance(min(cursor for _, cursor in earlier), delivered, tuple(busy))
