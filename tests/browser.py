"""Pages in a real browser: Debian's Chromium driven through Playwright against pytest-django's
live server (which serves the static files too, through Django's static files handler).

Import what a test needs::

    from .browser import CHROMIUM, browser, canvas_drawn, signed_in_page  # noqa: F401

``browser`` is the fixture (one Chromium per test); mark a module or test with
``needs_chromium`` so that it is skipped where Debian's chromium is not installed.
"""

import os
import time

import pytest
from django.urls import reverse

from . import factories

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"Debian's chromium is not installed at {CHROMIUM}"
)


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test still reads the
    # database from it between steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


def signed_in_page(browser, live_server, person, viewport=DESKTOP):
    """A new page of its own browser context, ``person`` signed in through the login form."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", person.username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_load_state()
    return page


def phone_page(browser, live_server, person):
    """:func:`signed_in_page` on a phone-sized screen (390×844)."""
    return signed_in_page(browser, live_server, person, viewport=PHONE)


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def wait_until(page, expression: str, timeout: float = 5_000) -> None:
    """Wait until ``expression`` is true in the page, as ``page.wait_for_function`` would; that
    one compiles its predicate with ``new Function``, which the pages' Content-Security-Policy
    (no 'unsafe-eval') refuses, while ``page.evaluate`` is not bound by it."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} ms: {expression}")
        page.wait_for_timeout(50)


def canvas_drawn(page, selector: str, timeout: float = 15_000) -> bool:
    """Whether the chart in ``selector`` (a ``{% chart %}`` container) is drawn: static/js/charts.js
    marks it ``data-drawn="1"`` after ECharts' first ``finished`` event (waited for up to
    ``timeout`` ms), and its canvas has pixels that are not transparent."""
    from playwright.sync_api import TimeoutError as NotInTime

    try:
        page.wait_for_selector(f'{selector}[data-drawn="1"]', state="attached", timeout=timeout)
    except NotInTime:
        return False
    return page.eval_on_selector(
        selector,
        """(container) => {
            const canvas = container.querySelector("canvas");
            if (!canvas || !canvas.width || !canvas.height) return false;
            const pixels = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
            return false;
        }""",
    )
