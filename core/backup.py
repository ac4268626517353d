"""Backup and restore of the whole platform: the PostgreSQL database and the stored files.

A backup is one directory ``backup-YYYYMMDDTHHMMSSZ`` (UTC) holding

    db.dump        ``pg_dump -Fc`` (custom format) of the database
    media.tar      the stored files (generated documents, uploads), read through Django's
                   storage API: the folder MEDIA_ROOT, or the bucket when S3_BUCKET is set
    manifest.json  when, the server and pg_dump versions, the applied migrations, the rows of
                   every table, the files (count, bytes), the SHA-256 of db.dump and media.tar,
                   and for each append-only table (the audit trail, the event tables) its rows,
                   last id and a digest of its content

The row counts and the dump come from one snapshot (``pg_export_snapshot`` / ``pg_dump
--snapshot``), so they agree while the platform keeps writing. The directory is written as
``….partial`` and renamed when complete: a backup that is listed is whole.

:func:`restore` loads a backup into a *fresh* database and storage root (it refuses a database
with tables or a non-empty folder unless forced), with ``pg_restore --no-owner --exit-on-error
--single-transaction``, then checks the result against the manifest — every table's rows, the
append-only tables' content and their triggers (which must still refuse an UPDATE), the files —
and fails on any difference.

Files go through the storage API (``listdir``, ``open``, ``save``), never a local path, so a
backup taken on any machine holds the object store's files too, and a restore writes them back
into whichever storage is configured (or a folder given with ``--media-root``). An object store's
own versioning and replication are worth having besides (README, 备份与恢复): they keep every
version of a file between two nightly backups.

The ``pg_dump``/``pg_restore`` on PATH are used; their major version must be at least the
server's. The password goes to them through the environment (PGPASSWORD), never the command
line. SQLite is not supported: there, stop the platform and copy the database file and the
media folder.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from psycopg import sql

FORMAT = 1
NAME_RE = re.compile(r"^backup-\d{8}T\d{6}Z$")
PARTIAL_SUFFIX = ".partial"
#: a ``….partial`` directory this old is what a crashed run left: retention removes it
PARTIAL_STALE_SECONDS = 24 * 60 * 60
DUMP = "db.dump"
MEDIA = "media.tar"
MANIFEST = "manifest.json"

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on, or whose result differs from the manifest."""


