"""``manage.py backup``: the database (pg_dump -Fc) and the stored files in one folder with a
manifest (core/backup.py); ``--daily-at HH:MM`` keeps doing it every day (docker-compose's
backup service)."""

import datetime
import time
import zoneinfo
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core import backup


class Command(BaseCommand):
    help = (
        "备份数据库（pg_dump 自定义格式）和存储的文件（MEDIA_ROOT，"
        "或设置了 S3_BUCKET 时的对象存储），写入带时间戳的文件夹，"
        "含清单（各表行数、文件数、校验和），并只保留最新的若干份。"
    )
    # the checks have nothing to say about a backup, and must not stop a nightly one
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--dest", type=Path, help=f"备份写入的文件夹，默认 BACKUP_DIR（{settings.BACKUP_DIR}）"
        )
        parser.add_argument(
            "--keep",
            type=int,
            help=f"只保留最新的 N 份备份，0 为全部保留；默认 BACKUP_KEEP（{settings.BACKUP_KEEP}）",
        )
        parser.add_argument(
            "--daily-at",
            metavar="HH:MM",
            help="不退出，每天在该时刻（北京时间）备份一次（docker-compose 的 backup 服务）",
        )

    def handle(self, *args, dest=None, keep=None, daily_at=None, **options):
        dest = dest or settings.BACKUP_DIR
        keep = settings.BACKUP_KEEP if keep is None else keep
        if daily_at is None:
            self.run(dest, keep)
            return
        try:
            hour, minute = (int(part) for part in daily_at.split(":"))
            at = datetime.time(hour, minute)
        except ValueError as error:
            raise CommandError(f"--daily-at 应为 HH:MM：{daily_at}") from error
        # refuse at once what would fail every night (SQLite, no pg_dump)
        self.check_possible()
        while True:
            wake = next_time(at, datetime.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)))
            self.stdout.write(f"下一次备份 / next backup: {wake.isoformat()}")
            time.sleep(max(0.0, (wake - wake.now(wake.tzinfo)).total_seconds()))
            try:
                self.run(dest, keep)
            except Exception as error:  # told, and tried again tomorrow
                self.stderr.write(f"备份失败 / backup failed: {error}")
            finally:
                connection.close()

    def check_possible(self):
        try:
            backup.Database.from_settings(connection.settings_dict)
            backup.tool_path("pg_dump")
        except backup.BackupError as error:
            raise CommandError(str(error)) from error

    def run(self, dest, keep):
        try:
            backup.backup(
                dest,
                settings_dict=connection.settings_dict,
                # the configured storage: the folder, or the object store's bucket
                media_root=storages["default"],
                keep=keep,
                log=self.stdout.write,
            )
        except backup.BackupError as error:
            raise CommandError(str(error)) from error


def next_time(at: datetime.time, now: datetime.datetime) -> datetime.datetime:
    """The next moment after ``now`` (aware) when the clock shows ``at``."""
    wake = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if wake <= now:
        wake = (wake + datetime.timedelta(days=1)).replace(hour=at.hour, minute=at.minute)
    return wake
