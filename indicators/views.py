"""Indicator pages (SPEC §9): Wuxi's 五率, Huai'an's 四率 and the new-start figures of a
region against its targets, the same for each region below it with the lagging ones flagged,
and behind every figure the list of its projects (with an .xlsx export).

Figures count only the projects in the user's scope (``Project.objects.for_user``); a region
outside the scope is not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region
from core.exceptions import DomainError
from core.forms import ScopedForm, ScopedModelChoiceField
from funding.forms import RegionChoiceField
from projects.exports import projects_workbook
from projects.models import Project

from . import evaluation, library, selectors, services
from .models import Basis, Indicator, ProjectGroup, SubPeriod

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: the groups of the dashboard, in order
FAMILIES = (
    ("wuxi", gettext_lazy("无锡“五率”")),
    ("huaian", gettext_lazy("淮安“四率”")),
    ("new_start", gettext_lazy("新开工")),
)
PARTS = ("denominator", "numerator")
PAGE_SIZE = 50


class IndicatorFilterForm(ScopedForm, forms.Form):
    """The region (in scope), the year and the part of the year; a wrong year or part falls
    back to the default, a region outside the scope is not found."""

    region = RegionChoiceField(
        label=gettext_lazy("地区"),
        queryset=Region.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=None,
    )
    year = forms.IntegerField(
        label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100
    )
    period = forms.ChoiceField(
        label=gettext_lazy("时段"), required=False, choices=SubPeriod.choices
    )
    group = ScopedModelChoiceField(
        label=gettext_lazy("项目分组"),
        queryset=ProjectGroup.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("全部项目"),
    )

    def region_out_of_scope(self) -> bool:
        """A region (or a project group) the user may not see: not found."""
        return "region" in self.errors or "group" in self.errors

    def chosen_group(self) -> ProjectGroup | None:
        self.is_valid()
        return self.cleaned_data.get("group")

    def chosen(self) -> tuple[Region | None, int, str]:
        self.is_valid()
        data = self.cleaned_data
        region = data.get("region") or self.user.home_region()
        return region, data.get("year") or timezone.localdate().year, data.get("period") or ""


def _scope(user):
    return Project.objects.for_user(user)


@dataclass
class Cell:
    """A figure with the addresses of the project lists behind its numerator and denominator."""

    figure: selectors.Figure
    numerator_url: str
    denominator_url: str


def _cell(figure: selectors.Figure, region: Region, year: int, sub_period: str, group=None) -> Cell:
    base = reverse("indicators:projects")
    query = {"indicator": figure.indicator, "region": region.code, "year": year}
    if sub_period:
        query["period"] = sub_period
    if group is not None:
        query["group"] = group.code
    return Cell(
        figure,
        f"{base}?{urlencode({**query, 'part': 'numerator'})}",
        f"{base}?{urlencode({**query, 'part': 'denominator'})}",
    )


@dataclass
class Family:
    code: str
    label: str
    cells: list[Cell]


@login_required
def dashboard(request):
    user = request.user
    form = IndicatorFilterForm(request.GET, user=user)
    if form.region_out_of_scope():
        raise Http404
    region, year, sub_period = form.chosen()
    group = form.chosen_group()
    context = {
        "form": form,
        "region": region,
        "year": year,
        "sub_period": sub_period,
        "sub_period_label": SubPeriod(sub_period).label,
        "group": group,
        "groups": ProjectGroup.objects.for_user(user).select_related("region"),
    }
    if region is not None:
        figures = selectors.indicators(region, year, sub_period, _scope(user), group)
        context["families"] = [
            Family(
                code,
                label,
                [_cell(f, region, year, sub_period, group) for f in figures if f.family == code],
            )
            for code, label in FAMILIES
        ]
        context["lagging"] = [f for f in figures if f.lagging]
        context["columns"] = figures  # the headings of the table by region
        context["children"] = [
            (child, [_cell(f, child, year, sub_period, group) for f in child_figures])
            for child, child_figures in selectors.indicators_by_region(
                region, year, sub_period, _scope(user), group
            )
        ]
        context["may_choose_basis"] = services.may_set(user, region)
        context["basis_choices"] = Basis.choices
        context["lagging_children"] = [
            child for child, cells in context["children"] if any(c.figure.lagging for c in cells)
        ]
    return render(request, "indicators/dashboard.html", context)


def _behind(request):
    """The projects behind one figure, and what it is, from the query string (404 if any part
    of it is unknown or outside the scope)."""
    user = request.user
    indicator = request.GET.get("indicator", "")
    part = request.GET.get("part") or "denominator"
    if indicator not in selectors.DEFINITIONS or part not in PARTS:
        raise Http404
    form = IndicatorFilterForm(request.GET, user=user)
    if form.region_out_of_scope():
        raise Http404
    region, year, sub_period = form.chosen()
    group = form.chosen_group()
    if region is None:
        raise Http404
    projects = selectors.projects_behind(
        indicator, region, year, sub_period, part=part, queryset=_scope(user), group=group
    )
    projects = projects.with_related().order_by("region_id", "-total_investment", "pk")
    return projects, {
        "indicator": indicator,
        "indicator_label": Indicator(indicator).label,
        "part": part,
        "region": region,
        "year": year,
        "sub_period": sub_period,
        "sub_period_label": SubPeriod(sub_period).label,
        "definition": selectors.DEFINITIONS[indicator],
        "described": selectors.DEFINITIONS[indicator].describe(
            selectors.bases_for(region)[indicator]
        ),
        "group": group,
    }


@login_required
def projects_behind(request):
    projects, context = _behind(request)
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update({"page": page, "projects": page.object_list})
    return render(request, "indicators/projects.html", context)


@login_required
def projects_export(request):
    projects, context = _behind(request)
    part_label = _("分子") if context["part"] == "numerator" else _("分母")
    response = HttpResponse(projects_workbook(projects), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True,
        filename=_("%(indicator)s-%(part)s-%(region)s-%(year)s%(sub)s.xlsx")
        % {
            "indicator": context["indicator_label"],
            "part": part_label,
            "region": context["region"].name,
            "year": context["year"],
            "sub": context["sub_period"],
        },
    )
    return response


# --- the library's structure ------------------------------------------------------------------

#: the stalled projects listed on the page (the heading counts them all)
STALLED_SHOWN = 100


@login_required
def library_structure(request):
    """项目库结构: the reserve against the year's investment per region, and the projects ready
    to start without substantial progress, for the office to decide on."""
    user = request.user
    region = user.home_region()
    if region is None or user.sees_only_assignments:
        raise Http404
    today = timezone.localdate()
    listed = library.stalled(_scope(user), region, today)
    return render(
        request,
        "indicators/library.html",
        {
            "region": region,
            "year": today.year,
            "rows": library.reserve_ratios(_scope(user), region),
            "target": settings.RESERVE_RATIO_TARGET,
            "stalled": list(listed[:STALLED_SHOWN]),
            "stalled_total": listed.count(),
            "stalled_days": settings.STALLED_DAYS,
        },
    )


# --- cohort or stock, and the office's groups -------------------------------------------------


@login_required
def basis(request):
    """POST: an office chooses cohort or stock for an indicator of its region (and below)."""
    if request.method != "POST":
        raise Http404
    user = request.user
    region = get_object_or_404(Region.objects.for_user(user), code=request.POST.get("region"))
    try:
        services.basis_set(
            by=user,
            region=region,
            indicator=request.POST.get("indicator", ""),
            basis=request.POST.get("basis", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("统计口径已更新。"))
    return redirect(f"{reverse('indicators:dashboard')}?{urlencode({'region': region.code})}")


@login_required
def groups(request):
    """项目分组: the shipped groups with how their projects are found, and the office's own
    groups; office staff add a group."""
    user = request.user
    if user.sees_only_assignments:
        raise Http404
    if request.method == "POST":
        try:
            group = services.group_create(
                by=user, name=request.POST.get("name", ""), note=request.POST.get("note", "")
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("分组“%(name)s”已建立。") % {"name": group.name})
            return redirect("indicators:group", code=group.code)
    return render(
        request,
        "indicators/groups.html",
        {
            "groups": ProjectGroup.objects.for_user(user).select_related("region"),
            "may_create": user.region_id is not None and services.may_set(user, user.region),
        },
    )


@login_required
def group(request, code: str):
    """One office-defined group's projects (those in the user's scope); its office adds
    projects by code and removes them."""
    user = request.user
    if user.sees_only_assignments:
        raise Http404
    chosen = get_object_or_404(ProjectGroup.objects.for_user(user), code=code)
    may_edit = services.may_edit_group(user, chosen)
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                services.group_remove(
                    by=user,
                    group=chosen,
                    project_ids=[v for v in request.POST.getlist("remove") if v.isdecimal()],
                )
                messages.success(request, _("已移出。"))
            else:
                added = services.group_add(
                    by=user, group=chosen, codes=request.POST.get("codes", "").split()
                )
                messages.success(request, _("已加入%(n)s个项目。") % {"n": added})
        except DomainError as error:
            messages.error(request, error.message)
        else:
            return redirect("indicators:group", code=chosen.code)
    members = (
        _scope(user).filter(selectors.group_q(chosen)).select_related("region").order_by("code")
    )
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "indicators/group.html",
        {"group": chosen, "page": page, "projects": page.object_list, "may_edit": may_edit},
    )


# --- quarterly 点评 and yearly 考核 ---------------------------------------------------------------


def _evaluation_asked(request):
    """The region (in scope), the year and the period (Q1, H1, Q3 or the year) asked."""
    user = request.user
    if user.sees_only_assignments:
        raise Http404
    form = IndicatorFilterForm(request.GET, user=user)
    if form.region_out_of_scope():
        raise Http404
    region, year, period = form.chosen()
    if region is None:
        raise Http404
    if period not in evaluation.PERIOD_LABELS:
        period = ""
    return form, region, year, period


@login_required
def evaluation_page(request):
    """一季一点评、全年一考核: the regions below and the departments, scored and ranked, with the
    weights the office set (and a form to change them for its own region)."""
    form, region, year, period = _evaluation_asked(request)
    user = request.user
    may_weigh = services.may_set(user, region)
    if request.method == "POST":
        if not may_weigh:
            raise Http404
        try:
            evaluation.weights_save(
                by=user,
                region=region,
                year=year,
                subject=request.POST.get("subject", ""),
                values=request.POST,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("考核权重已保存。"))
        return redirect(request.get_full_path())
    today = timezone.localdate()
    tables = [
        evaluation.regions_table(user, region, year, period, today),
        evaluation.departments_table(user, region, year, period, today),
    ]
    return render(
        request,
        "indicators/evaluation.html",
        {
            "form": form,
            "region": region,
            "year": year,
            "period": period,
            "periods": evaluation.PERIODS,
            "title": tables[0].title,
            "tables": zip(("region", "department"), tables, strict=True),
            "may_weigh": may_weigh,
        },
    )


@login_required
def evaluation_export(request):
    """The regions' (``subject=region``) or the departments' table as an .xlsx workbook."""
    _form, region, year, period = _evaluation_asked(request)
    subject = request.GET.get("subject", "region")
    build = {
        "region": evaluation.regions_table,
        "department": evaluation.departments_table,
    }.get(subject)
    if build is None:
        raise Http404
    table = build(request.user, region, year, period, timezone.localdate())
    content = evaluation.workbook(table, subject)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True,
        filename=f"{region.name}{table.title}-{'地区' if subject == 'region' else '部门'}.xlsx",
    )
    return response
