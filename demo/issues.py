"""Demo issue tickets with their history, as the offices would find them today.

The tickets are written as history (each step with its own day and the person who took it),
following the transition table of :mod:`issues.services`; then the real daily sweep runs for
today — marking the overdue, recording 通报 and 约谈, escalating what is long overdue — and the
province office's weekly meeting is built from the result.
"""

from __future__ import annotations

import datetime
import random

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import Region, Unit, User
from issues import services
from issues.models import Issue, IssueEvent, Level, Source, Status
from projects.models import Admission, Project, Tier
from schedule.workdays import current_calendar

SEED = 2026


def next_meeting_day(today: datetime.date) -> datetime.date:
    """The province office's next weekly meeting: the next WEEKLY_MEETING_WEEKDAY after today —
    the day the week's agenda (reports, 周碰头会议程) is drawn up for."""
    ahead = (settings.WEEKLY_MEETING_WEEKDAY - today.isoweekday()) % 7 or 7
    return today + datetime.timedelta(days=ahead)


#: (category, title, description, solution, resolution)
STORIES = (
    (
        "land_sea",
        "新增建设用地指标缺口",
        "项目二期需新增建设用地86亩，县级年度指标已用完。",
        "申请省级重大项目用地指标单列保障，同步开展土地征收前期工作。",
        "省级统筹指标已下达，用地预审意见已出具。",
    ),
    (
        "forestry",
        "项目红线内涉及零星林地",
        "红线内有约12亩一般商品林，需办理使用林地审核。",
        "县林业部门协助编制使用林地可行性报告，并联报送省林业局。",
        "使用林地审核同意书已取得。",
    ),
    (
        "eia",
        "环评批复受区域总量指标制约",
        "项目VOCs排放总量指标尚未落实，环评报告无法报批。",
        "通过区域内企业提标改造腾出总量，生态环境部门出具总量来源说明。",
        "总量来源已落实，环评已受理并批复。",
    ),
    (
        "energy",
        "能耗指标缺口",
        "项目年综合能耗约3.2万吨标准煤，所在市能耗强度下降目标压力大。",
        "通过存量项目腾退和省级能耗指标收储调剂解决。",
        "节能审查意见已出具。",
    ),
    (
        "utilities",
        "施工用电接入迟缓",
        "110千伏专线接入方案未批复，影响主体工程开工。",
        "供电公司开辟绿色通道，先行实施临时用电。",
        "临时用电已接通，专线方案已批复。",
    ),
    (
        "relocation",
        "红线内两户民房未完成征迁",
        "征迁补偿标准存在分歧，影响场地平整。",
        "属地镇街逐户做工作，依法依规推进征收补偿。",
        "两户已签订协议并完成腾退。",
    ),
    (
        "funding",
        "专项债券资金拨付滞后",
        "已发行专项债券资金尚未拨付到项目，影响工程款支付。",
        "财政部门按工程进度拨付，建立每周调度机制。",
        "首批债券资金已拨付到位。",
    ),
    (
        "financing",
        "项目融资授信未落实",
        "银行授信审批周期长，资本金到位后仍缺口4亿元。",
        "推送至政策性银行和省属金融机构对接，开展银企对接会。",
        "国家开发银行授信5亿元，首笔已投放。",
    ),
    (
        "planning",
        "规划条件与用地红线不一致",
        "控规调整尚未完成，建设工程规划许可无法核发。",
        "自然资源和规划部门加快控规局部调整，同步开展方案审查。",
        "控规调整已批复，规划许可已核发。",
    ),
    (
        "procedures",
        "施工图审查意见反复",
        "消防专项审查意见多次往返，影响施工许可办理。",
        "住建部门组织联合审图，一次性告知修改意见。",
        "施工图审查合格书已出具。",
    ),
)

#: final status of each story, in order; weights shape the demo board
OUTCOMES = (
    [Status.REPORTED] * 4
    + [Status.REJECTED] * 2
    + [Status.ACCEPTED] * 4
    + [Status.ASSIGNED] * 6
    + [Status.IN_PROGRESS] * 16
    + [Status.RESOLVED] * 5
    + [Status.CONFIRMED] * 4
    + [Status.CLOSED] * 10
)
#: the path of steps up to a final status (office / handler / confirmer take them)
PATHS = {
    Status.REPORTED: [],
    Status.ACCEPTED: ["accept"],
    Status.ASSIGNED: ["accept", "assign"],
    Status.IN_PROGRESS: ["accept", "assign", "start", "note"],
    Status.RESOLVED: ["accept", "assign", "start", "note", "resolve"],
    Status.CONFIRMED: ["accept", "assign", "start", "resolve", "confirm"],
    Status.CLOSED: ["accept", "assign", "start", "note", "resolve", "confirm", "close"],
    Status.REJECTED: ["reject"],
}
NOTES = (
    "已召开专题协调会，明确各方任务分工。",
    "已对接上级主管部门，材料已报送。",
    "正在补充完善申报材料，预计下周报送。",
    "已现场踏勘，形成初步处理意见。",
)


