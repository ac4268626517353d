"""Named people of the scope matrix (mirroring the demo logins) and a small library.

Regions: 无锡 320200 with 江阴 320281 and 宜兴 320282; 宿迁 321300 with 沭阳 321322;
南京 玄武区 320102.
"""

import datetime
import zoneinfo
from contextlib import contextmanager
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from . import factories


@pytest.fixture
def people(db):
    f = factories
    enterprise_unit = f.unit("江阴澄新新材料科技有限公司", "320281")
    return {
        "province_office": f.user(
            "province_office", "320000", ["office_staff"], f.office("320000"), is_staff=True
        ),
        "city_office": f.user("city_office", "320200", ["office_staff"], f.office("320200")),
        "county_office": f.user("county_office", "320281", ["office_staff"], f.office("320281")),
        "county_filer": f.user("county_filer", "320281", ["county_filer"], f.office("320281")),
        "county_filer2": f.user("county_filer2", "321322", ["county_filer"], f.office("321322")),
        "liaison": f.user(
            "liaison",
            "320000",
            ["department_liaison"],
            f.unit("省自然资源厅", "320000", "department"),
        ),
        "enterprise": f.user("enterprise", "320281", ["project_unit_contact"], enterprise_unit),
        "leader": f.user("leader", "320000", ["leader"]),
        "api_client": f.user("api_client", "320000", ["api_client"]),
        "nobody": f.user("nobody", None, []),
        "admin": f.user("admin", None, ["system_admin"], is_superuser=True, is_staff=True),
    }


@pytest.fixture
def library(people):
    """Projects in 江阴 (two of the demo enterprise), 宜兴, 沭阳 and 南京."""
    by = people["province_office"]
    f = factories
    enterprise_unit = people["enterprise"].unit
    return {
        "jiangyin_enterprise_1": f.project(
            "320281", by=by, unit_obj=enterprise_unit, name="江阴澄新一期"
        ),
        "jiangyin_enterprise_2": f.project(
            "320281", by=by, unit_obj=enterprise_unit, name="江阴澄新二期"
        ),
        "jiangyin_other": f.project("320281", by=by, name="江阴其他企业项目"),
        "yixing": f.project("320282", by=by, name="宜兴项目"),
        "shuyang": f.project("321322", by=by, name="沭阳项目"),
        "nanjing": f.project("320102", by=by, name="南京玄武项目"),
    }


@pytest.fixture
def api():
    """An API client; ``api.as_user(person)`` authenticates with that person's token."""

    client = APIClient()

    def as_user(person):
        token, _ = Token.objects.get_or_create(user=person)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    client.as_user = as_user
    return client


#: the day the demo data set is built on in tests (its figures are checked against that day)
DEMO_DAY = datetime.date(2026, 11, 23)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@contextmanager
def clock_at(day: datetime.date, hour: int = 10):
    """The clock of this process set to ``hour`` o'clock Shanghai time on ``day``; it runs on."""
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture
def heard():
    """Every domain event delivered to listeners during the test (after its commit)."""
    from core import events

    got = []

    def listen(event):
        got.append(event)

    events.subscribe(events.ANY)(listen)
    yield got
    events.unsubscribe(listen)


@pytest.fixture
def notdef_warnings(caplog):
    """The characters WeasyPrint drew as boxes (.notdef) during the test."""
    import logging

    caplog.set_level(logging.WARNING, logger="weasyprint")
    yield lambda: [r for r in caplog.records if ".notdef" in r.getMessage()]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data set (`seed_demo`), built on ``DEMO_DAY`` once for the tests of a module
    that ask for it; each test still runs in its own transaction, rolled back after it. The
    database is emptied and its reference data reloaded when the module is done. The demo's
    published documents are files in a folder of the module's own (MEDIA_ROOT)."""
    from django.test import override_settings

    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"))
    with django_db_blocker.unblock(), media:
        with clock_at(DEMO_DAY):
            call_command("seed_demo", force=True, stdout=StringIO())
        try:
            yield DEMO_DAY
        finally:
            call_command("flush", interactive=False, verbosity=0)
            load_reference_data()


def pytest_collection_modifyitems(config, items):
    """The demo data set stays in the database for the whole module that asks for it, so every
    test of that module that uses the database must ask for it too: any other would find the
    demo's rows and logins in its way, or not, depending on the order."""
    by_module: dict[str, list] = {}
    for item in items:
        by_module.setdefault(getattr(item, "module", None).__name__, []).append(item)
    for module, tests in by_module.items():
        if not any("demo" in test.fixturenames for test in tests):
            continue
        stray = [
            test.name
            for test in tests
            if "demo" not in test.fixturenames
            and (
                test.get_closest_marker("django_db")
                or {"db", "transactional_db"} & set(test.fixturenames)
            )
        ]
        if stray:
            raise pytest.UsageError(
                f"{module}: tests that use the database without the demo fixture: {stray}"
            )


