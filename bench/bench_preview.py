"""`gmbot preview`: time from saving specs/commands.yaml to the updated page, in headless Chromium.

A real `gmbot preview` process on a loopback port watches a copy of the Gmbot spec
pair; the browser has the page open. Each round rewrites one card title in the
spec copy (a save) and waits until the page shows the new title: the page's poll
notices the new version, reloads, and the server checks and renders the spec.
Baselines in the same run: a plain reload of the unchanged page, and the server's
GET / alone (httpx). Prints a Markdown table; `--screenshot` also writes a picture
of the page (docs/preview.png in the README).

    .venv/bin/python bench/bench_preview.py [--rounds 21] [--screenshot docs/preview.png]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.preview.support import launch, preview_server  # noqa: E402

TITLE = 'title: "Welcome, {{ reply.name }}!"'
SELECTOR = '[data-entry="command/setup/201"] .embed-title'


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"{statistics.median(values) * 1000:.0f} ms | {p90 * 1000:.0f} ms | {max(values) * 1000:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--screenshot", type=Path, help="also write a picture of the page here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, preview_server(Path(tmp)) as server, sync_playwright() as pw:
        good = server.spec.read_text("utf-8")
        assert TITLE in good, "bench/bench_preview.py edits the setup card's title: update TITLE"
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(server.url)
        saves, reloads, gets = [], [], []
        with httpx.Client() as client:
            for round_ in range(args.rounds + 1):  # round 0 warms up
                started = time.perf_counter()
                page.reload(wait_until="load")
                reload_s = time.perf_counter() - started
                started = time.perf_counter()
                client.get(server.url + "/").raise_for_status()
                get_s = time.perf_counter() - started
                marker = f"Welcome v{round_}, "
                started = time.perf_counter()
                server.spec.write_text(good.replace(TITLE, TITLE.replace("Welcome, ", marker)), "utf-8")
                page.wait_for_function(
                    f"m => (document.querySelector('{SELECTOR}') || {{}}).innerText?.startsWith(m)",
                    arg=marker, polling="raf", timeout=10_000)
                save_s = time.perf_counter() - started
                if round_:
                    saves.append(save_s)
                    reloads.append(reload_s)
                    gets.append(get_s)
        server.spec.write_text(good, "utf-8")
        if args.screenshot:
            page.reload()
            page.locator(SELECTOR).wait_for()
            page.evaluate("document.querySelector('[data-command=\"createwar\"]').scrollIntoView()")
            page.screenshot(path=str(args.screenshot))
        browser.close()

    load = os.getloadavg()[0]
    print(f"Written by `.venv/bin/python bench/bench_preview.py` (Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f} at the end, "
          f"{args.rounds} rounds after a warm-up).\n")
    print("| measure | median | p90 | max |")
    print("|---|---|---|---|")
    print(f"| save `specs/commands.yaml` -> the page shows the new card (goal < 1 s) | {_ms(saves)} |")
    print(f"| baseline: reload of the unchanged page in the browser | {_ms(reloads)} |")
    print(f"| baseline: the server's `GET /` alone (httpx) | {_ms(gets)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
