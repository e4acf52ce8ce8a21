"""What makes a chat front end a long-running service, whatever the platform.

`backoff.py` (capped exponential backoff with jitter), `supervise.py` (keep
connecting until the platform answers; stop at once on a fatal configuration
error), `health.py` (each front end's state, and the small `/health` + `/metrics`
HTTP server of a bot process), `metrics.py` (Prometheus counters of commands,
backend calls and event delivery) and `shutdown.py` (SIGTERM / Ctrl-C: stop taking
commands, finish those in flight, then close). Discord uses them from
`gmbot/discord/lifecycle.py`; the Slack front end uses the same pieces.
"""
