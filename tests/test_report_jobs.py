"""Report jobs: a real Celery worker process on the configured broker (the filesystem
transport on a fresh machine, Redis when REDIS_URL is set) turns a queued report into a PDF;
the beat schedule produces the documents at their times, in Asia/Shanghai, overridable by the
environment; scheduled runs never duplicate a draft or touch a published period."""

import datetime
import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Unit
from config.celery_app import app
from reports import schedule, services
from reports.models import Kind, Report, Status

from . import factories
from .conftest import worker_process


@pytest.fixture
def worker(settings, tmp_path):
    """``celery -A config worker`` as its own process, on the test database and broker."""
    app.control.purge()  # messages other tests queued without a worker
    settings.MEDIA_ROOT = tmp_path
    with worker_process(tmp_path) as process:
        yield process


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_turns_a_queued_briefing_into_a_pdf(
    transactional_db, people, library, worker
):
    office = people["province_office"]
    today = timezone.localdate()
    report, queued = services.report_request(kind=Kind.BRIEFING, period=f"{today:%Y-%m}", by=office)
    assert queued and report.status == Status.QUEUED
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status in (Status.DONE, Status.FAILED):
            break
        assert worker.poll() is None, worker.output()
        time.sleep(0.5)
    assert report.status == Status.DONE, (
        report.error or f"the worker did not finish in time:\n{worker.output()}"
    )
    assert report.progress == 100 and report.attempts == 1
    with report.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert report.page_count >= 1


# --- the beat schedule -----------------------------------------------------------------------


def beat_entry(name: str, **env) -> dict:
    """A beat entry as the settings build it under ``env`` (a fresh interpreter reads them)."""
    code = (
        "import django, json; django.setup();"
        "from django.conf import settings;"
        f"e = settings.CELERY_BEAT_SCHEDULE[{name!r}];"
        "s = e['schedule'];"
        "print(json.dumps({'task': e['task'], 'args': list(e.get('args', ())),"
        " 'hour': sorted(s.hour), 'minute': sorted(s.minute),"
        " 'day_of_week': sorted(s.day_of_week), 'day_of_month': sorted(s.day_of_month),"
        " 'tz': settings.CELERY_TIMEZONE}))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_beat_produces_each_document_at_its_time_in_shanghai():
    agenda = beat_entry("weekly-meeting-agenda")
    assert agenda["task"] == "reports.tasks.scheduled_reports"
    assert agenda["args"] == ["weekly_agenda"] and agenda["tz"] == "Asia/Shanghai"
    assert (agenda["day_of_week"], agenda["hour"], agenda["minute"]) == ([5], [16], [0])
    briefing = beat_entry("monthly-briefing")
    # the day after the filing deadline (20th)
    assert (briefing["args"], briefing["day_of_month"], briefing["hour"]) == (
        ["briefing"],
        [21],
        [8],
    )
    assert beat_entry("monthly-special-report")["args"] == ["monthly_special"]
    assert beat_entry("monthly-handbook")["args"] == ["handbook"]


def test_beat_times_follow_the_environment():
    agenda = beat_entry(
        "weekly-meeting-agenda", REPORT_AGENDA_AT="07:45", REPORT_AGENDA_WEEKDAY="1"
    )
    assert (agenda["day_of_week"], agenda["hour"], agenda["minute"]) == ([1], [7], [45])
    briefing = beat_entry("monthly-briefing", PROGRESS_DEADLINE_DAY="15")
    assert briefing["day_of_month"] == [16]
    assert beat_entry("monthly-briefing", REPORT_BRIEFING_DAY="3")["day_of_month"] == [3]


@pytest.mark.clock(datetime.date(2026, 11, 20))
@pytest.mark.django_db
def test_scheduled_runs_make_one_draft_and_leave_published_periods_alone(
    people, settings, monkeypatch, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORT_SCHEDULE_REGIONS = ["320000", "320200"]
    friday = datetime.date(2026, 11, 20)
    first = schedule.run(Kind.WEEKLY_AGENDA, friday)
    again = schedule.run(Kind.WEEKLY_AGENDA, friday)
    assert first == again and len(first) == 2
    agendas = Report.objects.filter(kind=Kind.WEEKLY_AGENDA)
    # produced on Friday for the meeting of the week after
    assert set(agendas.values_list("period", flat=True)) == {"2026-W48"}
    assert {r.unit.region_id for r in agendas} == {"320000", "320200"}

    # a published period is not reissued by the clock
    handbook_ids = schedule.run(Kind.HANDBOOK, friday)
    for pk in handbook_ids:
        services.report_run(pk)
        services.report_publish(report=Report.objects.get(pk=pk), by=people["admin"])
    assert schedule.run(Kind.HANDBOOK, friday) == []
    assert Report.objects.filter(kind=Kind.HANDBOOK).count() == 2


@pytest.mark.django_db
def test_scheduled_run_skips_a_region_without_an_office(settings):
    factories.office("320000")
    Unit.objects.filter(region="320500", kind=Unit.Kind.OFFICE).delete()
    settings.REPORT_SCHEDULE_REGIONS = ["320000", "320500"]
    made = schedule.run(Kind.HANDBOOK, datetime.date(2026, 11, 25))
    assert len(made) == 1
