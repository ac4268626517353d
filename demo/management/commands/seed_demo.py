from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.builders import DemoBuilder
from demo.logins import login_banner


class Command(BaseCommand):
    help = "载入演示数据（江苏省行政区划、单位、演示用户和300余个项目）；可重复执行，结果相同。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="在不允许演示数据的设置（DEBUG 关闭，且非本地设置）中仍然载入（仅用于演示环境）",
        )
        parser.add_argument(
            "--url",
            help="载入后打印平台地址（如 http://127.0.0.1:8000/）和全部演示账号及其用途",
        )

    def handle(self, *args, force, url=None, **options):
        # Local settings (make run) allow demo data (DEMO_DATA_ALLOWED); other settings only
        # with DEBUG on, or when forced.
        allowed = settings.DEBUG or getattr(settings, "DEMO_DATA_ALLOWED", False)
        if not allowed and not force:
            raise CommandError(
                "DEBUG 已关闭：演示数据含公开密码的账号，生产环境请勿载入。确需载入请加 --force。"
            )
        DemoBuilder(stdout=self.stdout).run()
        if url:
            self.stdout.write(login_banner(url))
