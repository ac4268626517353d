"""Backup and restore (core/backup.py, manage.py backup / restore).

The manifest's comparisons, the refusals, retention and the stored files' archive run anywhere;
the round trip through pg_dump and pg_restore into a new database needs PostgreSQL
(DATABASE_URL=postgres://…) and is skipped on SQLite.
"""

import datetime
import io
import json
import os
import tarfile
import time
import zoneinfo
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core import backup
from core.management.commands.backup import next_time

ON_POSTGRES = connection.vendor == "postgresql"
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="pg_dump/pg_restore round trip: needs DATABASE_URL=postgres://… (SQLite here)",
)


# --- versions, refusals ------------------------------------------------------------------------


def test_the_client_major_version_is_read_from_its_banner():
    assert backup.parse_major("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)") == 15
    assert backup.parse_major("pg_restore (PostgreSQL) 17.2") == 17


def test_a_client_older_than_the_server_is_refused_with_the_package_to_install():
    backup.check_tool_version("pg_dump", 17, 16)
    backup.check_tool_version("pg_dump", 16, 16)
    with pytest.raises(backup.BackupError, match="postgresql-client-16"):
        backup.check_tool_version("pg_dump", 15, 16)


def test_sqlite_is_refused_with_what_to_do_instead():
    with pytest.raises(backup.BackupError) as refused:
        backup.Database.from_settings(
            {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/var/db.sqlite3"}
        )
    message = str(refused.value)
    assert "PostgreSQL" in message and "SQLite" in message
    assert "复制" in message and "copy the database file" in message


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite refusal: this run is on PostgreSQL")
def test_the_backup_command_refuses_sqlite(tmp_path):
    with pytest.raises(CommandError, match="SQLite"):
        call_command("backup", dest=tmp_path, stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_the_password_goes_through_the_environment_not_the_command_line():
    database = backup.Database.from_url("postgres://app:s3cret@db.example:6543/platform")
    assert database.environ()["PGPASSWORD"] == "s3cret"
    assert database.environ()["PGHOST"] == "db.example"
    assert database.environ()["PGDATABASE"] == "platform"
    assert "s3cret" not in database.label


# --- the manifest -----------------------------------------------------------------------------


def test_row_count_differences_name_every_table_that_differs():
    expected = {"a": 3, "b": 5, "c": 0}
    assert backup.count_differences(expected, dict(expected)) == []
    lines = backup.count_differences(expected, {"a": 3, "b": 4, "d": 1})
    assert [line.split(":")[0] for line in lines] == ["b", "c", "d"]
    assert "5" in lines[0] and "4" in lines[0]


def test_append_only_tables_must_match_in_content_and_keep_their_trigger():
    audit = {"rows": 2, "max_id": 2, "md5": "x"}
    assert backup.digest_differences({"audit": audit}, {"audit": dict(audit)}) == []
    assert backup.digest_differences({"audit": audit}, {"audit": {**audit, "md5": "y"}})
    assert "trigger" in backup.digest_differences({"audit": audit}, {})[0]


def fake_backup(folder: Path, name: str) -> Path:
    path = folder / name
    path.mkdir(parents=True)
    (path / backup.MANIFEST).write_text("{}")
    return path


def test_retention_keeps_the_newest_backups_and_what_is_not_a_backup(tmp_path):
    names = [f"backup-202611{day:02d}T023000Z" for day in range(1, 6)]
    for name in names:
        fake_backup(tmp_path, name)
    (tmp_path / "notes").mkdir()
    (tmp_path / "backup-20261130T023000Z").mkdir()  # no manifest: not one of ours
    removed = backup.prune(tmp_path, 2)
    assert [path.name for path in removed] == names[:3]
    assert [path.name for path in backup.backups(tmp_path)] == names[3:]
    assert (tmp_path / "notes").is_dir() and (tmp_path / "backup-20261130T023000Z").is_dir()
    assert backup.prune(tmp_path, 0) == []  # 0: keep all


def test_retention_removes_what_a_crashed_run_left_once_it_is_a_day_old(tmp_path):
    stale = tmp_path / "backup-20261101T023000Z.partial"
    fresh = tmp_path / "backup-20261102T023000Z.partial"
    stale.mkdir()
    fresh.mkdir()
    # both times from this process's clock (TEST_CLOCK moves it; the file system's does not)
    now = time.time()
    old = now - 2 * 24 * 60 * 60
    os.utime(stale, (old, old))
    os.utime(fresh, (now, now))
    assert backup.prune(tmp_path, 5) == [stale]
    assert fresh.is_dir()


# --- stored files -----------------------------------------------------------------------------


def test_the_storage_archive_restores_every_file(tmp_path):
    media = tmp_path / "media"
    (media / "reports" / "2026").mkdir(parents=True)
    (media / "reports" / "2026" / "a.pdf").write_bytes(b"%PDF-1.7 a")
    (media / "top.txt").write_bytes(b"x" * 1000)
    backup.tar_media(media, tmp_path / "media.tar")
    backup.untar_media(tmp_path / "media.tar", tmp_path / "restored")
    assert backup.media_stats(tmp_path / "restored") == {"files": 2, "bytes": 1010}
    assert backup.media_stats(media) == backup.media_stats(tmp_path / "restored")
    assert (tmp_path / "restored" / "reports" / "2026" / "a.pdf").read_bytes() == b"%PDF-1.7 a"


def test_an_archive_reaching_outside_the_storage_root_is_refused(tmp_path):
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        data = b"owned"
        info = tarfile.TarInfo("../outside.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(backup.BackupError, match="outside.txt"):
        backup.untar_media(archive, tmp_path / "restored")
    assert not (tmp_path / "outside.txt").exists()


def test_a_damaged_backup_is_refused_before_anything_is_restored(tmp_path):
    with pytest.raises(backup.BackupError, match="manifest.json"):
        backup.read_manifest(tmp_path)
    (tmp_path / backup.DUMP).write_bytes(b"dump")
    (tmp_path / backup.MEDIA).write_bytes(b"tar")
    manifest = {
        "format": backup.FORMAT,
        "database": {"sha256": backup.sha256(tmp_path / backup.DUMP)},
        "media": {"sha256": backup.sha256(tmp_path / backup.MEDIA)},
    }
    (tmp_path / backup.MANIFEST).write_text(json.dumps(manifest))
    assert backup.read_manifest(tmp_path)["format"] == backup.FORMAT
    (tmp_path / backup.DUMP).write_bytes(b"dumq")
    with pytest.raises(backup.BackupError, match="db.dump"):
        backup.read_manifest(tmp_path)


def test_the_daily_backup_waits_for_the_next_time_of_day():
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    before = datetime.datetime(2026, 12, 31, 1, 0, tzinfo=shanghai)
    after = datetime.datetime(2026, 12, 31, 3, 0, tzinfo=shanghai)
    at = datetime.time(2, 30)
    assert next_time(at, before) == datetime.datetime(2026, 12, 31, 2, 30, tzinfo=shanghai)
    assert next_time(at, after) == datetime.datetime(2027, 1, 1, 2, 30, tzinfo=shanghai)


# --- the round trip (PostgreSQL) ---------------------------------------------------------------


@pytest.fixture
def restore_target():
    """A database name of the test's own on the test server, dropped afterwards."""
    source = backup.Database.from_settings(connection.settings_dict)
    target = backup.Database(**{**source.__dict__, "name": f"{source.name}_restore_{os.getpid()}"})
    yield target
    with source.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')


@needs_postgres
# committed rows, for pg_dump to see (on SQLite the test is skipped before any database is set up)
@(pytest.mark.django_db(transaction=True) if ON_POSTGRES else lambda test: test)
def test_a_backup_restores_into_a_new_database_and_folder_as_it_was(
    tmp_path, settings, restore_target
):
    from audit.models import Action, AuditEntry

    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "reports").mkdir(parents=True)
    (tmp_path / "media" / "reports" / "briefing.pdf").write_bytes(b"%PDF-1.7 briefing")
    AuditEntry.objects.create(action=Action.LOGIN, username="province_office")
    AuditEntry.objects.create(action=Action.DOWNLOAD, username="leader", object_text="简报")
    # the trail is append-only: other tests' committed rows stay in a shared test database
    audit_rows = AuditEntry.objects.count()
    assert audit_rows >= 2

    out = io.StringIO()
    call_command("backup", dest=tmp_path / "backups", keep=3, stdout=out)
    (folder,) = backup.backups(tmp_path / "backups")
    manifest = json.loads((folder / backup.MANIFEST).read_text())
    assert manifest["tables"]["audit_auditentry"] == audit_rows
    assert manifest["append_only"]["audit_auditentry"]["rows"] == audit_rows
    assert manifest["media"] == {**manifest["media"], "files": 1, "bytes": 17}
    assert manifest["migrations"]["audit"]

    restored_media = tmp_path / "restored-media"
    out = io.StringIO()
    call_command(
        "restore",
        folder,
        database_url=_url(restore_target),
        media_root=restored_media,
        stdout=out,
    )
    assert "恢复完成并已核对" in out.getvalue()
    assert (restored_media / "reports" / "briefing.pdf").read_bytes() == b"%PDF-1.7 briefing"
    with restore_target.connect() as restored, connection.cursor() as original:
        with restored.cursor() as cursor:
            assert backup.row_counts(cursor) == manifest["tables"]
            cursor.execute("SELECT username FROM audit_auditentry ORDER BY id DESC LIMIT 2")
            assert [name for (name,) in cursor.fetchall()] == ["leader", "province_office"]
        original.execute("SELECT count(*) FROM accounts_region")
        assert manifest["tables"]["accounts_region"] == original.fetchone()[0] > 0
        # the audit trail is still append-only on the copy
        with pytest.raises(Exception, match="append-only"):
            restored.execute("DELETE FROM audit_auditentry")
        restored.rollback()

    # once more into the same database: refused, it is not empty
    with pytest.raises(CommandError, match="--force"):
        call_command(
            "restore", folder, database_url=_url(restore_target), media_root=tmp_path / "other"
        )

    # a copy that lost a row does not pass the check
    with restore_target.connect(autocommit=True) as restored:
        restored.execute(
            "DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM django_migrations)"
        )
    with pytest.raises(backup.BackupError, match="django_migrations"):
        backup.verify(manifest, database=restore_target, media_root=restored_media)


def _url(database: backup.Database) -> str:
    auth = database.user + (f":{database.password}" if database.password else "")
    return (
        f"postgres://{auth}@{database.host or '127.0.0.1'}:{database.port or 5432}/{database.name}"
    )
