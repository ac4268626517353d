"""Demo documents: the province office's briefing (《重大项目工作简报》) for the demo's month and
the agenda of its weekly meeting, generated and published (印发) through :mod:`reports.services`
as the office does it — so a leader's 报告简报 opens on documents to read.

Built once: a document the office has already published for its period is left alone, so a
later ``seed_demo`` (every ``make run``) writes nothing. A document that cannot be generated
(e.g. the PDF libraries are missing) is reported and skipped; the rest of the demo stands.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from accounts.models import Region, User
from issues.models import Meeting
from reports import services
from reports.models import Kind, Report, Status
from reports.periods import month_of, week_of

from .progress import CURRENT


class DemoReports:
    def __init__(self, users: dict[str, User], log: Callable[[str], None]):
        self.users = users
        self.log = log

    def run(self) -> None:
        office_staff = self.users["province_office"]
        province = Region.objects.get(level=Region.Level.PROVINCE)
        office = services.office_for(province)
        if office is None:
            return
        today = timezone.localdate()
        wanted = [(Kind.BRIEFING, min(CURRENT, month_of(today)))]
        meeting = Meeting.objects.filter(region=province).order_by("pk").first()
        if meeting is not None:  # the demo's meeting (demo.issues): its agenda, not a new meeting
            wanted.append((Kind.WEEKLY_AGENDA, week_of(meeting.date)))
        for kind, period in wanted:
            published = Report.objects.filter(unit=office, kind=kind, period=period).published()
            if published.exists():
                continue
            report, _queued = services.report_request(
                kind=kind, period=period, unit=office, today=today, enqueue=False
            )
            report = services.report_run(report.pk, today=today)
            if report.status != Status.DONE:
                self.log(f"演示文档未能生成（{report.title}）：{report.error}")
                continue
            services.report_publish(report=report, by=office_staff)
