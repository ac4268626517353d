from django.core.management.base import BaseCommand

from reports.pdf import ensure_fonts


class Command(BaseCommand):
    help = (
        "将随平台附带的中文字体转换为 PDF 生成所用的 TrueType 文件（按内容缓存，已转换的不再转换；"
        "镜像构建和本地 worker 启动时执行）。"
    )

    def handle(self, *args, **options):
        for path, family, weight in ensure_fonts():
            self.stdout.write(f"{family} {weight}: {path}")
