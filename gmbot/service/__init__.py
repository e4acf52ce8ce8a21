"""What makes a chat front end a long-running service, whatever the platform.

`frontend.py` (`FrontEndService`: the one life of a front-end process; each platform
supplies small hooks), `supervise.py` (keep connecting until the platform answers; stop at
once on a fatal configuration error), `delivery.py` (event posts as work in flight, and a
failed post as a `DeliveryError`), `cli.py` (the flags and the events consumer of every
front end's command), `health.py` (each front end's state, and the small `/health` +
`/metrics` HTTP server of a bot process), `metrics.py` (Prometheus counters of commands,
backend calls and event delivery) and `shutdown.py` (SIGTERM / Ctrl-C: stop taking
commands, finish those in flight, then close). The backoff is `gmbot/chat/backoff.py`,
shared with the events consumer.
"""
