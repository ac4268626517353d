"""manage.py publish_oc4ids [--month 2026-11]: what the monthly task does, by hand."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from opendata import services


class Command(BaseCommand):
    help = "写出本月（或 --month 指定月份）的 OC4IDS 开放数据文件；该月已有文件时替换。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM，默认本月")

    def handle(self, *args, month=None, **options):
        try:
            published = services.publish_month(month)
        except DomainError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"{published.month}: {published.project_count} 个项目，{published.size} 字节，"
            f"sha256 {published.sha256}"
        )
