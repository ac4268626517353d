"""Demo monthly progress (SPEC §8), as the offices find them in November 2026.

January to October: every project in the monthly round filed each month it was signed and
not yet at capacity; its investment of the year (the project's 本年完成投资) is spread over the
months it was under construction, its stage changes are on the forms of the months they
happened, and the forms were filed by the 20th, mostly, and approved by the city or province
office. These past months are written as history — each form with its own days and the
people who took each step, following the workflow's transitions — after the figures have
passed ``progress.services.clean_values``, so no form breaks a validation rule. October is
still under review in two cities.

November, the month being filed: 江阴's forms go through the services as the county filer
and the city office would have it (two drafts, two submitted — one raising a problem that
becomes an issue ticket —, one returned with a comment, one reporting a project's start and
awaiting approval, two not begun); a handful of counties have filed nothing; the rest filed,
some already approved. The reminders of the 15th and 18th went to the counties then behind.

Nothing is written when forms exist already.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from progress import services
from progress.models import (
    REPORTABLE_STAGES,
    FilingReminder,
    MonthlyReport,
    ProgressAction,
    ReportStatus,
    active_projects,
    deadline_of,
    period_bounds,
)
from projects.models import STAGE_DATE_FIELDS, Admission, Project, Stage

from .progress_history import Form, write_forms

SEED = 2026
YEAR = 2026
PAST = [f"{YEAR}-{month:02d}" for month in range(1, 11)]
CURRENT = f"{YEAR}-11"
#: October's forms still waiting for the office's review here (南通, 宿迁)
OCTOBER_UNDER_REVIEW = ("3206", "3213")
#: November's forms already approved here (无锡 by its city office, 苏州 by the province)
NOVEMBER_APPROVED = ("3202", "3205")
#: counties that have filed nothing for November yet
SILENT_COUNTIES = 8
JIANGYIN, SHUYANG = "320281", "321322"
RETURN_COMMENT = "本月完成投资与形象进度不匹配（主体已封顶但投资较上月下降），请核实后重新报送。"
PROBLEM = "110千伏专线接入方案尚未批复，设备调试用电只能临时解决，影响试生产。"

BEFORE_START = (
    "办理用地预审与选址意见书",
    "环评、能评报告编制报批",
    "施工图设计及审查",
    "场地平整、三通一平",
    "施工许可证办理中",
)
BUILDING = (
    (30, ("桩基及基础施工", "地下室结构施工", "基础承台浇筑")),
    (60, ("主体结构施工", "钢结构吊装", "主体结构施工至中部楼层")),
    (85, ("主体封顶，机电安装", "屋面及外立面施工", "设备基础施工、机电安装")),
    (101, ("装饰装修及设备调试", "室外配套工程施工", "设备单机调试")),
)


def _months(project: Project, periods: list[str]) -> list[str]:
    """The periods a project filed: signed by the month's end, not at capacity before it."""
    filed = []
    for period in periods:
        first, last = period_bounds(period)
        if project.signed_on is None or project.signed_on > last:
            continue
        if project.at_capacity_on is not None and project.at_capacity_on < first:
            continue
        filed.append(period)
    return filed


def _stage_in(project: Project, period: str) -> tuple[str, datetime.date | None]:
    """The furthest reportable stage the project reached during the month, with its date."""
    first, last = period_bounds(period)
    found = ("", None)
    for stage in REPORTABLE_STAGES:
        day = getattr(project, STAGE_DATE_FIELDS[stage])
        if day is not None and first <= day <= last:
            found = (str(stage), day)
    return found


def _stage_at(project: Project, day: datetime.date) -> str:
    reached = Stage.SIGNED
    for stage, name in STAGE_DATE_FIELDS.items():
        value = getattr(project, name)
        if value is not None and value <= day:
            reached = stage
    return reached


def _spread(total: Decimal, weights: list[float]) -> list[Decimal]:
    """``total`` (a multiple of 10万元) over the months by weight, in multiples of 10万元."""
    units = int(total / 10)
    if not weights:
        return []
    whole = sum(weights)
    shares = [int(units * weight / whole) for weight in weights]
    shares[weights.index(max(weights))] += units - sum(shares)
    return [Decimal(share * 10) for share in shares]


