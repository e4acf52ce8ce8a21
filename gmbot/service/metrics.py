"""The bot process's Prometheus metrics: commands by outcome, backend latency, event
delivery (lag and failures) and connection attempts. One registry per process, served
on the bot's health port (`/metrics`); the backend has its own on its port."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class BotMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter("gmbot_bot_commands", "Commands handled, by outcome",
                                ["platform", "command", "outcome"], registry=self.registry)
        self.backend_seconds = Histogram("gmbot_bot_backend_request_seconds", "Backend call latency",
                                         ["operation", "status"], registry=self.registry,
                                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30))
        self.events = Counter("gmbot_bot_events", "Events delivered to the platform, by outcome",
                              ["platform", "outcome"], registry=self.registry)
        self.event_lag = Gauge("gmbot_bot_event_lag_seconds", "Delay between an event's creation and its posting",
                               ["platform"], registry=self.registry)
        self.connects = Counter("gmbot_bot_connect_attempts", "Connection attempts to the platform, by outcome",
                                ["platform", "outcome"], registry=self.registry)
        self.connected = Gauge("gmbot_bot_connected", "1 while connected to the platform",
                               ["platform"], registry=self.registry)

    def text(self) -> bytes:
        return generate_latest(self.registry)


def instrument_backend(backend: Any, metrics: BotMetrics) -> None:
    """Time every call of `backend` (a BackendClient), by operation and status ("unavailable"
    when the backend could not be reached): commands and the events feed alike."""

    def timed(operation_id: str, status: str, seconds: float) -> None:
        metrics.backend_seconds.labels(operation_id, status).observe(seconds)

    backend.observers.append(timed)


def count_outcomes(core: Any, platform: str, metrics: BotMetrics) -> None:
    """Count each command's outcome kind (reply, problem, usage, unavailable, help) at the
    neutral core, so every front end reports the same labels."""

    def counted(outcome: Any, entry: str) -> None:
        command = outcome.command or ("button" if entry == "click" else "help" if outcome.kind == "help" else "?")
        metrics.commands.labels(platform, command, outcome.kind).inc()

    core.observers.append(counted)


def event_lag(event: Mapping[str, Any]) -> float | None:
    """Seconds since the event was created (its `createdAt`), or None when it has none."""
    created = event.get("createdAt")
    if not isinstance(created, str):
        return None
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, time.time() - moment.timestamp())
