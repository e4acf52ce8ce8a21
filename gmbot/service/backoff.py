"""Capped exponential backoff with full jitter, for reconnecting to a chat platform."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

INITIAL_ENV = "GMBOT_RETRY_INITIAL"  # seconds before the second attempt (tests set it small)
MAX_ENV = "GMBOT_RETRY_MAX"  # the cap on any one wait


@dataclass
class Backoff:
    initial: float = 1.0
    cap: float = 60.0
    factor: float = 2.0
    attempt: int = 0  # failures since the last success

    @classmethod
    def from_env(cls) -> Backoff:
        return cls(initial=float(os.environ.get(INITIAL_ENV, "1")), cap=float(os.environ.get(MAX_ENV, "60")))

    def next_delay(self) -> float:
        """The wait before the next attempt. Jitter spreads many bots restarting together
        (one host, one outage) so they do not all hit the platform in the same second;
        the floor of half the step keeps the wait meaningful."""
        step = min(self.cap, self.initial * self.factor ** self.attempt)
        self.attempt += 1
        return random.uniform(step / 2, step)

    def reset(self) -> None:
        self.attempt = 0
