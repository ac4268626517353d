from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Region
from projects import library


class Command(BaseCommand):
    help = (
        "年度项目库滚动：按规则列出各项目应在的子库和新开工/续建（预览，并在该地区重大办的待办中"
        "提请确认）；加 --apply 直接执行，每个调整记入项目的变更记录。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="滚动到的年度，默认今年")
        parser.add_argument("--region", default="", help="地区代码，默认省（最上级地区）")
        parser.add_argument("--apply", action="store_true", help="执行滚动（默认只预览）")

    def handle(self, *args, year=None, region="", apply=False, **options):
        year = year or timezone.localdate().year
        found = (
            Region.objects.filter(code=region).first()
            if region
            else Region.objects.filter(parent__isnull=True).order_by("code").first()
        )
        if found is None:
            raise CommandError(f"找不到地区：{region}")
        rows = library.summary(library.scope_of(found), year)
        total = sum(row["n"] for row in rows)
        self.stdout.write(f"{found.name}{year}年项目库滚动：需调整 {total} 个项目。")
        for row in rows:
            before = library.label(row["sub_library"], row["construction_kind"])
            after = library.label(row["to_library"], row["to_kind"])
            self.stdout.write(f"  {before} → {after}：{row['n']} 个")
        if not apply:
            library.propose(found, year)
            self.stdout.write("以上为预览，已提请该地区重大办在待办中确认；加 --apply 直接执行。")
            return
        moved = library.apply(library.scope_of(found), year, by=None)
        library.record_applied(found, year, moved, by=None)
        self.stdout.write(f"已滚动：调整 {moved} 个项目，每个调整已记入项目的变更记录。")
