"""Background jobs survive a dead worker and an absent broker (core/jobs.py): a worker killed
whole in the middle of a document is recovered by the reaper and the document finished by
another; with the broker unreachable a request returns at once, nothing runs inside it, and the
work runs when the broker is back; a stale import is marked failed, a fresh job left alone, a
second delivery does nothing; a soft time limit leaves the job failed with its message."""

import datetime
import io
import logging
import os
import signal
import time
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from config.celery_app import app
from core import jobs
from core.models import PendingRun
from progress import imports, xlsx
from progress.models import ImportStatus, MonthlyReport, ProgressImport
from progress.models import period_of as month_of
from progress.tasks import run_import
from reports import services
from reports.models import Kind, Report, Status
from reports.tasks import generate_report
from schedule.models import CalendarDay
from schedule.tasks import recompute_schedules

from . import factories
from .conftest import celery_worker, worker_process

NEEDS_REDIS = pytest.mark.skipif(
    not django_settings.REDIS_URL,
    reason="a whole worker killed mid-job is tested on Redis: set REDIS_URL (CI's PostgreSQL + "
    "Redis step does)",
)
#: a closed port: what the web process sees while Redis is down
NO_BROKER = "redis://127.0.0.1:1/0"


def long_ago():
    return timezone.now() - datetime.timedelta(seconds=django_settings.JOB_HEARTBEAT_TIMEOUT + 5)


def this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def wait_for(row, finished, worker=None, timeout: float = 120):
    """``row`` refreshed until ``finished(row)``, failing with the worker's log after
    ``timeout`` seconds or if the worker process exits."""
    deadline = time.monotonic() + timeout
    while True:
        row.refresh_from_db()
        if finished(row):
            return row
        if worker is not None:
            assert worker.poll() is None, worker.output()
        assert time.monotonic() < deadline, (
            f"{row} still {row.status} after {timeout} s\n{worker.output() if worker else ''}"
        )
        time.sleep(0.05)


@contextmanager
def broker_at(url: str):
    """Celery in this process (the web side) sends to ``url`` for the block."""
    conf = app.conf

    def reconnect():  # kombu keeps a pool per broker URL: take the one for the URL set now
        app._pool = None
        app.amqp._producer_pool = None

    saved = conf.broker_url, conf.broker_transport
    reconnect()
    conf.broker_url, conf.broker_transport = url, None
    try:
        yield
    finally:
        reconnect()
        conf.broker_url, conf.broker_transport = saved


def briefing(people, enqueue: bool = True) -> Report:
    report, _queued = services.report_request(
        kind=Kind.BRIEFING, period=this_month(), by=people["province_office"], enqueue=enqueue
    )
    return report


def queued_import(people, settings) -> ProgressImport:
    """A two-row import of the filer's projects, queued for a worker."""
    settings.PROGRESS_IMPORT_SYNC_ROWS = 1
    for _n in range(2):
        factories.project(
            "320281",
            by=people["province_office"],
            stage="started",
            admission="admitted",
            started_on=datetime.date(2025, 3, 1),
        )
    filer = people["county_filer"]
    workbook = load_workbook(io.BytesIO(xlsx.build_template(filer, month_of(timezone.localdate()))))
    sheet = workbook[xlsx.SHEET]
    for row in (4, 5):
        sheet[f"H{row}"], sheet[f"I{row}"] = 100 * row, "主体施工"
    data = io.BytesIO()
    workbook.save(data)
    job = imports.start_import(by=filer, uploaded=SimpleUploadedFile("a.xlsx", data.getvalue()))
    assert job.status == ImportStatus.QUEUED
    return job


# --- a whole worker killed mid-job -------------------------------------------------------------


