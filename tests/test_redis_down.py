"""Redis down (core/cache.py): the cache points at a port where nothing listens, so every
connection is really refused. Sign-in by token and on the page, pages, the API and the monthly
form go on; the sign-in lockout still locks after LOGIN_FAILURE_LIMIT failures; one warning, not
one per request. With a Redis server of the test's own, stopped and started again, the cache
goes back to Redis once it answers."""

import datetime
import logging
import shutil
import socket
import subprocess
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Lockout
from progress.models import MonthlyReport
from projects.models import Admission, Stage

from . import factories
from .conftest import clock_at

TOKEN_URL = "/api/v1/auth/token/"
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: a connection is refused


def fallback_cache(location: str, retry_seconds: float = 30) -> dict:
    return {
        "default": {
            "BACKEND": "core.cache.FallbackRedisCache",
            "LOCATION": location,
            "OPTIONS": {
                "RETRY_SECONDS": retry_seconds,
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
            },
        }
    }


@pytest.fixture
def redis_down(settings):
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 50
    settings.LOGIN_LOCKOUT_MINUTES = 30
    with override_settings(CACHES=fallback_cache(CLOSED)):
        cache.clear()  # this process's fallback memory may hold an earlier test's counts
        yield caches["default"]


def token_sign_in(username, password):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_the_default_cache_is_the_fallback_one_and_sessions_are_in_the_database():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    if settings.REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"] == "core.cache.FallbackRedisCache"
        cache.set("k", "v")
        assert cache.get("k") == "v" and not caches["default"].degraded


@pytest.mark.django_db
def test_token_sign_in_answers_with_a_token(people, redis_down):
    response = token_sign_in("county_filer", factories.PASSWORD)
    assert response.status_code == 200, response.content
    assert len(response.json()["token"]) == 40
    assert redis_down.degraded


@pytest.mark.django_db
def test_the_lockout_still_locks_after_the_configured_failures(
    people, redis_down, settings, client
):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert token_sign_in("county_filer", "wrong-password").status_code == 401
    refused = token_sign_in("county_filer", factories.PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == "account_locked"
    assert Lockout.objects.get().value == "county_filer"
    # the page's sign-in refuses too (the lock is in the database)
    page = client.post(
        reverse("login"), {"username": "county_filer", "password": factories.PASSWORD}
    )
    assert page.status_code == 429 and "该账号已被锁定" in page.content.decode()


@pytest.mark.django_db
def test_four_failures_do_not_lock_and_a_correct_password_still_signs_in(people, redis_down):
    for _ in range(4):
        token_sign_in("county_office", "wrong-password")
    assert token_sign_in("county_office", factories.PASSWORD).status_code == 200
    assert not Lockout.objects.exists()


@pytest.mark.django_db
def test_pages_and_the_api_answer(people, redis_down, client):
    response = client.post(
        reverse("login"), {"username": "province_office", "password": factories.PASSWORD}
    )
    assert response.status_code == 302  # signed in: the session is in the database
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("projects:list")).status_code == 200
    token = token_sign_in("province_office", factories.PASSWORD).json()["token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = api.get("/api/v1/projects/")
    assert listed.status_code == 200 and "results" in listed.json()


@pytest.mark.django_db
def test_the_monthly_form_is_saved(people, redis_down, client):
    with clock_at(datetime.date(2026, 11, 23)):
        project = factories.project(
            "320281",
            by=people["province_office"],
            name="江阴一号",
            stage=Stage.STARTED,
            admission=Admission.ADMITTED,
            started_on=datetime.date(2026, 5, 1),
            planned_investment_year=Decimal("1000"),
        )
        assert client.login(username="county_filer", password=factories.PASSWORD)
        url = reverse("progress:form", kwargs={"region": "320281", "period": "2026-11"})
        response = client.post(
            url,
            {
                "action": "save",
                f"p{project.pk}-investment_this_month": "120",
                f"p{project.pk}-physical_progress": "主体结构施工",
                f"p{project.pk}-percent_complete": "45",
            },
        )
    assert response.status_code == 302
    report = MonthlyReport.objects.get(project=project, period="2026-11")
    assert report.investment_this_month == Decimal("120")


@pytest.mark.django_db
def test_the_health_answer_calls_the_cache_degraded_not_failed(people, redis_down, client):
    body = client.get("/healthz/").json()
    assert body["components"]["cache"]["status"] == "degraded"
    assert body["components"]["cache"]["required"] is False
    assert client.get("/healthz/web/").status_code == 200


def test_one_warning_not_one_per_request(caplog):
    caplog.set_level(logging.INFO, logger="core.cache")
    # a location of this test's own: no earlier test of this process has warned about it
    with override_settings(CACHES=fallback_cache("redis://127.0.0.1:1/9")):
        started = time.monotonic()
        for n in range(50):
            cache.set(f"k{n}", n)
            assert cache.get(f"k{n}") == n
        assert cache.incr("k1") == 2
        assert time.monotonic() - started < 2  # Redis is not tried at every operation
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "ConnectionError" in warnings[0] and "Connection refused" in warnings[0]


# --- Redis stops and comes back -----------------------------------------------------------------

REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.skipif(REDIS_SERVER is None, reason="no redis-server on this machine")
def test_the_cache_goes_back_to_redis_once_it_answers_again(caplog):
    caplog.set_level(logging.INFO, logger="core.cache")
    port = _free_port()
    server = _start_redis(port)
    try:
        with override_settings(CACHES=fallback_cache(f"redis://127.0.0.1:{port}/0", 0.3)):
            backend = caches["default"]
            backend.set("before", "on redis")
            assert backend.get("before") == "on redis" and not backend.degraded

            _stop(server)
            backend.set("during", "in memory")  # refused: served from this process's memory
            assert backend.degraded
            assert backend.get("during") == "in memory"
            assert backend.get("before") is None  # Redis's values are not in the memory

            server = _start_redis(port)
            time.sleep(0.35)  # the retry interval
            assert backend.get("before") is None  # a new, empty server
            assert not backend.degraded
            backend.set("after", "on redis")
            assert backend.get("during") is None  # what was written meanwhile was not
    finally:
        _stop(server)
    messages = [r.getMessage() for r in caplog.records if r.name == "core.cache"]
    assert any("Redis cache unavailable" in m for m in messages)
    assert any("answers again" in m for m in messages)
