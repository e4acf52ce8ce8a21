"""A real `gmbot preview` on a loopback port over a copy of the spec files, and Debian's Chromium.

Shared by tests/preview and bench/bench_preview.py. Playwright's own browser
download is not used (`playwright install` cannot fetch here): it drives
/usr/bin/chromium, which the Makefile and .ci/run install with apt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support import ROOT, free_port

CHROMIUM = Path(os.environ.get("GMBOT_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync"]
# Set by .ci/run: a missing browser fails the browser tests instead of skipping them.
REQUIRED = bool(os.environ.get("GMBOT_REQUIRE_BROWSER"))



def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)


@dataclass
class Server:
    url: str
    spec: Path  # the copy the server watches: edit it to "save" the spec
    openapi: Path
    cwd: Path


@contextmanager
def preview_server(workdir: Path, spec: Path = ROOT / "specs" / "commands.yaml",
                   openapi: Path = ROOT / "openapi.yaml") -> Iterator[Server]:
    """`gmbot preview` (the console script's code) in its own process, on copies in `workdir`."""
    (workdir / "specs").mkdir(parents=True, exist_ok=True)
    spec_copy, api_copy = workdir / "specs" / "commands.yaml", workdir / "openapi.yaml"
    shutil.copyfile(spec, spec_copy)
    shutil.copyfile(openapi, api_copy)
    if (spec.parent / "locales").is_dir():  # the translations beside the spec
        shutil.copytree(spec.parent / "locales", workdir / "specs" / "locales", dirs_exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gmbot.cli", "preview", "--port", str(port)],
        cwd=workdir, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/version", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"gmbot preview did not start:\n{output}")
            time.sleep(0.05)
        yield Server(url, spec_copy, api_copy, workdir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
