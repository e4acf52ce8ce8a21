"""The public pages in headless Chromium (Playwright): a phone and a desktop viewport, the
chart loaded as a picture, links followed from the leaderboard to a profile, and a hostile
clan name shown as text with no script run (the page allows none)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.pages.conftest import GAME, HOSTILE, Site
from tests.preview.support import CHROMIUM, REQUIRED, launch

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def browser(sqlite_site: Site) -> Iterator[Any]:  # the site first: it runs asyncio before Playwright
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


def _open(browser: Any, device: dict[str, Any]) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(**device)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    return context, page, problems


def _fits(page: Any) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{width}px wide on a {page.viewport_size['width']}px screen"


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_leaderboard_to_profile_with_its_chart(sqlite_site: Site, browser: Any, device: dict[str, Any]) -> None:
    site = sqlite_site
    board = site.api().get(f"/games/{GAME}/leaderboard").json()
    context, page, problems = _open(browser, device)
    try:
        page.goto(f"{site.url}/web/games/{GAME}/leaderboard")
        assert page.locator('meta[name="viewport"]').get_attribute("content") == "width=device-width, initial-scale=1"
        rows = page.locator("table.board tbody tr")
        assert rows.count() == len(board["items"])
        for index, item in enumerate(board["items"]):
            assert rows.nth(index).locator("td.clan a").inner_text() == item["name"]
            assert rows.nth(index).locator("td.rating").inner_text() == f"{item['rating']:.1f}"
        # the phone hides the wide columns and shows the record under the name instead
        wide = page.locator("table.board th.wide").first.is_visible()
        assert wide is (device is DESKTOP)
        assert page.locator("table.board .narrow").first.is_visible() is (device is PHONE)
        _fits(page)

        leader = board["items"][0]
        page.locator("table.board tbody tr").first.locator("td.clan a").click()
        page.wait_for_url(f"**/web/clans/{leader['platform']}/{leader['serverId']}*")
        assert page.locator("h1.clan-name").inner_text() == leader["name"]
        assert page.locator(".stat .rating").inner_text() == f"{leader['rating']:.1f}"
        assert page.locator(".stat .rank").inner_text().startswith(f"#{leader['rank']}")
        chart = page.locator(".chart img")
        chart.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('.chart img').complete")
        natural = chart.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert natural == [640, 320]  # the PNG loaded and decoded
        shown = chart.bounding_box()
        assert shown is not None and shown["width"] <= page.viewport_size["width"]
        _fits(page)
        assert problems == []
    finally:
        context.close()


def test_a_hostile_clan_name_is_shown_as_text_and_runs_nothing(sqlite_site: Site, browser: Any) -> None:
    site = sqlite_site
    _, hostile = site.clans["hostile"]
    context, page, problems = _open(browser, PHONE)
    try:
        page.goto(f"{site.url}/web/clans/discord/{hostile.server_id}?game={GAME}")
        assert page.locator("h1.clan-name").inner_text() == HOSTILE
        assert page.title().startswith("\u2068" + HOSTILE + "\u2069")
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.locator("script").count() == 0
        assert HOSTILE in page.locator(".chart img").get_attribute("alt")
        _fits(page)  # a long name wraps instead of widening the page
        page.goto(f"{site.url}/web/games/{GAME}/leaderboard")
        assert page.get_by_text(HOSTILE, exact=True).count() == 1
        assert page.evaluate("typeof window.pwned") == "undefined"
        _fits(page)
        assert problems == []
    finally:
        context.close()
