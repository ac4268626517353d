"""``manage.py restore BACKUP``: a backup of ``manage.py backup`` into a fresh database and
storage folder, checked against its manifest (core/backup.py)."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core import backup as service


class Command(BaseCommand):
    help = (
        "把 manage.py backup 的备份恢复到新的空数据库和文件存储（默认为当前设置的 DATABASE_URL 和 "
        "文件存储：MEDIA_ROOT，或设置了 S3_BUCKET 时的对象存储），"
        "并按清单核对每张表的行数、审计和事件表的内容、文件数。"
    )
    # the target database may not exist yet: nothing may connect before the command does
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="备份文件夹（backup-YYYYMMDDTHHMMSSZ）")
        parser.add_argument(
            "--database-url",
            help="恢复到的数据库，如 postgres://user@host:5432/newdb（不存在则新建）；"
            "默认为当前设置的数据库",
        )
        parser.add_argument(
            "--media-root",
            type=Path,
            help="恢复文件到的文件夹；默认为当前设置的文件存储"
            f"（MEDIA_ROOT {settings.MEDIA_ROOT}，或 S3_BUCKET 的对象存储）",
        )
        parser.add_argument(
            "--force", action="store_true", help="目标数据库有表或文件夹不为空时仍然恢复（覆盖）"
        )

    def handle(
        self, *args, backup: Path, database_url=None, media_root=None, force=False, **options
    ):
        try:
            target = (
                service.Database.from_url(database_url)
                if database_url
                else service.Database.from_settings(connection.settings_dict)
            )
            manifest = service.restore(
                backup,
                database=target,
                media_root=media_root or storages["default"],
                force=force,
                log=self.stdout.write,
            )
        except service.BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成并已核对 / restored and verified: {target.label} — {rows} 行 / rows in "
                f"{len(manifest['tables'])} 张表 / tables, {manifest['media']['files']} 个文件 / "
                f"files; 用时 / took {manifest['seconds']} 秒 / s"
            )
        )
        pending = service.unapplied_migrations(manifest)
        if pending:
            self.stdout.write(
                f"本版本代码有备份之后的迁移（{len(pending)} 个），请用恢复后的数据库运行 "
                f"manage.py migrate。/ Run migrate: the code has newer migrations: "
                + ", ".join(pending)
            )