class DemoIssues:
    def __init__(self, regions: dict[str, Region], users: dict[str, User]):
        self.regions = regions
        self.users = users
        self.rng = random.Random(f"{SEED}-issues")
        self.calendar = current_calendar()
        self.now = timezone.now()
        self.today = timezone.localdate()

    def run(self) -> None:
        if Issue.objects.exists():
            return
        for index, (project, level) in enumerate(self.projects()):
            story = STORIES[index % len(STORIES)]
            outcome = OUTCOMES[index % len(OUTCOMES)]
            self.write(project, level, story, outcome, index)
        self.hotline()
        services.sweep(self.today)
        services.meeting_create(
            by=self.users["province_office"],
            date=next_meeting_day(self.today),
            attending_units=Unit.objects.filter(region_id="320000", kind=Unit.Kind.DEPARTMENT),
        )

    def projects(self) -> list[tuple[Project, str]]:
        """江阴 projects at county level, other 无锡 projects at city level, provincial major
        projects at province level — where the demo has people to act on them."""
        admitted = Project.objects.filter(admission=Admission.ADMITTED).select_related(
            "unit", "region"
        )
        jiangyin = list(admitted.filter(region_id="320281").order_by("pk"))
        wuxi = list(
            admitted.filter(region__code__startswith="3202")
            .exclude(region_id="320281")
            .order_by("pk")
        )
        provincial = list(
            admitted.filter(
                Q(tier__in=[Tier.PROVINCIAL_IMPLEMENTATION, Tier.PROVINCIAL_RESERVE])
                | Q(two_major=True)
            )
            .exclude(region__code__startswith="3202")
            .order_by("pk")
        )
        picks = (
            [(p, Level.COUNTY) for p in jiangyin[:12]]
            + [(p, Level.CITY) for p in wuxi[:16]]
            + [(p, Level.PROVINCE) for p in provincial[:24]]
        )
        self.rng.shuffle(picks)
        return picks

    def office(self, level: str) -> User:
        return self.users[
            {"county": "county_office", "city": "city_office"}.get(level, "province_office")
        ]

    def handler(self, level: str, category: str) -> tuple[Unit, User]:
        land = category in ("land_sea", "planning", "forestry")
        if level == Level.COUNTY and land:
            person = self.users["jiangyin_liaison"]
        elif level == Level.PROVINCE and land:
            person = self.users["liaison"]
        else:
            person = self.office(level)  # the office handles it itself
        return person.unit, person

    def moment(self, day: datetime.date) -> datetime.datetime:
        hour = self.rng.randrange(8, 18)
        minute = self.rng.randrange(0, 60)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))

    def write(self, project: Project, level: str, story, outcome: str, index: int) -> None:
        """One ticket with the steps of its path that fall before now, and their history."""
        issue, day = self.report(project, level, story, outcome, index)
        events = [("report", issue.reported_by, Status.REPORTED, issue.reported_at, story[2])]
        status = Status.REPORTED
        for action in PATHS[outcome]:
            # the history follows the workflow's own transition table
            assert status in services.TRANSITIONS[action].sources, (action, status)
            day = self.calendar.add_workdays(day, self.rng.randrange(1, 4))
            if day > self.today:
                break
            at = self.moment(day)
            if at > self.now:
                break
            actor, target, comment = self.step(issue, action, story, day)
            field = services.STATUS_TIMESTAMPS.get(target)
            if field and target != status:
                setattr(issue, field, at)
            events.append((action, actor, target, at, comment))
            status = target
        issue.status = status
        issue.save()
        previous = Status.REPORTED
        for kind, actor, target, at, comment in events:
            IssueEvent.objects.create(
                issue=issue,
                kind=kind,
                from_status=previous,
                to_status=target,
                from_level=level,
                to_level=level,
                actor=actor,
                at=at,
                comment=comment,
            )
            previous = target

    def report(
        self, project: Project, level: str, story, outcome: str, index: int
    ) -> tuple[Issue, datetime.date]:
        """The ticket as reported, by the demo enterprise, the 江阴 filer or the office, and the
        day: far enough back for the steps of its path."""
        category, title, description, _solution, _resolution = story
        office = self.office(level)
        steps = PATHS[outcome]
        # Most tickets are within their time limit; every third one being worked was assigned
        # long enough ago to be overdue today, and a few of those long enough to be escalated.
        back = 2 * len(steps) + self.rng.randrange(2, 8)
        if outcome == Status.IN_PROGRESS and index % 3 == 0:
            back = 6 + services.default_deadline_workdays(level, category)
            back += self.rng.randrange(0, 3) + (12 if index % 9 == 0 else 0)
        day = self.calendar.add_workdays(self.today, -back)
        enterprise = self.users["enterprise"]
        reporter = (
            enterprise
            if project.unit_id == enterprise.unit_id
            else self.users["county_filer"]
            if project.region_id == "320281"
            else office
        )
        source = {
            enterprise: Source.ENTERPRISE,
            self.users["county_filer"]: Source.COUNTY,
        }.get(reporter, Source.FIELD_SERVICE)
        issue = Issue.objects.create(
            project=project,
            region=project.region,
            title=f"{title}（{project.name[:12]}）",
            description=description,
            category=category,
            source=source,
            level=level,
            reported_by=reporter,
            reporter_name=str(reporter),
            reporter_phone=f"139{self.rng.randrange(10**7, 10**8)}",
            reported_at=self.moment(day),
        )
        return issue, day

    def step(self, issue: Issue, action: str, story, day: datetime.date) -> tuple[User, str, str]:
        """Who takes one step of a ticket's path, the status it leads to and its comment; the
        ticket's fields the step fills in (unsaved)."""
        category, _title, _description, solution, resolution = story
        level = issue.level
        office = self.office(level)
        unit, handler = self.handler(level, category)
        actor, target, comment = office, None, ""
        if action == "accept":
            target = Status.ACCEPTED
        elif action == "reject":
            target, comment = Status.REJECTED, "经核实为重复反映，已并入同一项目的在办问题。"
        elif action == "assign":
            target = Status.ASSIGNED
            issue.unit = unit
            issue.responsible_leader = self.rng.choice(["张副县长", "刘副市长", "陈副厅长"])
            issue.responsible_person = handler.full_name or str(handler)
            issue.solution = solution
            issue.deadline = services.default_deadline(level, category, day, self.calendar)
            comment = f"交办{unit.name}，限{issue.deadline.isoformat()}前办结。"
        elif action == "start":
            actor, target = handler, Status.IN_PROGRESS
        elif action == "note":
            actor, target, comment = handler, Status.IN_PROGRESS, self.rng.choice(NOTES)
        elif action == "resolve":
            actor, target, comment = handler, Status.RESOLVED, resolution
            issue.resolution = resolution
        elif action == "confirm":
            target = Status.CONFIRMED
            if issue.reported_by is self.users["enterprise"]:
                actor = issue.reported_by
            else:
                comment = "已电话回访项目单位，表示满意。"
        elif action == "close":
            target = Status.CLOSED
        return actor, target, comment

    def hotline(self) -> None:
        """Two complaints pushed by the 12345 hotline: one for a known project, one the office
        still has to match."""
        caller = self.users["api_client"]
        known = Project.objects.filter(region_id="320281").exclude(code="").order_by("pk").first()
        services.issue_intake(
            by=caller,
            source=Source.HOTLINE_12345,
            external_id="12345-2026-1118-0375",
            region_code="320281",
            project_code=known.code if known else "",
            project_name=known.name if known else "",
            reporter_name="陈先生",
            reporter_phone="13861234567",
            title="企业反映施工许可办理进度慢",
            description="企业来电反映施工许可申请材料提交已两周，尚无答复。",
            category="procedures",
        )
        services.issue_intake(
            by=caller,
            source=Source.HOTLINE_12345,
            external_id="12345-2026-1120-0912",
            region_code="321322",
            project_name="沭阳县新能源装备产业园配套道路",
            reporter_name="刘女士",
            reporter_phone="15150561234",
            title="配套道路施工影响企业原料运输",
            description="来电人称配套道路施工封闭后无临时便道，原料车辆无法进厂。",
            category="utilities",
        )
