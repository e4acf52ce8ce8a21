"""gmbot.chat.recent: ids seen lately, with a clock the test moves."""

from __future__ import annotations

from gmbot.chat.recent import Recent


def test_a_repeat_is_recognised_until_it_is_forgotten() -> None:
    now = [0.0]
    recent = Recent(ttl=60, size=3, clock=lambda: now[0])
    assert recent.first_time("a") and not recent.first_time("a")
    now[0] = 59.0
    assert not recent.first_time("a")
    now[0] = 60.0  # a minute after it was first seen
    assert recent.first_time("a")


def test_memory_stays_bounded() -> None:
    recent = Recent(ttl=3600, size=3)
    keys = [("message", str(n)) for n in range(10)]
    assert all(recent.first_time(key) for key in keys)
    assert len(recent) == 3
    assert not recent.first_time(keys[-1]) and recent.first_time(keys[0])  # the oldest made room
