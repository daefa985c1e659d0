"""Real headless Chromium (Debian's package) driven by Playwright, against a live Copro server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags the machine needs: no sandbox as root, no GPU, and no background connections out
# (this network is closed; Chromium would otherwise keep trying to reach Google's hosts).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("COPRO_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium is required for browser tests but is not at {CHROMIUM} (make test installs it).")
        pytest.skip("Chromium is not installed (run `make test`, which installs Debian's chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Page:
    """A browser tab that records Content-Security-Policy violations and console errors."""

    def __init__(self, browser: Any, base_url: str, locale: str = "en-GB") -> None:
        self.context = browser.new_context(base_url=base_url, locale=locale)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Any]:
    pages: list[Page] = []

    def make(locale: str = "en-GB") -> Page:
        page = Page(browser, live_server.url, locale)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()


AXE = Axe()


def axe_serious(page: Any) -> list[str]:
    """Run axe-core on the page; return the serious and critical violations (WCAG 2.x A/AA)."""
    results = AXE.run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