# --- the database -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database, as the client tools and psycopg reach it."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict) -> Database:
        engine = settings_dict.get("ENGINE", "")
        if not engine.endswith(("postgresql", "postgis")):
            raise BackupError(_not_postgres(engine, settings_dict.get("NAME")))
        return cls(
            name=str(settings_dict["NAME"]),
            host=str(settings_dict.get("HOST") or ""),
            port=str(settings_dict.get("PORT") or ""),
            user=str(settings_dict.get("USER") or ""),
            password=str(settings_dict.get("PASSWORD") or ""),
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls.from_settings(dj_database_url.parse(url))

    @property
    def label(self) -> str:
        """The database without its password, for messages."""
        where = f"{self.host or 'localhost'}:{self.port or 5432}"
        return f"{self.user + '@' if self.user else ''}{where}/{self.name}"

    def environ(self) -> dict[str, str]:
        """The environment for pg_dump/pg_restore: connection and password, off the command
        line (where any user of the machine could read them)."""
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        for key, value in (
            ("PGHOST", self.host),
            ("PGPORT", self.port),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGDATABASE", self.name),
        ):
            if value:
                environ[key] = value
        return environ

    def connect(self, *, dbname: str | None = None, autocommit: bool = False):
        params = {"dbname": dbname or self.name, "autocommit": autocommit}
        for key, value in (
            ("host", self.host),
            ("port", self.port),
            ("user", self.user),
            ("password", self.password),
        ):
            if value:
                params[key] = value
        connection = psycopg.connect(**params)
        # table digests read timestamps as text: the same zone on both sides
        connection.execute("SET TIME ZONE 'UTC'")
        if not autocommit:
            connection.commit()
        return connection


def _not_postgres(engine: str, name) -> str:
    if engine.endswith("sqlite3"):
        return (
            "备份和恢复需要 PostgreSQL（pg_dump/pg_restore）；当前数据库是 SQLite"
            f"（{name}）：停止平台后直接复制该数据库文件和 MEDIA_ROOT 文件夹即可备份。\n"
            "Backup and restore need PostgreSQL (pg_dump/pg_restore); this database is SQLite "
            f"({name}): stop the platform and copy the database file and the MEDIA_ROOT folder."
        )
    return (
        f"备份和恢复只支持 PostgreSQL，当前数据库引擎为 {engine}。/ PostgreSQL only, not {engine}."
    )


# --- client tools ------------------------------------------------------------------------------


def tool_path(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(
            f"找不到 {tool}：请安装 PostgreSQL 客户端（Debian: postgresql-client），"
            f"其主版本不低于服务器。/ {tool} is not on PATH: install the PostgreSQL client tools."
        )
    return path


def tool_major(tool: str) -> int:
    output = subprocess.run(  # noqa: S603 — a client tool found on PATH, fixed arguments
        [tool_path(tool), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return parse_major(output)


def parse_major(version_text: str) -> int:
    """``pg_dump (PostgreSQL) 15.20 (Debian …)`` → 15."""
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", version_text) or re.search(r"(\d+)", version_text)
    if match is None:
        raise BackupError(f"无法识别版本：{version_text.strip()}")
    return int(match.group(1))


def check_tool_version(tool: str, tool_major_version: int, server_major: int) -> None:
    """A client tool must be the server's major version or newer (an older pg_dump refuses a
    newer server; an older pg_restore cannot read a newer dump)."""
    if tool_major_version < server_major:
        raise BackupError(
            f"{tool} 的版本 {tool_major_version} 低于 PostgreSQL 服务器的 {server_major}："
            f"请安装 postgresql-client-{server_major} 或更新的版本。/ {tool} "
            f"{tool_major_version} is older than the server ({server_major}): install "
            f"postgresql-client-{server_major} or newer."
        )


def server_major(connection) -> int:
    return connection.info.server_version // 10000


# --- what a database holds -----------------------------------------------------------------------


def tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    return [name for (name,) in cursor.fetchall()]


def row_counts(cursor) -> dict[str, int]:
    counts = {}
    for table in tables(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    return counts


def append_only_tables(cursor) -> list[str]:
    """The tables whose trigger refuses UPDATE and DELETE (core/db.py, audit/db.py)."""
    cursor.execute(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND NOT t.tgisinternal"
        " AND t.tgname = c.relname || '_append_only' ORDER BY c.relname"
    )
    return [name for (name,) in cursor.fetchall()]


def table_digest(cursor, table: str) -> dict:
    """Rows, last id and an MD5 of every row's text in id order: equal only if the content is."""
    cursor.execute(
        sql.SQL(
            "SELECT count(*), max(t.id), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id),"
            " '')) FROM {} t"
        ).format(sql.Identifier(table))
    )
    rows, last_id, digest = cursor.fetchone()
    return {"rows": rows, "max_id": last_id, "md5": digest}


def append_only_digests(cursor) -> dict[str, dict]:
    return {table: table_digest(cursor, table) for table in append_only_tables(cursor)}


def migrations(cursor) -> dict[str, list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, id")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def count_differences(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    """Each table whose rows differ, is missing or is extra, as a line to show."""
    lines = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            lines.append(f"{table}: 备份中 {expected[table]} 行，恢复后缺少该表 / table missing")
        elif table not in expected:
            lines.append(f"{table}: 备份中没有该表，恢复后有 {actual[table]} 行 / extra table")
        elif expected[table] != actual[table]:
            lines.append(
                f"{table}: 备份中 {expected[table]} 行，恢复后 {actual[table]} 行"
                f" / {expected[table]} rows backed up, {actual[table]} restored"
            )
    return lines


def digest_differences(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    lines = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            lines.append(f"{table}: 恢复后缺少只追加触发器 / append-only trigger missing")
        elif table not in expected:
            lines.append(f"{table}: 备份中没有只追加触发器 / unexpected append-only table")
        elif expected[table] != actual[table]:
            lines.append(
                f"{table}: 内容不一致 / content differs: {expected[table]} ≠ {actual[table]}"
            )
    return lines


# --- files ------------------------------------------------------------------------------------

#: where the stored files are: a storage (the default one, or an object store), or a folder
Files = Storage | Path | str


def as_storage(files: Files) -> Storage:
    """A storage for ``files``; a folder becomes a FileSystemStorage there."""
    if isinstance(files, Storage):
        return files
    return FileSystemStorage(location=str(files))


def describe(files: Files) -> str:
    """Where the files are, for the manifest and messages (no credentials)."""
    storage = as_storage(files)
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        location = getattr(storage, "location", "") or ""
        return f"s3://{bucket}/{location}".rstrip("/")
    return str(getattr(storage, "location", "") or type(storage).__name__)


def stored_names(files: Files) -> list[str]:
    """Every file in the storage, sorted (folders or key prefixes walked through ``listdir``)."""
    storage = as_storage(files)
    names: list[str] = []
    pending = [""]
    while pending:
        folder = pending.pop()
        try:
            folders, found = storage.listdir(folder)
        except FileNotFoundError:  # a folder storage whose root does not exist yet: empty
            continue
        prefix = f"{folder}/" if folder else ""
        names += (prefix + name for name in found)
        pending += (prefix + name for name in folders)
    return sorted(names)


def media_stats(files: Files) -> dict[str, int]:
    storage = as_storage(files)
    names = stored_names(storage)
    return {"files": len(names), "bytes": sum(storage.size(name) for name in names)}


def tar_media(files: Files, archive: Path) -> dict[str, int]:
    """Every stored file, named as the storage names it, streamed into ``archive``; returns
    how many files and bytes went in."""
    storage = as_storage(files)
    stats = {"files": 0, "bytes": 0}
    with tarfile.open(archive, "w") as tar:
        for name in stored_names(storage):
            with storage.open(name, "rb") as handle:
                info = tarfile.TarInfo(name)
                info.size = storage.size(name)
                info.mtime = int(time.time())
                tar.addfile(info, handle)
            stats["files"] += 1
            stats["bytes"] += info.size
    return stats


def untar_media(archive: Path, files: Files) -> None:
    """Write every file of ``archive`` into the storage under its own name (one already there is
    replaced: a forced restore)."""
    storage = as_storage(files)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            name = Path(member.name)
            if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
                raise BackupError(f"{archive} 中有不允许的条目 / unsafe entry: {member.name}")
        for member in members:
            if not member.isfile():
                continue  # folders come with their files (an object store has none)
            if storage.exists(member.name):
                storage.delete(member.name)
            saved = storage.save(member.name, File(tar.extractfile(member), name=member.name))
            if saved != member.name:
                raise BackupError(f"文件 {member.name} 被存为 {saved} / stored under another name")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


# --- backup -----------------------------------------------------------------------------------


def backup(
    dest: Path,
    *,
    settings_dict: dict,
    media_root: Files,
    keep: int = 0,
    now: datetime.datetime | None = None,
    log: Log = print,
) -> Path:
    """Write a backup of the database and of the files in ``media_root`` (a storage, or a
    folder) under ``dest`` and return its directory; then keep the newest ``keep`` backups there
    (0: all)."""
    database = Database.from_settings(settings_dict)
    dest = Path(dest)
    now = now or datetime.datetime.now(datetime.UTC)
    name = now.astimezone(datetime.UTC).strftime("backup-%Y%m%dT%H%M%SZ")
    final = dest / name
    work = dest / (name + PARTIAL_SUFFIX)
    if final.exists() or work.exists():
        raise BackupError(f"{final} 已存在 / already exists")
    work.mkdir(parents=True)
    started = time.monotonic()
    try:
        manifest = _dump(database, work, now=now, log=log)
        manifest["media"] = {
            **tar_media(media_root, work / MEDIA),
            "root": describe(media_root),
            "sha256": sha256(work / MEDIA),
        }
        manifest["seconds"] = round(time.monotonic() - started, 2)
        (work / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log(
        f"备份完成 / backup written: {final} — {sum(manifest['tables'].values())} 行 / rows in "
        f"{len(manifest['tables'])} 张表 / tables, {manifest['media']['files']} 个文件 / files "
        f"({manifest['media']['bytes']} bytes), {manifest['seconds']} 秒 / s"
    )
    for removed in prune(dest, keep):
        log(f"按保留份数删除旧备份 / removed by retention: {removed}")
    return final


def _dump(database: Database, work: Path, *, now: datetime.datetime, log: Log) -> dict:
    """pg_dump of one snapshot, and the manifest's database part from that same snapshot."""
    try:
        connection = database.connect()
    except psycopg.OperationalError as error:
        raise BackupError(f"无法连接 {database.label} / cannot connect: {error}") from error
    with connection:
        major = server_major(connection)
        version = connection.info.server_version
        dump_major = tool_major("pg_dump")
        check_tool_version("pg_dump", dump_major, major)
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = row_counts(cursor)
            digests = append_only_digests(cursor)
            applied = migrations(cursor) if "django_migrations" in counts else {}
            log(f"pg_dump {database.label} …")
            result = subprocess.run(  # noqa: S603 — pg_dump from PATH, no shell, no password
                [
                    tool_path("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={work / DUMP}",
                    "--no-password",
                ],
                env=database.environ(),
                capture_output=True,
                text=True,
            )
        connection.rollback()
    if result.returncode != 0:
        raise BackupError(f"pg_dump 失败 / failed:\n{result.stderr.strip()}")
    return {
        "format": FORMAT,
        "created_at": now.astimezone(datetime.UTC).isoformat(),
        "database": {
            "name": database.name,
            "server_major": major,
            "server_version": version,
            "pg_dump_major": dump_major,
            "sha256": sha256(work / DUMP),
            "bytes": (work / DUMP).stat().st_size,
        },
        "migrations": applied,
        "tables": counts,
        "append_only": digests,
    }


def backups(dest: Path) -> list[Path]:
    """The complete backups under ``dest``, oldest first."""
    if not Path(dest).is_dir():
        return []
    return sorted(
        path
        for path in Path(dest).iterdir()
        if path.is_dir() and NAME_RE.match(path.name) and (path / MANIFEST).is_file()
    )


def prune(dest: Path, keep: int, *, now: float | None = None) -> list[Path]:
    """Remove all but the newest ``keep`` backups (0 or less: keep all), and what crashed runs
    left (``….partial`` older than a day). Returns what was removed."""
    removed = []
    if keep > 0:
        for path in backups(dest)[:-keep]:
            shutil.rmtree(path)
            removed.append(path)
    now = time.time() if now is None else now
    if Path(dest).is_dir():
        for path in Path(dest).iterdir():
            if (
                path.is_dir()
                and path.name.endswith(PARTIAL_SUFFIX)
                and NAME_RE.match(path.name.removesuffix(PARTIAL_SUFFIX))
                and now - path.stat().st_mtime > PARTIAL_STALE_SECONDS
            ):
                shutil.rmtree(path)
                removed.append(path)
    return removed


# --- restore ----------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    """The manifest of the backup directory ``path``, after checking the files' SHA-256."""
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError as missing:
        raise BackupError(f"{path} 不是备份目录（没有 {MANIFEST}）/ not a backup") from missing
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份格式 / unsupported format: {manifest.get('format')}")
    for part, key in ((DUMP, "database"), (MEDIA, "media")):
        if not (path / part).is_file():
            raise BackupError(f"{path / part} 不存在 / missing")
        if sha256(path / part) != manifest[key]["sha256"]:
            raise BackupError(f"{path / part} 的校验和与清单不符（文件已损坏）/ checksum mismatch")
    return manifest


def restore(
    path: Path,
    *,
    database: Database,
    media_root: Files,
    force: bool = False,
    log: Log = print,
) -> dict:
    """Restore the backup ``path`` into ``database`` (created when missing) and ``media_root``
    (a storage, or a folder), then check the result against the manifest. Returns the manifest
    with ``seconds``."""
    started = time.monotonic()
    path, storage = Path(path), as_storage(media_root)
    manifest = read_manifest(path)
    restore_major = tool_major("pg_restore")
    check_tool_version("pg_restore", restore_major, manifest["database"]["pg_dump_major"])
    _create_if_missing(database, log)
    with database.connect(autocommit=True) as connection:
        major = server_major(connection)
        if major < manifest["database"]["server_major"]:
            raise BackupError(
                f"目标服务器 PostgreSQL {major} 比备份来源 {manifest['database']['server_major']} "
                f"旧，不能恢复。/ The target server is older than the backup's source."
            )
        with connection.cursor() as cursor:
            existing = tables(cursor)
    if existing and not force:
        raise BackupError(
            f"目标数据库 {database.label} 不是空的（{len(existing)} 张表）："
            "请恢复到新建的空数据库，或加 --force 覆盖。/ The target database is not empty "
            f"({len(existing)} tables): "
            "restore into a new database, or pass --force to overwrite it."
        )
    if stored_names(storage) and not force:
        raise BackupError(
            f"目标存储 {describe(storage)} 不是空的：请恢复到新的空文件夹或存储桶，或加 --force "
            f"覆盖。/ {describe(storage)} is not empty: restore into a new folder or bucket, or "
            "pass --force."
        )
    log(f"pg_restore → {database.label} …")
    command = [
        tool_path("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        f"--dbname={database.name}",
    ]
    if existing:
        command += ["--clean", "--if-exists"]
    result = subprocess.run(  # noqa: S603 — pg_restore from PATH, no shell, no password
        [*command, str(path / DUMP)], env=database.environ(), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore 失败 / failed:\n{result.stderr.strip()}")
    log(f"文件 → {describe(storage)} …")
    untar_media(path / MEDIA, storage)
    verify(manifest, database=database, media_root=storage)
    manifest["seconds"] = round(time.monotonic() - started, 2)
    return manifest


def _create_if_missing(database: Database, log: Log) -> None:
    """Create the target database when the server has none of that name (asked through the
    ``postgres`` maintenance database)."""
    try:
        database.connect(autocommit=True).close()
        return
    except psycopg.OperationalError as error:
        failure = error
    try:
        with database.connect(dbname="postgres", autocommit=True) as connection:
            found = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database.name]
            ).fetchone()
            if found is None:
                connection.execute(
                    sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                        sql.Identifier(database.name)
                    )
                )
                log(f"已新建数据库 / created database {database.label}")
                return
    except psycopg.Error:
        pass
    raise BackupError(f"无法连接 {database.label} / cannot connect: {failure}") from failure


def verify(manifest: dict, *, database: Database, media_root: Files) -> None:
    """The restored copy against the manifest: rows of every table, the append-only tables'
    content and triggers (an UPDATE must still be refused), the files."""
    problems = []
    with database.connect() as connection:
        with connection.cursor() as cursor:
            problems += count_differences(manifest["tables"], row_counts(cursor))
            problems += digest_differences(manifest["append_only"], append_only_digests(cursor))
        connection.rollback()
        for table, digest in manifest["append_only"].items():
            if digest["max_id"] is None:
                continue
            try:
                with connection.transaction():
                    connection.execute(
                        sql.SQL("UPDATE {} SET id = id WHERE id = %s").format(
                            sql.Identifier(table)
                        ),
                        [digest["max_id"]],
                    )
                    raise psycopg.Rollback()  # never keep it, whatever happens
            except psycopg.errors.RaiseException:
                continue
            problems.append(f"{table}: 触发器没有拒绝 UPDATE / the trigger let an UPDATE through")
    files = media_stats(media_root)
    expected = {key: manifest["media"][key] for key in ("files", "bytes")}
    if files != expected:
        problems.append(f"文件 / files: 备份中 {expected}，恢复后 {files}")
    if problems:
        raise BackupError(
            "恢复结果与备份清单不一致 / the restored copy differs from the manifest:\n  "
            + "\n  ".join(problems)
        )


def unapplied_migrations(manifest: dict) -> list[str]:
    """The code's latest migrations that the backed-up database had not applied (run
    ``migrate`` after restoring)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    return sorted(
        f"{app}.{name}" for app, name in loader.graph.leaf_nodes() if (app, name) not in applied
    )
