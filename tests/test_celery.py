"""Background jobs go through the configured broker: the filesystem transport by default,
Redis when REDIS_URL is set — the same test covers both."""

import datetime

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import clear_expired_sessions
from config.celery_app import app


def test_celery_speaks_json_only():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.timezone == "Asia/Shanghai"


def test_broker_follows_redis_url():
    if settings.REDIS_URL:
        assert app.conf.broker_url.startswith("redis://")
    else:
        assert app.conf.broker_url == "filesystem://"


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name


@pytest.mark.django_db(transaction=True)
def test_task_runs_in_a_worker_through_the_broker():
    now = timezone.now()
    Session.objects.create(
        session_key="old", session_data="x", expire_date=now - datetime.timedelta(days=1)
    )
    Session.objects.create(
        session_key="new", session_data="x", expire_date=now + datetime.timedelta(days=1)
    )
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = clear_expired_sessions.apply_async(ignore_result=False)
        result.get(timeout=30)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]


def test_schedules_are_recomputed_every_night():
    entry = app.conf.beat_schedule["recompute-schedules"]
    assert entry["task"] == "schedule.tasks.recompute_schedules"
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {20}


@pytest.fixture
def reference_data(transactional_db):
    """An earlier transactional test flushed what the migrations load: load it again."""
    from django.apps import apps

    from accounts import reference_data
    from accounts.models import Region, Role, Unit
    from schedule import shipped

    reference_data.load(Region, Unit, Role)
    shipped.load(apps)


@pytest.mark.django_db(transaction=True)
def test_nightly_recompute_runs_in_a_worker(reference_data, people, library):
    from schedule import services
    from schedule.models import ProjectSchedule, ScheduleTemplate
    from schedule.tasks import recompute_schedules

    project = library["yixing"]
    services.apply_template(
        project=project,
        template=ScheduleTemplate.objects.get(category="industrial"),
        by=people["province_office"],
    )
    ProjectSchedule.objects.all().delete()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = recompute_schedules.apply_async(ignore_result=False)
        assert result.get(timeout=30) == 1
    summary = ProjectSchedule.objects.get(project=project)
    assert summary.computed_for == timezone.localdate()
