"""Headless Chromium (Debian's, driven by Playwright) against a real ``dom serve`` on loopback.

The browser is never downloaded: ``.ci/install_chromium.sh`` installs Debian's ``chromium`` and
Playwright launches it by path. Without it these tests skip with the reason, unless
``DOM_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_container
from tests.e2e.live_server import demo_server, http_client

CHROMIUM = os.environ.get("DOM_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("DOM_REQUIRE_BROWSER") == "1"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WAIT_MS = 10_000  # every wait in these tests is bounded by this (or less)

ADMIN = {"Authorization": "Bearer admin-key"}
OPS = {"Authorization": "Bearer ops-key"}
PLANNER = {"Authorization": "Bearer planner-key"}


@cache
def served_paths() -> frozenset[str]:
    """The API's paths as this checkout builds it (no database is touched)."""
    from api import create_app

    container = make_container("sqlite://")
    try:
        return frozenset(create_app(container).openapi()["paths"])
    finally:
        container.close()


def route_missing(pattern: str) -> bool:
    """No served path matches ``pattern`` (a regular expression, whatever the parameter names)."""
    return not any(re.fullmatch(pattern, path) for path in served_paths())


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed at {CHROMIUM} (run .ci/install_chromium.sh)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def require_browser() -> None:
    reason = _browser_missing()
    if reason is None:
        return
    if REQUIRED:
        pytest.fail(f"DOM_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (Playwright gives it a fresh temporary profile)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=FLAGS, timeout=30_000)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def server(browser: Any, tmp_path_factory: pytest.TempPathFactory,
           fresh_database: Callable[[Path], str]) -> Iterator[str]:
    """``dom serve`` (one worker) over ``dom demo`` data in a fresh database."""
    folder = tmp_path_factory.mktemp("dom-console")
    with demo_server(fresh_database(folder), folder, workers=1) as base_url:
        yield base_url


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    with http_client(server) as client:
        yield client


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh browser context (empty localStorage) on the console; fails on page errors."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def sign_in(page: Any, key: str, route: str = "#/orders") -> None:
    """Open the console, enter ``key`` in its key form and go to ``route``."""
    page.goto(f"/console{route}")
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_role("button", name="Save key").click()
    page.wait_for_function("() => !document.getElementById('api-key')", timeout=WAIT_MS)


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target
