"""What every long-running `gmbot` command does first: read `.env`, set up logging, and
find the application (see gmbot/application.py)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from gmbot.application import Application, ApplicationError, load_application
from gmbot.spec.load import load_spec
from gmbot.spec.model import BotSpec


class Unusable(Exception):
    """A command cannot start: its message is the one line to print."""


def load_dotenv() -> None:
    try:
        from dotenv import load_dotenv as load
    except ImportError:  # pragma: no cover - python-dotenv is a dependency
        return
    load(Path.cwd() / ".env")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def add_app_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app", help="the application (module:attribute); default: $GMBOT_APP, "
                        "else [tool.gmbot] app in pyproject.toml")
    parser.add_argument("--spec", type=Path, help="spec.json or commands.yaml (default: the application's)")


def application_and_spec(args: argparse.Namespace) -> tuple[Application, BotSpec]:
    try:
        application = load_application(args.app)
    except ApplicationError as error:
        raise Unusable(str(error)) from None
    try:
        spec = load_spec(args.spec or application.spec_json)
    except (OSError, ValueError) as error:
        raise Unusable(f"cannot load the spec: {error}") from None
    return application, spec
