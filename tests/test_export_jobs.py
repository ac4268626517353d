"""Large exports in the background (core.exports): above EXPORT_SYNC_ROWS an export becomes a
job with a progress page and, once written, a file only its requester can download; the API
answers 202 with the job to poll; the file is removed after EXPORT_RETENTION_HOURS."""

import datetime
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core import exports, jobs
from core.models import ExportJob, ExportStatus
from projects.models import Tag

from . import factories


def names_in(content: bytes) -> list[str]:
    sheet = load_workbook(BytesIO(content), read_only=True).active
    return [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]


def downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def large(settings, tmp_path):
    """Every export of more than one row is large; files go to a folder of the test's own."""
    settings.EXPORT_SYNC_ROWS = 1
    settings.MEDIA_ROOT = tmp_path
    return settings


def test_a_small_export_downloads_at_once(client, people, library, settings):
    settings.EXPORT_SYNC_ROWS = 100
    client.force_login(people["city_office"])
    response = client.get(reverse("projects:export"), {"sort": "name"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert len(names_in(response.content)) == 4  # 江阴 ×3, 宜兴: the city's scope
    assert not ExportJob.objects.exists()


def test_a_large_export_is_a_job_with_progress_and_a_file_for_its_requester(
    client, people, library, large, django_capture_on_commit_callbacks
):
    office = people["city_office"]
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.get(reverse("projects:export"), {"sort": "name"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:detail", args=[job.pk])
    assert (job.requested_by, job.kind, job.status, job.total_rows) == (
        office,
        "projects",
        ExportStatus.QUEUED,
        4,
    )
    assert len(queued) == 1  # the task goes once the request commits

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "job-progress.js" in page.content.decode()
    status = client.get(reverse("exports:status", args=[job.pk])).json()
    assert (status["status"], status["finished"], status["file_url"]) == ("queued", False, None)

    assert exports.run(job.pk) == ExportStatus.DONE
    assert exports.run(job.pk) == ExportStatus.DONE  # a second delivery does nothing
    job.refresh_from_db()
    assert (job.percent, job.written_rows) == (100, 4)
    assert default_storage.exists(job.file.name)
    status = client.get(reverse("exports:status", args=[job.pk])).json()
    assert status["finished"] and status["file_url"] == reverse("exports:download", args=[job.pk])
    assert "下载" in client.get(response["Location"]).content.decode()

    file = client.get(status["file_url"])
    assert file.status_code == 200 and file["Content-Disposition"].startswith("attachment")
    # the same rows, filters and order as the page asked for, read in the worker
    assert names_in(downloaded(file)) == sorted(p.name for p in _city_projects(library))


def _city_projects(library):
    return [library[key] for key in library if library[key].region_id.startswith("3202")]


@pytest.mark.parametrize("who", ["county_office", "province_office", "nobody"])
def test_nobody_else_sees_or_downloads_an_export(client, people, library, large, who):
    client.force_login(people["city_office"])
    client.get(reverse("projects:export"))
    job = ExportJob.objects.get()
    exports.run(job.pk)
    client.force_login(people[who])
    for name in ("exports:detail", "exports:status", "exports:download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name


def test_the_api_answers_202_with_the_job_to_poll(api, people, library, large):
    client = api.as_user(people["city_office"])
    response = client.post(
        "/api/v1/exports/", {"kind": "projects", "query": "sort=name"}, format="json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["total_rows"] == 4
    assert response["Location"] == body["url"] and body["download_url"] is None
    exports.run(body["id"])
    job = client.get(body["url"]).json()
    assert job["finished"] and job["percent"] == 100
    file = client.get(job["download_url"])
    assert file.status_code == 200
    assert len(names_in(downloaded(file))) == 4

    outsider = api.as_user(people["county_office"])
    assert outsider.get(body["url"]).status_code == 404
    assert outsider.get(job["download_url"]).status_code == 404
    assert outsider.get("/api/v1/exports/").json()["count"] == 0


def test_the_api_answers_a_small_export_at_once(api, people, library, settings):
    settings.EXPORT_SYNC_ROWS = 100
    response = api.as_user(people["city_office"]).post(
        "/api/v1/exports/", {"kind": "projects"}, format="json"
    )
    assert response.status_code == 200
    assert len(names_in(response.content)) == 4
    refused = api.as_user(people["city_office"]).post(
        "/api/v1/exports/", {"kind": "secrets"}, format="json"
    )
    assert refused.status_code == 400


def test_files_are_removed_after_the_retention_period(client, people, library, large):
    client.force_login(people["city_office"])
    client.get(reverse("projects:export"))
    job = ExportJob.objects.get()
    exports.run(job.pk)
    job.refresh_from_db()
    name = job.file.name
    hours = large.EXPORT_RETENTION_HOURS
    assert exports.purge(now=timezone.now() + datetime.timedelta(hours=hours - 1)) == 0
    assert default_storage.exists(name)
    assert exports.purge(now=timezone.now() + datetime.timedelta(hours=hours + 1)) == 1
    assert not default_storage.exists(name) and not ExportJob.objects.exists()


def test_an_export_whose_worker_died_is_run_again_then_given_up(people, library, large, settings):
    job = ExportJob.objects.create(
        kind="projects", title="项目库", requested_by=people["city_office"], total_rows=3
    )
    stopped = timezone.now() - datetime.timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, attempts=1, heartbeat_at=stopped
    )
    assert jobs.reap() == {"requeued": 1}
    job.refresh_from_db()
    assert job.status == ExportStatus.QUEUED
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, attempts=settings.JOB_MAX_ATTEMPTS, heartbeat_at=stopped
    )
    assert jobs.reap() == {"failed": 1}
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and "导出中断" in job.error


def test_every_export_page_goes_through_the_same_mechanism(client, people, library, large):
    client.force_login(people["province_office"])
    for name in ("projects:export", "funding:records-export", "issues:closeout-export"):
        response = client.get(reverse(name))
        assert response.status_code in (200, 302), name
    assert {"projects", "issues-closeout", "funding-records", "approvals-performance"} <= set(
        exports.names()
    )


def test_an_export_reads_no_row_by_row(people, library, large):
    """Its queries do not grow with the rows: related rows are joined or prefetched per chunk."""
    office = people["province_office"]

    def queries_and_rows() -> tuple[int, int]:
        job = ExportJob.objects.create(
            kind="projects", title="项目库", requested_by=office, total_rows=1
        )
        with CaptureQueriesContext(connection) as captured:
            exports.run(job.pk)
        job.refresh_from_db()
        return len(captured), job.written_rows

    before, rows = queries_and_rows()
    tag = Tag.objects.create(name="链主")
    for number in range(5):
        factories.project("320281", by=office, name=f"新增项目{number}").tags.add(tag)
    after, more = queries_and_rows()
    assert more == rows + 5 and after == before


def test_a_large_export_holds_what_the_page_shows_row_by_row(people, library, large, monkeypatch):
    """Rows read as plain values in chunks: each keeps its own tags (by name) across the
    chunks, choices show their labels, empty text is a blank cell, a formula stays text and a
    control character is left out."""
    monkeypatch.setattr("core.xlsx.CHUNK_ROWS", 2)
    by = people["province_office"]
    chain, foreign = Tag.objects.create(name="链主"), Tag.objects.create(name="外资")
    first = library["jiangyin_enterprise_1"]
    first.tags.add(chain, foreign)
    library["yixing"].tags.add(chain)
    factories.project("320281", by=by, name='=HYPERLINK("x")\x07')
    job = ExportJob.objects.create(kind="projects", title="项目库", requested_by=by, total_rows=1)
    assert exports.run(job.pk) == ExportStatus.DONE
    job.refresh_from_db()
    sheet = load_workbook(job.file.open("rb")).active
    header = [cell.value for cell in sheet[1]]
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    assert job.written_rows == len(rows) == 7
    tags = header.index("标签")
    assert rows[first.name][tags].value == "外资，链主"  # by name, as the project page lists them
    assert rows[library["yixing"].name][tags].value == "链主"
    assert rows[library["nanjing"].name][tags].value is None
    assert rows[first.name][header.index("项目层级")].value == first.get_tier_display()
    assert rows[first.name][header.index("投资规模")].value == first.investment_bracket
    assert rows[first.name][header.index("所在地区")].value == first.region.name
    hostile = rows['=HYPERLINK("x")']
    assert hostile[1].data_type == "s"
