"""Demo 走访服务: service specialists for a few projects of 江阴 and 宜兴, and their visits of
last month and this one (relative to the demo's day), through the services — the problems
raised become issue tickets, one of them walked to 已办结 so the 反馈率 is not empty.

Left alone when visits exist already (running the demo again changes nothing).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import User
from fieldservice import services
from fieldservice.models import Visit, VisitorKind
from issues import services as issue_services
from projects.models import Admission, Project

#: (specialist's login, region, how many of its admitted projects, first ones by id)
SERVED = (
    ("county_filer", "320281", 4),
    ("county_office", "320281", 1),
    ("city_office", "320282", 2),
)


class DemoFieldService:
    def __init__(self, users: dict[str, User]):
        self.users = users
        self.today = timezone.localdate()
        self.month_start = self.today.replace(day=1)
        last = self.month_start - datetime.timedelta(days=1)
        self.last_month_start = last.replace(day=1)

    def this_month(self, days_ago: int) -> datetime.date:
        return max(self.month_start, self.today - datetime.timedelta(days=days_ago))

    def last_month(self, day: int) -> datetime.date:
        return self.last_month_start + datetime.timedelta(days=day - 1)

    def run(self) -> None:
        if Visit.objects.exists():
            return
        served = self.assign()
        jiangyin = served["county_filer"]
        filer, office = self.users["county_filer"], self.users["county_office"]
        # last month: every project of 江阴's filer visited, one problem (now resolved)
        resolved = self.visit(
            filer,
            jiangyin[0],
            self.last_month(10),
            "项目主体结构施工，进度比计划滞后约两周，原因是施工用电未接入。",
            problems=[
                services.Problem("施工用电接入迟缓", "utilities", "110千伏专线接入方案未批复。")
            ],
        )
        for n, project in enumerate(jiangyin[1:], start=12):
            self.visit(filer, project, self.last_month(n), "现场查看形象进度，与月报一致。")
        self.visit(
            self.users["city_office"],
            served["city_office"][0],
            self.last_month(18),
            "设备安装进度正常，企业反映融资需求已对接。",
        )
        # this month: two of them so far, the linked leader at one (问进度、问原因、现场会办)
        self.visit(
            filer,
            jiangyin[1],
            self.this_month(3),
            "桩基施工完成八成，预计下月进入主体施工。",
            problems=[
                services.Problem(
                    "红线内零星林地手续未办", "forestry", "红线内约12亩一般商品林待办使用林地审核。"
                )
            ],
        )
        leader_project = jiangyin[2]
        self.visit(
            office,
            leader_project,
            self.this_month(1),
            "挂钩领导现场协调会办，明确供水管网迁改由属地负责，两周内完成。",
            kind=VisitorKind.LEADER,
            visitors=leader_project.responsible_leader or "江阴市分管副市长",
        )
        self.walk_to_resolved(resolved.problems.get().issue)

    def assign(self) -> dict[str, list[Project]]:
        served = {}
        by = self.users["province_office"]
        for login, region, count in SERVED:
            projects = list(
                Project.objects.filter(region_id=region, admission=Admission.ADMITTED)
                .exclude(service_assignment__isnull=False)
                .order_by("pk")[:count]
            )
            for project in projects:
                services.assignment_set(by=by, project=project, specialist=self.users[login])
            served[login] = projects
        return served

    def visit(self, by, project, day, findings, *, problems=(), kind=VisitorKind.SPECIALIST,
              visitors=""):  # fmt: skip
        return services.visit_record(
            by=by,
            project=project,
            visited_on=day,
            visitor_kind=kind,
            visitors=visitors,
            findings=findings,
            problems=list(problems),
        )

    def walk_to_resolved(self, issue) -> None:
        """江阴's office accepts it and assigns it to 江阴市自然资源和规划局; its liaison
        resolves it."""
        office, liaison = self.users["county_office"], self.users["jiangyin_liaison"]
        issue = issue_services.issue_accept(issue=issue, by=office)
        issue = issue_services.issue_assign(
            issue=issue,
            by=office,
            unit=liaison.unit,
            responsible_leader="江阴市分管副市长",
            responsible_person=str(liaison),
            solution="供电公司开辟绿色通道，先行实施临时用电。",
            deadline=self.today + datetime.timedelta(days=20),
        )
        issue = issue_services.issue_start(issue=issue, by=liaison)
        issue_services.issue_resolve(
            issue=issue, by=liaison, resolution="临时用电已接通，专线方案已批复。"
        )
