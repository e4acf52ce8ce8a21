"""`gmbot serve --workers N`: uvicorn's supervisor, with the workers' Prometheus files kept true.

Each worker writes its metrics to files in PROMETHEUS_MULTIPROC_DIR, named by its pid, and
/metrics sums them (metrics.py). The gauges summed over live processes (`livesum`: the
database pool) must forget a worker that is gone, or a killed worker's last values stay
counted for good: the supervisor calls prometheus_client's `mark_process_dead` for every
worker it replaces or stops. A folder `gmbot serve` made itself is removed at exit (one it
was given is left, without the live gauges of its workers).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from socket import socket

from prometheus_client import multiprocess
from uvicorn import Config
from uvicorn.supervisors import Multiprocess

from gmbot.server import settings

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class Workers(Multiprocess):
    def __init__(self, config: Config, sockets: list[socket], metrics_dir: str | None) -> None:
        super().__init__(config, sockets)
        self.metrics_dir = metrics_dir

    def keep_subprocess_alive(self) -> None:  # replaces dead workers
        before = self._pids()
        super().keep_subprocess_alive()
        self._forget(before - self._pids())

    def handle_signals(self) -> None:  # SIGHUP replaces every worker, SIGTTOU stops one
        before = self._pids()
        super().handle_signals()
        self._forget(before - self._pids())

    def run(self) -> None:
        try:
            super().run()
        finally:
            self._forget(self._pids())

    def _pids(self) -> set[int]:
        return {process.pid for process in self.processes if process.pid is not None}

    def _forget(self, pids: set[int]) -> None:
        if self.metrics_dir:
            for pid in pids:
                multiprocess.mark_process_dead(pid, self.metrics_dir)


def run(config: Config) -> None:
    """Serve `config.workers` processes on one socket until a signal stops them."""
    made = None
    if settings.metrics_enabled() and not os.environ.get(METRICS_DIR):
        # each worker writes its metrics here (set before they start: they inherit it)
        made = os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="gmbot-metrics-")
    try:
        Workers(config, [config.bind_socket()], os.environ.get(METRICS_DIR)).run()
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)
            del os.environ[METRICS_DIR]
