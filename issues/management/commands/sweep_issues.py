import datetime

from django.core.management.base import BaseCommand, CommandError

from issues import services


class Command(BaseCommand):
    help = "巡检困难问题：到期提醒、逾期、通报与约谈、受理超时、自动上提（与每日定时任务相同）。"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="按指定日期巡检（YYYY-MM-DD），默认今天")

    def handle(self, *args, today=None, **options):
        day = None
        if today:
            try:
                day = datetime.date.fromisoformat(today)
            except ValueError as error:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{today}") from error
        done = services.sweep(day)
        labels = {
            "reminded": "到期提醒",
            "overdue": "新标记逾期",
            "notices": "通报",
            "interviews": "约谈",
            "accept_overdue": "受理超时",
            "escalated": "自动上提",
            "failed": "处理失败（详见日志）",
        }
        summary = "，".join(f"{label} {done.get(key, 0)} 件" for key, label in labels.items())
        self.stdout.write(f"巡检完成（{(day or 'today')}）：{summary}。")