class DemoProgress:
    def __init__(self, users: dict[str, User]):
        self.users = users
        self.rng = random.Random(f"{SEED}-progress")
        self.now = timezone.now()
        self.today = timezone.localdate()

    def run(self) -> None:
        if not MonthlyReport.objects.exists():
            projects = list(
                Project.objects.filter(admission=Admission.ADMITTED, signed_on__isnull=False)
                .exclude(at_capacity_on__lt=datetime.date(YEAR, 1, 1))
                .select_related("region")
                .order_by("pk")
            )
            forms = self.plan(projects)
            self.write_history(forms)
            self.november()
            self.follow_projects()
            self.reminders()

    # -- the past: January to October ----------------------------------------------------------

    def plan(self, projects: list[Project]) -> list[Form]:
        forms = []
        for project in projects:
            rng = random.Random(f"{SEED}-progress-{project.pk}")
            months = _months(project, PAST)
            if not months:
                continue
            building = [
                period
                for period in months
                if project.started_on is not None and project.started_on <= period_bounds(period)[1]
            ]
            weights = [
                (0.5 + rng.random())
                * (
                    0.2
                    if project.completed_on and project.completed_on < period_bounds(period)[0]
                    else 1
                )
                for period in building
            ]
            amounts = dict(
                zip(building, _spread(project.completed_investment_year, weights), strict=True)
            )
            before = max(
                project.completed_investment_total - project.completed_investment_year, Decimal(0)
            )
            ytd = Decimal(0)
            for period in months:
                amount = amounts.get(period, Decimal(0))
                ytd += amount
                form = Form(project, period, amount, ytd)
                form.new_stage, form.stage_date = _stage_in(project, period)
                self.describe(form, before, rng)
                forms.append(form)
            forms[-1].last = True
        return forms

    def describe(self, form: Form, before: Decimal, rng: random.Random) -> None:
        """形象进度 and 工程完成百分比 of a form, from the stage the project was in."""
        project = form.project
        last = period_bounds(form.period)[1]
        stage = _stage_at(project, last)
        total = project.total_investment or Decimal(1)
        if Stage.order(stage) < Stage.order(Stage.STARTED):
            form.progress = BEFORE_START[(int(form.period[5:]) + project.pk) % len(BEFORE_START)]
            return
        percent = min(Decimal(100), (before + form.ytd) * 100 / total)
        if stage == Stage.STARTED:
            form.percent = percent.quantize(Decimal("0.1"))
            if form.new_stage == Stage.STARTED:
                form.progress = "项目开工建设，场地平整、桩基施工"
            else:
                options = next(words for limit, words in BUILDING if percent < limit)
                form.progress = rng.choice(options)
            return
        form.percent = Decimal(100)
        form.progress = {
            Stage.COMPLETED: "竣工验收完成，设备调试、试生产准备",
            Stage.PRODUCING: f"投产运营，产能爬坡（达产率约{rng.randint(45, 90)}%）",
            Stage.AT_CAPACITY: "达产达效，稳定运营",
        }[stage]

    def filer(self, project: Project) -> User:
        return {
            JIANGYIN: self.users["county_filer"],
            SHUYANG: self.users["county_filer2"],
        }.get(project.region_id, self.users["api_client"])  # other counties push by the API

    def reviewer(self, project: Project) -> User:
        if project.region_id.startswith("3202") and project.region_id != "320200":
            return self.users["city_office"]
        return self.users["province_office"]

    def moment(self, day: datetime.date, rng: random.Random) -> datetime.datetime:
        at = timezone.make_aware(
            datetime.datetime.combine(
                day, datetime.time(rng.randrange(8, 18), rng.randrange(0, 60))
            )
        )
        return min(at, self.now)

    def schedule(self, form: Form, rng: random.Random, review: bool) -> None:
        """The days of a past form: drafted from the 5th, sent by the 20th (a few late),
        reviewed within a week."""
        first, _last = period_bounds(form.period)
        deadline = deadline_of(form.period)
        drafted = first + datetime.timedelta(days=rng.randint(4, 14))
        sent = drafted + datetime.timedelta(days=rng.randint(0, 5))
        sent = (
            min(sent, deadline)
            if rng.random() > 0.06
            else deadline + datetime.timedelta(days=rng.randint(1, 4))
        )
        filer = self.filer(form.project)
        created = self.moment(drafted, rng)
        submitted = max(self.moment(sent, rng), created)  # each step after the one before
        form.steps = [
            (ProgressAction.CREATE, filer, created, ""),
            (ProgressAction.SUBMIT, filer, submitted, ""),
        ]
        form.status = ReportStatus.SUBMITTED
        reviewed = sent + datetime.timedelta(days=rng.randint(1, 7))
        if review and reviewed <= self.today:
            approved = max(self.moment(reviewed, rng), submitted)
            form.steps.append((ProgressAction.APPROVE, self.reviewer(form.project), approved, ""))
            form.status = ReportStatus.APPROVED

    def write_history(self, forms: list[Form]) -> None:
        rng = random.Random(f"{SEED}-progress-days")
        by_period: dict[str, list[Form]] = {}
        for form in forms:
            review = not (
                form.period == PAST[-1] and form.project.region_id[:4] in OCTOBER_UNDER_REVIEW
            )
            self.schedule(form, rng, review)
            by_period.setdefault(form.period, []).append(form)
        for period in PAST:  # month by month: each month's check sees the months before it
            write_forms(by_period.get(period, []))

    # -- November, the month being filed --------------------------------------------------------

    def november(self) -> None:
        rng = random.Random(f"{SEED}-progress-november")
        projects = list(
            active_projects()
            .filter(signed_on__isnull=False)
            .select_related("region")
            .order_by("region_id", "pk")
        )
        counties = sorted({p.region_id for p in projects} - {JIANGYIN, SHUYANG})
        silent = set(rng.sample([c for c in counties if not c.startswith("3202")], SILENT_COUNTIES))
        last = {
            r.project_id: r
            for r in MonthlyReport.objects.filter(period=PAST[-1], project__in=projects)
        }
        forms = []
        for project in projects:
            if project.region_id in silent or project.region_id == JIANGYIN:
                continue
            if rng.random() < 0.05:
                continue  # a form not begun in a county that filed the rest
            forms.append(self.november_form(project, last.get(project.pk), rng))
        moments = random.Random(f"{SEED}-progress-november-days")
        for form in forms:
            review = form.project.region_id[:4] in NOVEMBER_APPROVED
            self.schedule(form, moments, review)
        write_forms(forms)
        self.jiangyin([p for p in projects if p.region_id == JIANGYIN], last, rng)

    def november_form(self, project: Project, previous, rng: random.Random) -> Form:
        ytd_before = previous.investment_ytd if previous is not None else Decimal(0)
        amount = Decimal(0)
        building = project.stage == Stage.STARTED
        if building:
            room = project.total_investment - project.completed_investment_total
            guess = Decimal(
                int(project.planned_investment_year / 100 * Decimal(6 + rng.random() * 8))
            )
            amount = max(Decimal(0), min(guess - guess % 10, room - room % 10))
        form = Form(project, CURRENT, amount, ytd_before + amount, last=True)
        before = max(
            project.completed_investment_total - project.completed_investment_year, Decimal(0)
        )
        self.describe(form, before, rng)
        return form

    def jiangyin(self, projects: list[Project], last: dict, rng: random.Random) -> None:
        """江阴's November through the services, as its filer and the city office left it:
        two drafts, two submitted (one with a problem), one returned with a comment, one
        reporting a start and awaiting approval, the rest not begun."""
        filer, city = self.users["county_filer"], self.users["city_office"]
        waiting = [p for p in projects if p.stage in (Stage.SIGNED, Stage.FILED)]
        starting = waiting[0] if waiting else None
        others = [p for p in projects if p is not starting]
        plan = ["draft", "draft", "problem", "submitted", "returned"]
        for project, state in zip(others, plan, strict=False):
            form = self.november_form(project, last.get(project.pk), rng)
            values = {
                k: v for k, v in form.values().items() if k not in ("new_stage", "stage_date")
            }
            if state == "problem":
                values.update(problems=PROBLEM, problem_category="utilities")
            report, _outcome = services.report_save(
                project=project, period=CURRENT, by=filer, **values
            )
            if state == "draft":
                continue
            report = services.report_submit(report=report, by=filer)
            if state == "returned":
                services.report_return(report=report, by=city, comment=RETURN_COMMENT)
        if starting is not None:
            day = datetime.date(YEAR, 11, 5)
            if day <= self.today:
                report, _outcome = services.report_save(
                    project=starting,
                    period=CURRENT,
                    by=filer,
                    investment_this_month=Decimal(
                        int(starting.planned_investment_year / 200) // 10 * 10
                    ),
                    physical_progress="11月5日举行开工仪式，场地平整、桩基施工",
                    percent_complete=Decimal(1),
                    new_stage=Stage.STARTED,
                    stage_date=day,
                )
                services.report_submit(report=report, by=filer)

    # -- what the forms move -------------------------------------------------------------------

    def follow_projects(self) -> None:
        """A project's 本年完成投资 is the year to date of its latest approved month (what
        approving through the services does); 累计 moves by the same difference."""
        latest: dict[int, Decimal] = {}
        for project_id, ytd in (
            MonthlyReport.objects.filter(
                period__startswith=f"{YEAR}-", status=ReportStatus.APPROVED
            )
            .order_by("project_id", "period")
            .values_list("project_id", "investment_ytd")
        ):
            latest[project_id] = ytd
        changed = []
        for project in Project.objects.filter(pk__in=list(latest)):
            ytd = latest[project.pk]
            if project.completed_investment_year != ytd:
                delta = ytd - project.completed_investment_year
                project.completed_investment_year = ytd
                project.completed_investment_total = max(
                    Decimal(0), project.completed_investment_total + delta
                )
                changed.append(project)
        Project.objects.bulk_update(
            changed, ["completed_investment_year", "completed_investment_total"], batch_size=500
        )

    def reminders(self) -> None:
        """The reminders of the 15th and the 18th, to each county then missing forms."""
        active = {}
        for region_id, pk in active_projects().values_list("region_id", "pk"):
            active.setdefault(region_id, set()).add(pk)
        sent = dict(
            MonthlyReport.objects.filter(period=CURRENT, submitted_at__isnull=False).values_list(
                "project_id", "submitted_at"
            )
        )
        deadline = deadline_of(CURRENT)
        for day in (15, 18):
            on = datetime.date(YEAR, 11, day)
            if on > self.today:
                continue
            for region_id in sorted(active):
                missing = sum(
                    1
                    for pk in active[region_id]
                    if pk not in sent or timezone.localdate(sent[pk]) > on
                )
                if missing:
                    FilingReminder.objects.get_or_create(
                        region_id=region_id,
                        period=CURRENT,
                        sent_on=on,
                        defaults={"missing": missing, "deadline": deadline},
                    )
