"""The completion handbook (完成情况手册) as an ``.xlsx`` workbook: every project in scope with
each month's approved investment, the year to date against the annual plan and the latest
progress, grouped by region with a subtotal per region and a total."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.xlsx import printable, rows_as_text
from projects.models import Project

from .models import MonthlyReport, ReportStatus, active_projects


def handbook(user, period: str, region=None) -> bytes:
    """完成情况手册: every project in scope with each month's approved investment up to
    ``period``, the year to date against the annual plan and the latest progress, grouped by
    region with a subtotal per region and a total."""
    year = period[:4]
    months = [f"{year}-{month:02d}" for month in range(1, int(period[5:]) + 1)]
    projects = _projects(user, months, region)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("完成情况手册")
    sheet["A1"] = _("%(period)s 重大项目完成情况手册（已审核数据，金额单位：万元）") % {
        "period": period
    }
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(_headers(months))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    _write_rows(sheet, projects, months)
    rows_as_text(sheet, first_row=4)
    sheet.freeze_panes = "E4"
    for index, width in enumerate([6, 12, 22, 36, 8, 12, 12], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _projects(user, months: list[str], region):
    """Active projects in scope, and those with an approved form in one of the ``months``, by
    region, each with its approved forms of those months."""
    projects = Project.objects.for_user(user).filter(
        Q(pk__in=active_projects().values("pk"))
        | Q(monthly_reports__period__in=months, monthly_reports__status=ReportStatus.APPROVED)
    )
    if region is not None:
        projects = projects.filter(region__code__startswith=region.scope_prefix)
    return (
        projects.distinct()
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "monthly_reports",
                queryset=MonthlyReport.objects.filter(
                    period__in=months, status=ReportStatus.APPROVED
                ).order_by("period"),
                to_attr="approved_reports",
            )
        )
        .order_by("region_id", "-total_investment", "pk")
    )


def _headers(months: list[str]) -> list:
    return [
        _("序号"),
        _("地区"),
        _("项目代码"),
        _("项目名称"),
        _("当前阶段"),
        _("总投资"),
        _("年度计划投资"),
        *[_("%(m)s月") % {"m": int(m[5:])} for m in months],
        _("本年累计"),
        _("年度计划完成率（%）"),
        _("最新形象进度"),
        _("工程完成百分比（%）"),
    ]


@dataclass
class _Sums:
    """What a subtotal (a region's, or the total) adds up."""

    months: int
    total: Decimal = Decimal(0)
    plan: Decimal = Decimal(0)
    ytd: Decimal = Decimal(0)
    per_month: list[Decimal] = field(init=False)

    def __post_init__(self):
        self.per_month = [Decimal(0)] * self.months

    def add(self, project: Project, plan: Decimal, ytd: Decimal, amounts: list[Decimal]) -> None:
        self.total += project.total_investment
        self.plan += plan
        self.ytd += ytd
        for index, amount in enumerate(amounts):
            self.per_month[index] += amount

    def row(self, label) -> list:
        rate = (self.ytd * 100 / self.plan).quantize(Decimal("0.01")) if self.plan else None
        return [
            "",
            label,
            "",
            "",
            "",
            float(self.total),
            float(self.plan),
            *[float(v) for v in self.per_month],
            float(self.ytd),
            float(rate) if rate is not None else None,
            "",
            None,
        ]


def _write_rows(sheet, projects, months: list[str]) -> None:
    """A row per project, a bold subtotal after each region's and a bold total at the end."""
    bold = Font(bold=True)

    def subtotal(label, sums: _Sums) -> None:
        sheet.append(sums.row(label))
        for cell in sheet[sheet.max_row]:
            cell.font = bold

    totals = _Sums(len(months))
    current_region, region_sums = None, None
    for serial, project in enumerate(projects, start=1):
        if project.region_id != (current_region.code if current_region else None):
            if current_region is not None:
                subtotal(_("%(region)s小计") % {"region": current_region.name}, region_sums)
            current_region = project.region
            region_sums = _Sums(len(months))
        by_month = {r.period: r for r in project.approved_reports}
        amounts = [
            by_month[m].investment_this_month if m in by_month else Decimal(0) for m in months
        ]
        ytd = sum(amounts, Decimal(0))
        plan = project.planned_investment_year
        sheet.append([printable(value) for value in _project_row(serial, project, amounts, ytd)])
        region_sums.add(project, plan, ytd, amounts)
        totals.add(project, plan, ytd, amounts)
    if current_region is not None:
        subtotal(_("%(region)s小计") % {"region": current_region.name}, region_sums)
    subtotal(_("合计"), totals)


def _project_row(serial: int, project: Project, amounts: list[Decimal], ytd: Decimal) -> list:
    latest = project.approved_reports[-1] if project.approved_reports else None
    plan = project.planned_investment_year
    return [
        serial,
        project.region.name,
        project.code or "",
        project.name,
        project.get_stage_display(),
        float(project.total_investment),
        float(plan),
        *[float(v) for v in amounts],
        float(ytd),
        float((ytd * 100 / plan).quantize(Decimal("0.01"))) if plan else None,
        latest.physical_progress if latest else "",
        float(latest.percent_complete) if latest and latest.percent_complete is not None else None,
    ]
