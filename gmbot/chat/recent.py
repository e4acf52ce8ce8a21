"""What a front end saw lately: a platform that delivers one message or click twice (a
gateway replaying after a resume, a retried webhook) is answered once.

Keys are kept `ttl` seconds and at most `size` of them, so memory stays flat however busy
the bot is; a duplicate arriving later than that is left to the platform's own guard (a
nonce) and the backend's Idempotency-Key.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

DEFAULT_TTL = 600.0  # seconds: longer than a gateway session can be resumed after a drop
DEFAULT_SIZE = 10_000


class Recent:
    def __init__(self, ttl: float = DEFAULT_TTL, size: int = DEFAULT_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()  # key -> when, oldest first

    def first_time(self, key: Hashable) -> bool:
        """True the first time `key` is offered within `ttl`, False for a repeat."""
        now = self.clock()
        while self._seen and next(iter(self._seen.values())) <= now - self.ttl:
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        if len(self._seen) >= self.size:
            self._seen.popitem(last=False)
        self._seen[key] = now
        return True

    def __len__(self) -> int:
        return len(self._seen)