@NEEDS_REDIS
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_briefing_is_replaced_and_the_briefing_finished(
    transactional_db, people, library, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.JOB_HEARTBEAT_TIMEOUT = 3
    quick = {"JOB_HEARTBEAT_SECONDS": "0.5", "JOB_HEARTBEAT_TIMEOUT": "3"}
    app.control.purge()
    with worker_process(tmp_path, pool="prefork", env=quick) as first:
        report = briefing(people)
        report = wait_for(report, lambda r: r.status != Status.QUEUED, first)
        # kill -9 of the whole worker, main process and pool, in the middle of the layout
        os.killpg(first.pid, signal.SIGKILL)
        killed = time.monotonic()
        first.wait(10)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (Status.RUNNING, 1), (
        "the briefing finished before the kill: it must take longer than the kill's delay"
    )
    # the heartbeat stopped with the worker (it beats every 0.5 s while the job runs)
    last_beat = report.heartbeat_at
    time.sleep(1.5)
    report.refresh_from_db()
    assert report.heartbeat_at == last_beat

    with worker_process(tmp_path, pool="prefork", env=quick) as second:
        # the reaper runs on beat every minute and as a worker starts; here it is called
        # whenever the heartbeat is stale, whichever of the two comes first
        deadline = time.monotonic() + 120
        while report.status != Status.DONE:
            assert report.status != Status.FAILED, report.error
            assert time.monotonic() < deadline, second.output()
            assert second.poll() is None, second.output()
            if report.is_stale:
                jobs.reap()
            time.sleep(0.2)
            report.refresh_from_db()
    assert time.monotonic() - killed < 120
    assert (report.attempts, report.interruptions) == (2, 1)
    assert list(report.events.values_list("kind", flat=True)) == [
        "request",
        "requeue",
        "done",
    ]
    with report.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


# --- the broker unreachable --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_a_requested_briefing_waits_and_runs_once_it_is_back(
    transactional_db, people, library, client, settings, tmp_path, caplog
):
    settings.MEDIA_ROOT = tmp_path
    app.control.purge()
    client.force_login(people["province_office"])
    with broker_at(NO_BROKER), caplog.at_level(logging.WARNING, logger="core.tasks"):
        started = time.monotonic()
        response = client.post(
            reverse("reports:request"), {"kind": "briefing", "period": this_month()}
        )
        took = time.monotonic() - started
    assert response.status_code == 302
    # the page answered without building the briefing (about 3 s): it is recorded, queued
    assert took < 10
    report = Report.objects.get()
    assert (report.status, report.attempts, report.file.name) == (Status.QUEUED, 0, "")
    assert "broker is unreachable" in caplog.text

    # the broker is back: the reaper sends the queued report again, a worker builds it
    settings.JOB_HEARTBEAT_TIMEOUT = 0.5
    time.sleep(0.6)
    assert jobs.reap() == {"resent": 1}
    with celery_worker():
        report = wait_for(report, lambda r: r.finished, timeout=120)
    assert report.status == Status.DONE, report.error
    assert report.attempts == 1  # resent twice at most (the worker's own reap): built once


@pytest.mark.django_db(transaction=True)
def test_a_calendar_change_with_the_broker_down_is_recomputed_once_it_is_back(
    transactional_db, settings
):
    app.control.purge()
    with broker_at(NO_BROKER):
        CalendarDay.objects.create(date=datetime.date(2026, 8, 8), is_workday=True)
    assert set(PendingRun.objects.values_list("task", flat=True)) == {
        "schedule.tasks.recompute_schedules",
        "approvals.tasks.refresh_approval_dates",
    }
    settings.JOB_HEARTBEAT_TIMEOUT = 0.5
    time.sleep(0.6)
    assert jobs.reap() == {"recomputes": 2}
    with celery_worker():
        deadline = time.monotonic() + 30
        while PendingRun.objects.exists():
            assert time.monotonic() < deadline, list(PendingRun.objects.values())
            time.sleep(0.1)


# --- the reaper --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reaper_reruns_a_briefing_whose_worker_died_a_bounded_number_of_times(people, settings):
    settings.JOB_MAX_ATTEMPTS = 3
    report = briefing(people, enqueue=False)
    outcomes = []
    for attempt in (1, 2, 3):  # each run's worker dies
        Report.objects.filter(pk=report.pk).update(
            status=Status.RUNNING, attempts=attempt, heartbeat_at=long_ago()
        )
        outcomes.append(jobs.reap())
        report.refresh_from_db()
        if attempt < 3:
            assert (report.status, report.interruptions) == (Status.QUEUED, attempt)
            assert not report.is_stale
    assert outcomes == [{"requeued": 1}, {"requeued": 1}, {"failed": 1}]
    assert report.status == Status.FAILED
    assert "后台服务在生成过程中停止" in report.error
    kinds = list(report.events.values_list("kind", flat=True))
    assert kinds == ["request", "requeue", "requeue", "fail"]
    # failed, it can be retried by hand, and runs to the end
    report = services.report_retry(report=report, by=people["province_office"])
    assert (report.status, report.interruptions) == (Status.QUEUED, 0)
    assert services.report_run(report.pk).status == Status.DONE


