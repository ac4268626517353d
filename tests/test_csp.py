"""The Content-Security-Policy (django-csp) and the platform's pages under it: every page answer
carries the policy, no template has an inline script or an event-handler attribute, and in
Chromium the cockpit draws its map and charts, the Swagger UI shows the API and the browser
reports no refusal.

Pinned to Monday 7 December 2026 (the cockpit's small world of tests/test_cockpit.py).
"""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from .browser import browser, canvas_drawn, needs_chromium, signed_in_page  # noqa: F401
from .conftest import clock_at
from .test_cockpit import build_world

TODAY = datetime.date(2026, 12, 7)
TEMPLATES = Path(settings.BASE_DIR) / "templates"
#: rendered by WeasyPrint into PDF files, never served as pages
PDF_TEMPLATES = TEMPLATES / "reports" / "pdf"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_a_page_carries_the_policy_of_the_platform_s_own_assets_only(people, client):
    client.force_login(people["city_office"])

    response = client.get(reverse("projects:list"))

    assert response.status_code == 200
    directives = policy(response)
    for name in ("default-src", "script-src", "style-src", "img-src", "font-src", "connect-src"):
        assert directives[name] == ["'self'"], name
    assert directives["style-src-attr"] == ["'unsafe-inline'"]  # attributes only, no <style>
    assert directives["frame-ancestors"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]


def test_the_sign_in_page_and_the_api_carry_it_too(people, client):
    assert "script-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]
    client.force_login(people["leader"])
    answer = client.get("/api/v1/projects/")
    assert answer.status_code == 200
    assert "default-src 'self'" in answer["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)


def test_no_page_template_has_an_inline_script_handler_or_style_element():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if PDF_TEMPLATES in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        for rule in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ELEMENT):
            if rule.search(text):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {rule.pattern}")
    assert offenders == []


def test_the_meeting_print_button_and_the_delivery_filter_work_without_inline_handlers(
    people, client
):
    client.force_login(people["province_office"])
    html = client.get(reverse("notify:deliveries")).content.decode()
    assert "data-autosubmit" in html and "onchange" not in html
    assert "js/layout.js" in html


# --- in Chromium ---------------------------------------------------------------------------------


@pytest.fixture
def world(transactional_db, people):
    with clock_at(TODAY):
        yield build_world(people)


def _refusals(page) -> list[str]:
    seen = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


@needs_chromium
def test_the_cockpit_draws_its_map_and_charts_under_the_policy(
    browser,  # noqa: F811
    live_server,
    world,
):
    page = signed_in_page(browser, live_server, world["city_office"])
    refusals = _refusals(page)
    response = page.goto(live_server.url + reverse("home"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    for chart in ("#cockpit-map", "#cockpit-trend-0", "#cockpit-issues"):
        assert canvas_drawn(page, chart), chart
    page.hover("#cockpit-issues canvas")  # a tooltip (ECharts writes style attributes)
    page.wait_for_timeout(300)
    assert refusals == []


@needs_chromium
def test_the_swagger_ui_shows_the_api_under_the_policy(
    browser,  # noqa: F811
    live_server,
    world,
):
    page = signed_in_page(browser, live_server, world["city_office"])
    refusals = _refusals(page)
    page.goto(live_server.url + reverse("api-docs"))
    page.wait_for_selector(".opblock-tag", timeout=15_000)
    assert "/api/v1/projects/" in page.content()
    assert [text for text in refusals if "script" in text] == []
