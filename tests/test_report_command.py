"""``manage.py generate_report KIND PERIOD``: generated in-process by default (the id, number
and file are printed), only queued with ``--queue``, refused in Chinese, and a failed job
makes the command fail.

Today is pinned to Monday 23 November 2026."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.models import Kind, Report, Status

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def generate(*args) -> str:
    out = io.StringIO()
    call_command("generate_report", *args, stdout=out)
    return out.getvalue()


def test_a_handbook_is_generated_in_process(db):
    output = generate("handbook", "2026-11")

    report = Report.objects.get()
    assert report.kind == Kind.HANDBOOK and report.status == Status.DONE
    assert report.unit == factories.office("320000")  # the province's office by default
    assert f"#{report.pk}" in output and report.number_label in output
    assert "已生成" in output
    path = Path(report.file.path)
    assert str(path) in output and path.read_bytes()[:2] == b"PK"


def test_a_briefing_is_generated_for_a_region(db):
    output = generate("briefing", "2026-11", "--region", "320200", "--sync")

    report = Report.objects.get()
    assert report.status == Status.DONE, report.error
    assert report.unit == factories.office("320200")
    assert Path(report.file.path).read_bytes().startswith(b"%PDF")
    assert report.file.path in output and "第1期" in output and f"{report.page_count} 页" in output


def test_running_again_regenerates_the_draft_under_its_number(db):
    generate("handbook", "2026-11")
    generate("handbook", "2026-11")

    report = Report.objects.get()
    assert (report.number, report.attempts, report.status) == (1, 2, Status.DONE)


def test_queue_only_queues(db):
    output = generate("handbook", "2026-10", "--queue")

    report = Report.objects.get()
    assert report.status == Status.QUEUED and not report.file
    assert "已排队" in output and f"#{report.pk}" in output
    assert "已在排队" in generate("handbook", "2026-10", "--queue")
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("newsletter", "2026-11"), "未知的文档类型"),
        (("briefing", "2026-13"), "月份应为"),
        (("weekly_agenda", "2026-11"), "周期应为"),
        (("briefing", "2026-12"), "尚未开始的月份"),
        (("briefing", "2026-11", "--region", "999999"), "行政区划代码“999999”不存在"),
        (("briefing", "2026-11", "--today", "yesterday"), "日期格式"),
    ],
)
def test_refusals_are_explained(db, args, message):
    with pytest.raises(CommandError, match=message):
        generate(*args)
    assert not Report.objects.exists()


def test_a_failed_job_fails_the_command(db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("模板缺失")

    monkeypatch.setattr("reports.documents.build", broken)

    with pytest.raises(CommandError, match="生成失败.*模板缺失"):
        generate("handbook", "2026-11")
    report = Report.objects.get()
    assert report.status == Status.FAILED and "模板缺失" in report.error


def test_the_process_exits_non_zero_on_failure(db):
    from django.core.management import ManagementUtility

    utility = ManagementUtility(["manage.py", "generate_report", "briefing", "2026-13"])
    with pytest.raises(SystemExit) as exit_:
        utility.execute()
    assert exit_.value.code != 0
