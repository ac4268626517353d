"""Background jobs go through the configured broker: the filesystem transport by default,
Redis when REDIS_URL is set — the same test covers both."""

import datetime
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import clear_expired_sessions
from config.celery_app import app

from .conftest import celery_worker


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
    with celery_worker():
        result = clear_expired_sessions.apply_async(ignore_result=False)
        result.get(timeout=30)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]


def test_schedules_are_recomputed_every_night():
    entry = app.conf.beat_schedule["recompute-schedules"]
    assert entry["task"] == "schedule.tasks.recompute_schedules"
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {20}


@pytest.mark.django_db(transaction=True)
def test_nightly_recompute_runs_in_a_worker(transactional_db, people, library):
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
    with celery_worker():
        result = recompute_schedules.apply_async(ignore_result=False)
        assert result.get(timeout=30) == 1
    summary = ProjectSchedule.objects.get(project=project)
    assert summary.computed_for == timezone.localdate()


def test_issues_are_swept_every_morning():
    entry = app.conf.beat_schedule["sweep-issues"]
    assert entry["task"] == "issues.tasks.sweep_issues"
    assert entry["schedule"].hour == {1} and entry["schedule"].minute == {10}


@pytest.mark.clock(datetime.date(2026, 11, 23))
@pytest.mark.django_db(transaction=True)
def test_issue_sweep_runs_in_a_worker(transactional_db, people, library):
    from accounts.models import Unit
    from issues.models import Issue, Notice
    from issues.tasks import sweep_issues

    from . import factories

    project = library["yixing"]
    department = factories.unit("宜兴市自然资源和规划局", "320282", Unit.Kind.DEPARTMENT)
    Issue.objects.create(
        project=project,
        region=project.region,
        title="用地报批滞后",
        category="land_sea",
        source="county",
        level="county",
        status="in_progress",
        unit=department,
        responsible_leader="王局长",
        responsible_person="李科长",
        solution="协调",
        deadline=datetime.date(2026, 11, 20),
    )
    with celery_worker():
        done = sweep_issues.apply_async(kwargs={"today": "2026-11-23"}, ignore_result=False)
        assert done.get(timeout=30) == {"overdue": 1, "notices": 1}
    assert Notice.objects.get().unit == department


@pytest.mark.django_db(transaction=True)
def test_a_large_progress_import_runs_in_a_worker(transactional_db, people, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import load_workbook

    from progress import imports, xlsx
    from progress.models import ImportStatus, MonthlyReport, ProgressImport
    from progress.models import period_of as month_of
    from progress.tasks import run_import

    from . import factories

    settings.MEDIA_ROOT = tmp_path
    settings.PROGRESS_IMPORT_SYNC_ROWS = 1  # two rows: a background job
    for _n in range(2):
        factories.project(
            "320281",
            by=people["province_office"],
            stage="started",
            admission="admitted",
            started_on=datetime.date(2025, 3, 1),
        )
    filer = people["county_filer"]
    period = month_of(timezone.localdate())
    workbook = load_workbook(io.BytesIO(xlsx.build_template(filer, period)))
    sheet = workbook[xlsx.SHEET]
    for row in (4, 5):
        sheet[f"H{row}"], sheet[f"I{row}"] = 100 * row, "主体施工"
    data = io.BytesIO()
    workbook.save(data)
    # committed at once (no surrounding transaction): the job is on the broker before a worker
    job = imports.start_import(by=filer, uploaded=SimpleUploadedFile("a.xlsx", data.getvalue()))
    assert job.status == ImportStatus.QUEUED
    with celery_worker():
        deadline = time.monotonic() + 30
        while not ProgressImport.objects.get(pk=job.pk).finished and time.monotonic() < deadline:
            time.sleep(0.2)
        # a redelivered message finds the job finished and does nothing
        assert run_import.apply_async(args=[job.pk], ignore_result=False).get(timeout=30) == (
            "done"
        )
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.total_rows, job.created) == ("done", 2, 2, 2)
    assert sorted(MonthlyReport.objects.values_list("investment_this_month", flat=True)) == [
        400,
        500,
    ]


def test_the_filesystem_broker_never_hands_out_half_a_message(tmp_path):
    """A producer and a consumer on the same folders at once: every message arrives whole, and
    the exchange table follows binds and deletes."""
    import threading

    from kombu import Connection, Exchange, Queue

    folders = {name: tmp_path / name for name in ("queue", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
        "polling_interval": 0.01,
    }
    exchange = Exchange("probe", type="fanout")
    queue = Queue("probe-q", exchange)
    payload = "x" * 200_000  # large enough that writing it takes a while
    sent = 200

    def produce():
        with Connection(
            transport="config.celery_transport:Transport", transport_options=options
        ) as c:
            producer = c.Producer(serializer="json")
            for n in range(sent):
                producer.publish({"n": n, "body": payload}, exchange=exchange, declare=[queue])

    with Connection(transport="config.celery_transport:Transport", transport_options=options) as c:
        channel = c.default_channel
        queue(channel).declare()
        assert channel.get_table("probe") == [("", "", "probe-q")]
        writer = threading.Thread(target=produce)
        writer.start()
        received = []
        simple = c.SimpleQueue(queue)
        while len(received) < sent:
            message = simple.get(timeout=30)
            received.append(message.payload)
            message.ack()
        writer.join(30)
        assert sorted(m["n"] for m in received) == list(range(sent))
        assert all(m["body"] == payload for m in received)
        assert not [p for p in folders["queue"].iterdir() if not p.name.endswith(".lock")]
        channel.queue_delete("probe-q")
        assert channel.get_table("probe") == []