@pytest.mark.django_db
def test_the_reaper_marks_an_import_whose_worker_died_failed(
    people, settings, tmp_path, heard, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    job = queued_import(people, settings)
    ProgressImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.WRITING, processed_rows=2, heartbeat_at=long_ago()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.reap() == {"failed": 1}
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.finished_at is not None
    assert job.message == str(imports.INTERRUPTED) and "请重新上传" in job.message
    assert not MonthlyReport.objects.exists()
    assert [event.name for event in heard] == ["progress.import_finished"]
    # a message of the dead run delivered again finds it finished
    assert run_import(job.pk) == ImportStatus.FAILED


@pytest.mark.django_db
def test_the_reaper_leaves_jobs_with_a_fresh_heartbeat_alone(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    running = briefing(people, enqueue=False)
    Report.objects.filter(pk=running.pk).update(status=Status.RUNNING, attempts=1)
    job = queued_import(people, settings)
    assert jobs.reap() == {}
    running.refresh_from_db()
    job.refresh_from_db()
    assert (running.status, running.interruptions) == (Status.RUNNING, 0)
    assert job.status == ImportStatus.QUEUED


@pytest.mark.django_db
def test_a_queued_job_whose_message_was_lost_is_sent_again_once_per_timeout(people):
    report = briefing(people, enqueue=False)
    Report.objects.filter(pk=report.pk).update(heartbeat_at=long_ago())
    assert jobs.reap() == {"resent": 1}
    report.refresh_from_db()
    assert report.status == Status.QUEUED and not report.is_stale
    assert jobs.reap() == {}


@pytest.mark.django_db
def test_a_second_delivery_of_a_job_is_harmless(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = briefing(people, enqueue=False)
    Report.objects.filter(pk=report.pk).update(status=Status.RUNNING, attempts=1)
    # under way in another worker (fresh heartbeat): left to it
    assert generate_report(report.pk) == Status.RUNNING
    report.refresh_from_db()
    assert (report.status, report.attempts, report.progress) == (Status.RUNNING, 1, 0)
    Report.objects.filter(pk=report.pk).update(status=Status.QUEUED)
    assert generate_report(report.pk) == Status.DONE
    assert generate_report(report.pk) == Status.DONE  # done: not built again
    report.refresh_from_db()
    assert report.attempts == 2

    job = queued_import(people, settings)
    ProgressImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    assert run_import(job.pk) == ImportStatus.RUNNING
    assert ProgressImport.objects.get(pk=job.pk).processed_rows == 0


# --- recomputes without a job row --------------------------------------------------------------


@pytest.mark.django_db
def test_a_recompute_cut_off_with_its_worker_is_sent_again_and_cleared_by_a_full_run():
    name = recompute_schedules.name
    CalendarDay.objects.create(date=datetime.date(2026, 8, 8), is_workday=True)
    marker = PendingRun.objects.get(task=name)
    assert marker.requests == 1 and marker.started_at is None
    # a run began and its worker died
    PendingRun.objects.filter(task=name).update(started_at=long_ago(), heartbeat_at=long_ago())
    assert jobs.reap() == {"recomputes": 1}
    marker.refresh_from_db()
    assert (marker.started_at, marker.failures) == (None, 1)
    assert jobs.reap() == {}  # sent: not again before the heartbeat timeout
    assert recompute_schedules() == 0  # no projects: computed none, and done
    assert not PendingRun.objects.filter(task=name).exists()


@pytest.mark.django_db
def test_a_recompute_asked_for_again_while_it_runs_runs_once_more():
    name = recompute_schedules.name

    def change_the_calendar_meanwhile() -> int:
        CalendarDay.objects.create(date=datetime.date(2026, 8, 8), is_workday=True)
        return 0

    assert jobs.run_pending(name, change_the_calendar_meanwhile) == 0
    marker = PendingRun.objects.get(task=name)
    assert marker.started_at is None and marker.requests == 1  # kept, and sent again
    assert recompute_schedules() == 0
    assert not PendingRun.objects.filter(task=name).exists()


# --- time limits -------------------------------------------------------------------------------


@pytest.mark.skipif(
    not django_settings.REDIS_URL,
    reason="the worker's pool times a task to the millisecond on Redis (its event loop); with "
    "the filesystem transport it looks once a second, longer than this briefing takes",
)
@pytest.mark.django_db(transaction=True)
def test_a_briefing_past_its_soft_time_limit_is_failed_with_a_message(
    transactional_db, people, library, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    app.control.purge()
    # The layout alone takes seconds; this run is allowed a tenth of one (a task's limits travel
    # in its message, set by the sender: the same settings in production).
    report = briefing(people, enqueue=False)
    with worker_process(tmp_path, pool="prefork") as worker:
        generate_report.apply_async(args=[report.pk], soft_time_limit=0.1)
        report = wait_for(report, lambda r: r.finished, worker)
        log = worker.output()
    assert report.status == Status.FAILED, log
    assert report.error.startswith("生成超时") and not report.file
    retried = services.report_retry(report=report, by=people["province_office"])
    assert retried.status == Status.QUEUED


def test_every_task_has_time_limits_and_jobs_longer_ones():
    app.loader.import_default_modules()
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.worker_prefetch_multiplier == 1
    for name in ("reports.tasks.generate_report", "progress.tasks.run_import"):
        task = app.tasks[name]
        assert task.soft_time_limit == django_settings.JOB_SOFT_TIME_LIMIT
        assert task.soft_time_limit < task.time_limit
    if django_settings.REDIS_URL:
        timeout = app.conf.broker_transport_options["visibility_timeout"]
        assert timeout > max(app.conf.task_time_limit, django_settings.JOB_TIME_LIMIT)
    assert app.conf.beat_schedule["reap-jobs"]["task"] == "core.tasks.reap_jobs"
