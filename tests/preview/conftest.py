"""Browser fixtures: one Chromium per test module, one `gmbot preview` per test on its own spec copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.preview.support import CHROMIUM, REQUIRED, Server, launch, preview_server


# Module scope, not session: while Playwright's sync API is open an event loop counts as
# running in this thread, and later async tests (tests/slack) could not start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `apt-get install -y chromium` (make and .ci/run do it)"
        if REQUIRED:  # CI: a browser test never silently skips
            pytest.fail(f"GMBOT_REQUIRE_BROWSER is set but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with preview_server(tmp_path) as running:
        yield running


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
