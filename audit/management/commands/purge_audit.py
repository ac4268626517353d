from django.core.management.base import BaseCommand

from audit.services import purge, retention_days


class Command(BaseCommand):
    help = "删除保存期（AUDIT_RETENTION_DAYS，不少于180天）以前的审计记录；清理本身记入审计。"

    def handle(self, *args, **options):
        removed = purge()
        self.stdout.write(f"已删除 {removed} 条 {retention_days()} 天以前的审计记录。")
