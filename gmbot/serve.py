"""`gmbot serve`: migrate the database, then serve the backend with uvicorn.

SQLite (./gmbot.sqlite3) by default; PostgreSQL with DATABASE_URL or --database-url.
Swagger UI at /ui, the OpenAPI document at /openapi.json, health at /health.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from gmbot.application import ApplicationError, load_application


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gmbot serve", description=__doc__.splitlines()[0])
    p.add_argument("--host", default=os.environ.get("GMBOT_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GMBOT_PORT", "8080")))
    p.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (default: $DATABASE_URL, else sqlite+aiosqlite:///./gmbot.sqlite3)",
    )
    p.add_argument("--app", default=None, help="the application (module:attribute); default: $GMBOT_APP")
    p.add_argument("--asgi-app", default=None, help="serve this ASGI app (module:attribute) instead of the application's server")
    p.add_argument("--log-level", default="info")
    p.add_argument("--no-access-log", action="store_true", help="do not log each request")
    p.add_argument(
        "--workers", type=int, default=int(os.environ.get("GMBOT_WORKERS", "1")),
        help="worker processes sharing the port (default 1; see docs/deployment.md)",
    )  # fmt: skip
    p.add_argument("--max-body-bytes", type=int, default=None,
                   help="largest request body, else 413 (default $GMBOT_MAX_BODY_BYTES or 1 MiB)")  # fmt: skip
    p.add_argument("--no-metrics", action="store_true", help="do not serve /metrics")
    return p


def _limits(args: argparse.Namespace) -> dict[str, object]:
    """uvicorn's settings bounding what one client can hold (docs/deployment.md): request
    heads (size, and time to send one) by gmbot's protocol, idle keep-alive connections."""
    from gmbot.server.http_protocol import BoundedHttpProtocol

    # Through the environment, which worker processes inherit, like DATABASE_URL.
    if args.max_body_bytes:
        os.environ["GMBOT_MAX_BODY_BYTES"] = str(args.max_body_bytes)
    if args.no_metrics:
        os.environ["GMBOT_METRICS"] = "0"
    return {"http": BoundedHttpProtocol, "timeout_keep_alive": 5, "workers": args.workers}


def main(argv: Sequence[str] | None = None, *, wrap: Callable[[Any], Any] | None = None,
         on_server: Callable[[Any], None] | None = None) -> int:
    """`wrap` wraps the ASGI app (`gmbot run` adds its bots to /health); `on_server` receives
    the uvicorn Server before it runs (`gmbot run` watches `should_exit` and sets it)."""
    args = parser().parse_args(list(argv or []))
    try:
        application = load_application(args.app)
        admin = application.admin_hooks()
    except ApplicationError as error:
        print(f"gmbot serve: {error}", file=sys.stderr)
        return 1
    url = admin.database_url(args.database_url)
    os.environ["DATABASE_URL"] = url  # the app (another import) opens the same database
    asyncio.run(admin.upgrade(url))

    import uvicorn

    # One line per operation with its request id (gmbot/server/routing.py), beside uvicorn's own.
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    # Connexion imports Starlette's test client at start-up, which warns about httpx
    # on every `gmbot serve`; it concerns tests only, so keep it out of the log.
    warnings.filterwarnings("ignore", message=".*starlette.testclient")

    print(
        f"gmbot: serving on http://{args.host}:{args.port} (Swagger UI: /ui), database {_safe(url)}"
    )
    app: Any = args.asgi_app or application.server
    if wrap is not None:
        app = wrap(uvicorn.importer.import_from_string(app))
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        # open requests (a bot's events long-poll waits up to 30 s) must not hold a shutdown
        timeout_graceful_shutdown=int(float(os.environ.get("GMBOT_SHUTDOWN_GRACE", "20"))),
        **_limits(args),  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    if on_server is not None:
        on_server(server)
    if config.workers > 1:  # as uvicorn.run does: workers import the app by its path
        from gmbot.server import workers

        if not isinstance(app, str):
            print("gmbot serve: --workers needs the app as an import path", file=sys.stderr)
            return 1
        workers.run(config)  # their metrics summed in one folder (gmbot/server/workers.py)
    else:
        server.run()
    return 0


def _safe(url: str) -> str:
    """The URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':')[0]}@{host}"
    return url