def pytest_sessionfinish(session):
    """This process's Celery folders go with its tests (broker-less runs)."""
    import shutil

    from django.conf import settings

    folder = getattr(settings, "TEST_CELERY_DIR", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends by emptying every table, the reference data the migrations
    loaded included (regions, units, roles, templates, approval kinds, channels). Load it again
    once the test's fixtures are gone, so that no test depends on running before such a test:
    the suite passes in any order."""
    result = yield
    marker = item.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(item.fixturenames)
    )
    if transactional and nextitem is not None:  # after the last test the database is gone
        from pytest_django.plugin import blocking_manager_key

        from accounts.models import Region

        with item.config.stash[blocking_manager_key].unblock():
            if not Region.objects.exists():
                load_reference_data()
    return result


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (sign-in failure counts live there; on Redis they
    would outlast a run)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English leaves English active in the thread that served it: each test
    starts and ends in the platform's language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clock_marker(request):
    """``@pytest.mark.clock(datetime.date(…))`` runs a test on that day (10:00 Shanghai)."""
    marker = request.node.get_closest_marker("clock")
    if marker is None:
        yield
        return
    with clock_at(*marker.args, **marker.kwargs):
        yield


def load_reference_data():
    """What the migrations load: regions, units, roles, templates, approval kinds, channels,
    project groups."""
    from django.apps import apps

    from accounts import reference_data
    from accounts.models import Region, Role, Unit
    from approvals import shipped as approval_kinds
    from funding import shipped as funding_channels
    from indicators import shipped as project_groups
    from schedule import shipped

    reference_data.load(Region, Unit, Role)
    shipped.load(apps)
    approval_kinds.load(apps)
    funding_channels.load(apps)
    project_groups.load(apps)


@contextmanager
def celery_worker(start_timeout: float = 30, stop_timeout: float = 30):
    """A Celery worker on the configured broker (the filesystem transport, or Redis with
    REDIS_URL), running in a thread of this process; stopped when the block ends, however it
    ends. A worker that does not start or stop in time fails the test instead of hanging it."""
    import threading
    import uuid

    from celery._state import _set_task_join_will_block
    from celery.contrib.testing.worker import TestWorkController, setup_app_for_worker
    from celery.worker import state
    from django.db import connections

    from config.celery_app import app

    setup_app_for_worker(app, "WARNING", None)
    worker = TestWorkController(
        app=app,
        concurrency=1,
        pool="solo",
        hostname=f"test-{uuid.uuid4().hex[:8]}@localhost",
        loglevel="WARNING",
        logfile=None,
        ready_callback=None,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )

    def run():
        try:
            worker.start()
        finally:
            connections.close_all()  # the worker thread's own connections, not left to linger

    thread = threading.Thread(target=run, name="celery-test-worker", daemon=True)
    thread.start()
    try:
        if not worker._on_started.wait(start_timeout):
            raise RuntimeError(f"the Celery worker did not start within {start_timeout} s")
        _set_task_join_will_block(False)
        yield worker
    finally:
        state.should_terminate = 0
        thread.join(stop_timeout)
        if thread.is_alive():
            worker.terminate()
            thread.join(5)
        state.should_terminate = None
        if thread.is_alive():
            raise RuntimeError(f"the Celery worker did not stop within {stop_timeout} s")


def database_url() -> str:
    """The test database as a URL, for a process started by a test (the same SQLite file, or
    the test database on the PostgreSQL server — ``test_<name>`` with the xdist suffix)."""
    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


@contextmanager
def worker_process(folder, *, pool: str = "solo", env: dict | None = None):
    """``celery -A config worker`` as a process of its own, on the test database and broker,
    files under ``folder`` (MEDIA_ROOT); its own process group (``os.killpg`` stops the main
    process and its pool at once). Its log is ``process.output()``. Stopped when the block
    ends, however it ends."""
    import os
    import signal
    import subprocess
    import sys

    from django.conf import settings
    from django.utils import timezone

    log = folder / f"worker-{len(list(folder.glob('worker-*.log')))}.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(folder),
        **(env or {}),
    }
    if "TEST_CLOCK" in os.environ:  # the worker's clock goes on from this process's, not anew
        environment["TEST_CLOCK"] = timezone.now().isoformat()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=log.open("wb"),  # a file, not a pipe: a full pipe would stop the worker
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.output = lambda: log.read_text(errors="replace")
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:  # the pool's processes too, whatever became of the main one
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


@pytest.fixture(autouse=True)
def _force_login_gives_the_second_factor(monkeypatch):
    """``client.force_login(person)`` stands for a person fully signed in: for one of whom a
    second factor is asked (an administrator, accounts/twofactor.py) the session is also
    verified, with an authenticator of their own. ``force_login(person, verified=False)`` is the
    session after the password alone (tests/test_twofactor.py)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import twofactor

    force_login = Client.force_login

    def signed_in(self, user, backend=None, *, verified=True):
        force_login(self, user, backend)
        if not verified or not (twofactor.required_for(user) or twofactor.enabled_for(user)):
            return
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="测试", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", signed_in)
