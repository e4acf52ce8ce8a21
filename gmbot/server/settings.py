"""The server runtime's limits and switches, from the environment (`gmbot serve` sets them).

Read when an app is built, so each worker process of `gmbot serve --workers N` gets them.
"""

from __future__ import annotations

import os

MIB = 1024 * 1024


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {raw!r}")
    return value


def max_body_bytes() -> int:
    """Largest request body accepted (GMBOT_MAX_BODY_BYTES, default 1 MiB); larger is 413."""
    return int(_number("GMBOT_MAX_BODY_BYTES", MIB))


def body_timeout() -> float:
    """Seconds a client has to send a whole request body (GMBOT_BODY_TIMEOUT, default 30); then 408."""
    return _number("GMBOT_BODY_TIMEOUT", 30.0)


def metrics_enabled() -> bool:
    """Serve /metrics and count requests (GMBOT_METRICS, default on; 0 turns it off)."""
    return os.environ.get("GMBOT_METRICS", "1").strip().lower() not in ("0", "false", "no", "off")


def max_header_bytes() -> int:
    """Largest request head (request line and headers) accepted (GMBOT_MAX_HEADER_BYTES,
    default 64 KiB); larger is 431 and the connection is closed."""
    return int(_number("GMBOT_MAX_HEADER_BYTES", 64 * 1024))


def header_timeout() -> float:
    """Seconds a connection has to send a complete request head, from its opening or the
    previous response (GMBOT_HEADER_TIMEOUT, default 10); then it is closed."""
    return _number("GMBOT_HEADER_TIMEOUT", 10.0)
