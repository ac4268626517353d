"""``python manage.py generate_report KIND PERIOD``: a document on demand, from a shell or cron,
through the same services as the API and the beat schedule."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Region
from core.exceptions import DomainError
from reports import services
from reports.models import Kind, Report, Status


class Command(BaseCommand):
    help = (
        "生成文档：周碰头会议程（weekly_agenda，周期如 2026-W48）、工作简报（briefing）、"
        "推进专报（monthly_special）、完成情况手册（handbook，周期如 2026-11）。"
        "默认在本进程内生成并打印文件位置；--queue 只排队，由后台任务生成。"
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="文档类型：" + "、".join(Kind.values))
        parser.add_argument("period", help="周期：会议议程为 2026-W48，其余为 2026-11")
        parser.add_argument(
            "--region", default="320000", help="编发单位所在地区的行政区划代码，默认 320000（省）"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--sync",
            dest="queue",
            action="store_false",
            default=False,
            help="在本进程内生成（默认）",
        )
        mode.add_argument(
            "--queue", dest="queue", action="store_true", help="只排队，由后台任务生成"
        )
        parser.add_argument("--today", help="按指定日期生成（YYYY-MM-DD），默认今天")
        parser.add_argument(
            "--correction",
            action="store_true",
            help="该期间的文档已印发时，生成新的一期作为更正",
        )

    def handle(
        self, *args, kind, period, region, queue=False, today=None, correction=False, **options
    ):
        if kind not in Kind.values:
            raise CommandError(f"未知的文档类型“{kind}”，应为：{'、'.join(Kind.values)}。")
        day = None
        if today:
            try:
                day = datetime.date.fromisoformat(today)
            except ValueError as error:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{today}") from error
        place = Region.objects.filter(code=region).first()
        if place is None:
            raise CommandError(f"行政区划代码“{region}”不存在。")
        unit = services.office_for(place)
        if unit is None:
            raise CommandError(f"{place.name}没有重大项目办，无法编发文档。")
        try:
            report, queued = services.report_request(
                kind=kind,
                period=period,
                unit=unit,
                today=day,
                enqueue=queue,
                correction=correction,
            )
        except DomainError as error:
            raise CommandError(error.messages[0]) from error

        if queue:
            note = "已排队" if queued else "同一草稿的生成任务已在排队或生成中"
            self.stdout.write(
                f"{note}：报告 #{report.pk}《{report.title}》（{report.number_label}）"
            )
            return

        # In-process: nothing was queued, so no worker builds the same report meanwhile.
        report = services.report_run(report.pk, today=day)
        if report is None:
            raise CommandError("报告在生成过程中被删除。")
        self._describe(report)
        if report.status != Status.DONE:
            raise CommandError(f"报告 #{report.pk} 生成失败：{report.error}")

    def _describe(self, report: Report) -> None:
        self.stdout.write(f"报告 #{report.pk}《{report.title}》")
        self.stdout.write(f"编发单位：{report.unit.name}，期号：{report.number_label}")
        self.stdout.write(f"状态：{report.get_status_display()}（{report.status}）")
        if report.status == Status.DONE and report.file:
            # a folder: the file's path; an object store: its name there (a link into the
            # bucket would go around the platform's scope checks)
            try:
                location = report.file.path
            except NotImplementedError:
                location = f"{report.file.name}（对象存储）"
            pages = f"，共 {report.page_count} 页" if report.page_count else ""
            self.stdout.write(f"文件：{location}{pages}")
