"""`gmbot preview`: a local web page with every card of the spec being edited, as each platform shows it."""

from __future__ import annotations

import argparse
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
    import uvicorn

    from gmbot.preview.app import create_app

    app = create_app(Config(spec=args.spec, openapi=args.openapi))
    print(f"Previewing {args.spec} and {args.openapi} on http://{args.host}:{args.port}/ (Ctrl+C stops)")
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except OSError as exc:  # port taken, address not available
        print(f"gmbot preview: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
