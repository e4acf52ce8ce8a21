"""Log lines for a service: a dropped connection is an expected event, not a bug, so the
SDKs' own retry messages keep their text and the exception's one-line summary, without
the traceback that would bury what a person needs to read."""

from __future__ import annotations

import logging


class OneLine(logging.Filter):
    """Fold a record's exception into its message (below CRITICAL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and record.levelno < logging.CRITICAL:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def one_line(*names: str) -> None:
    """Put `OneLine` on these loggers (once each)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLine) for f in logger.filters):
            logger.addFilter(OneLine())
