"""`gmbot preview`: a local web page with every card of the spec being edited, as each platform shows it."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from generator.pipeline import Config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gmbot preview", description=__doc__)
    parser.add_argument("--spec", type=Path, default=Path("specs/commands.yaml"), help="the bot spec (default: %(default)s)")
    parser.add_argument("--openapi", type=Path, default=Path("openapi.yaml"), help="the REST contract (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8090, help="port (default: %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    for path in (args.spec, args.openapi):
        if not path.is_file():  # a typo in a path: one line, not a page of "file not found"
            print(f"gmbot preview: {path} not found (run it from the project root, or pass --spec / --openapi)",
                  file=sys.stderr)
            return 2
    try:  # a taken port: one line of ours, before uvicorn's startup log
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as exc:
        print(f"gmbot preview: cannot listen on {args.host}:{args.port}: {os.strerror(exc.errno) if exc.errno else exc}"
              " (pass --port to use another)", file=sys.stderr)
        return 1
    import uvicorn

    from gmbot.preview.app import create_app

    app = create_app(Config(spec=args.spec, openapi=args.openapi))
    print(f"Previewing {args.spec} and {args.openapi} on http://{args.host}:{args.port}/ (Ctrl+C stops)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
