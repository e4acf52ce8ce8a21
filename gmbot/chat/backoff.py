"""Capped exponential backoff with jitter: reconnecting to a chat platform (gmbot/service),
posting an event again (gmbot/chat/events.py), answering through Slack's response_url.

It lives in the chat core so that the events consumer can use it without depending on the
service layer; the service layer imports it from here.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace

INITIAL_ENV = "GMBOT_RETRY_INITIAL"  # seconds before the second attempt (tests set it small)
MAX_ENV = "GMBOT_RETRY_MAX"  # the cap on any one wait


@dataclass
class Backoff:
    initial: float = 1.0
    cap: float = 60.0
    factor: float = 2.0
    jitter: float = 0.5  # a wait is drawn between (1 - jitter) and 1 times the step
    attempt: int = 0  # failures since the last success

    @classmethod
    def from_env(cls) -> Backoff:
        return cls(initial=float(os.environ.get(INITIAL_ENV, "1")), cap=float(os.environ.get(MAX_ENV, "60")))

    def next_delay(self) -> float:
        """The wait before the next attempt. Jitter spreads many clients failing together
        (one host, one outage, one rate limit) so they do not all retry in the same second;
        the floor keeps the wait meaningful."""
        step = min(self.cap, self.initial * self.factor ** self.attempt)
        self.attempt += 1
        return random.uniform(step * (1 - self.jitter), step)

    def reset(self) -> None:
        self.attempt = 0

    def fresh(self) -> Backoff:
        """The same settings, from the first attempt: one per thing retried."""
        return replace(self, attempt=0)
