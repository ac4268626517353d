"""The platform's own Chinese error pages (400, 403, 404, 500, and a form sent without its CSRF
token) wherever DEBUG is off — `make run` included — while the API answers its JSON error shape,
also for an address under /api/ that matches no endpoint and for a server error inside one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from core.api.pagination import PageNumberPagination

ROOT = Path(__file__).resolve().parent.parent


def login(client, person):
    client.force_login(person)
    return client


def assert_page(response, status: int, *words: str):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for word in words:
        assert word in html, word
    assert "Traceback" not in html and "Page not found" not in html and "Server Error" not in html
    return html


def assert_json(response, status: int, code: str):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code and body["message"]
    return body


@pytest.mark.django_db
def test_an_unknown_address_answers_the_chinese_404_page_with_the_navigation(client, people):
    html = assert_page(
        login(client, people["county_office"]).get("/no-such-page/"),
        404,
        "页面不存在",
        "不在您的管辖范围内",
        "返回首页",
    )
    assert 'class="mainnav"' in html  # the page of a signed-in person keeps their navigation
    # an object outside the reader's scope is the same page
    assert_page(client.get(reverse("projects:detail", args=[999999])), 404, "页面不存在")


@pytest.mark.django_db
def test_a_refusal_answers_the_chinese_403_page(client, people):
    assert_page(login(client, people["leader"]).get(reverse("projects:create")), 403, "无权操作")


@pytest.mark.django_db
def test_a_server_error_answers_the_chinese_500_page_and_json_under_the_api(people, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    client = Client(raise_request_exception=False)
    with monkeypatch.context() as patched:
        patched.setattr("accounts.views.LoginView.get", broken)
        assert_page(client.get(reverse("login")), 500, "系统暂时出错", "请稍后重试", "返回首页")

    login(client, people["province_office"])
    monkeypatch.setattr(PageNumberPagination, "paginate_queryset", broken)
    body = assert_json(client.get("/api/v1/projects/"), 500, "server_error")
    assert "系统暂时出错" in body["message"] and "database gone" not in json.dumps(body)


@pytest.mark.django_db
def test_the_api_answers_json_for_unknown_addresses_and_refusals(client, people):
    login(client, people["province_office"])
    body = assert_json(client.get("/api/v1/no-such-resource/"), 404, "not_found")
    assert body["message"] == "对象不存在或不在您的管辖范围内。"
    assert_json(client.get("/api/v1/projects/999999/"), 404, "not_found")
    client.logout()
    assert_json(client.get("/api/v1/projects/"), 401, "not_authenticated")


def test_a_request_for_an_unknown_host_answers_400_in_chinese(client, db):
    assert_page(client.get("/", HTTP_HOST="evil.example"), 400, "请求无效")
    assert_json(client.get("/api/v1/projects/", HTTP_HOST="evil.example"), 400, "bad_request")


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_token_answers_in_chinese(people):
    client = Client(enforce_csrf_checks=True)
    login(client, people["county_office"])
    assert_page(client.post(reverse("logout")), 403, "页面已过期", "刷新后重新提交")


# --- the settings `make run` uses ---------------------------------------------------------------

LOCAL_CHECK = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1:8000")
page = client.get("/no-such-page/")
api = client.get("/api/v1/no-such-resource/")
static = client.get("/static/css/app.css")
print(json.dumps({
    "debug": settings.DEBUG,
    "demo_allowed": settings.DEMO_DATA_ALLOWED,
    "page": [page.status_code, page["Content-Type"], page.content.decode()],
    "api": [api.status_code, api["Content-Type"], api.content.decode()],
    "static": [static.status_code, static["Content-Type"]],
}))
"""


def local_run(tmp_path, **env) -> dict:
    """What the local settings (config.settings.local, `make run`) answer, in a process of
    their own, on an empty database of their own."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTEST_XDIST_WORKER"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'local.sqlite3'}",
        CELERY_DIR=str(tmp_path / "celery"),
        **env,
    )
    done = subprocess.run(  # noqa: S603 — this interpreter, a fixed script
        [sys.executable, "-c", LOCAL_CHECK],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_make_run_answers_with_the_platforms_pages_and_serves_static_files(tmp_path):
    answers = local_run(tmp_path)
    assert answers["debug"] is False and answers["demo_allowed"] is True
    status, content_type, html = answers["page"]
    assert status == 404 and content_type.startswith("text/html")
    assert "页面不存在" in html and "Page not found" not in html
    status, content_type, body = answers["api"]
    assert status == 404 and content_type == "application/json"
    assert json.loads(body)["code"] == "not_found"
    assert answers["static"][0] == 200 and answers["static"][1].startswith("text/css")

    # a developer still gets Django's debug pages on request
    assert local_run(tmp_path, DEBUG="1")["debug"] is True
