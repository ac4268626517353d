"""The home page: a cockpit of the user's region for leaders and office staff, and for everyone
else the page their work starts from (the landing per role)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import Region, Role
from indicators import lights
from indicators.models import Indicator
from indicators.views import IndicatorFilterForm
from projects.models import Project

from . import charts, selectors

R = Role.Code
#: the roles the cockpit is for
COCKPIT_ROLES = frozenset({R.LEADER, R.OFFICE_STAFF, R.SYSTEM_ADMIN})
MONTHS = [(f"M{m:02d}", f"{m}月") for m in range(1, 13)]


class CockpitForm(IndicatorFilterForm):
    """The indicators' filter (region in scope: a region above the user's own is not found;
    the year) with a month and the indicator the map is coloured by; a wrong year, month or
    indicator falls back."""

    period = forms.ChoiceField(label=gettext_lazy("截至月份"), required=False, choices=MONTHS)
    indicator = forms.ChoiceField(
        label=gettext_lazy("地图指标"),
        required=False,
        choices=[(code, Indicator(code).label) for code in selectors.KPI_INDICATORS],
    )

    def chosen(self, home: Region | None):
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        today = timezone.localdate()
        period = data.get("period") or f"M{today.month:02d}"
        window = selectors.Window(data.get("year") or today.year, int(period[1:]))
        return (
            data.get("region") or home,
            window,
            data.get("indicator") or Indicator.WX_START,
        )


def landing(user) -> str | None:
    """Where a person's work starts, for those the cockpit is not for (None: the cockpit)."""
    codes = user.role_codes
    if user.is_superuser or codes & COCKPIT_ROLES:
        return None
    if R.COUNTY_FILER in codes:
        return "progress:index"  # opens the month being filed for the filer's region
    if R.DEPARTMENT_LIAISON in codes:
        return "todo:list"  # the unit's open tasks
    if R.PROJECT_UNIT_CONTACT in codes:
        return "todo:list"  # its projects' issues awaiting confirmation, and its forms
    return "projects:list"


@login_required
def home(request):
    user = request.user
    target = landing(user)
    if target is not None:
        return redirect(target)
    home = user.home_region()
    form = CockpitForm(request.GET, user=user)
    if "region" in form.errors:
        raise Http404
    region, window, indicator = form.chosen(home)
    if region is None:
        return render(request, "cockpit/cockpit.html", {"form": form, "region": None})
    today = timezone.localdate()
    scope = Project.objects.for_user(user)
    kpis = selectors.kpis(region, window, scope)
    regions = selectors.by_region(region, window, indicator, scope)
    trends = selectors.trends(region, window, scope)
    issues = selectors.issue_figures(user, region, window, today)
    departments = selectors.approvals_by_department(user, region, today)
    funding = selectors.funding_by_channel(user, region, window.year)
    light = selectors.light_figures(region, scope, today)
    lineage = _lineage(region, home)
    context = {
        "form": form,
        "region": region,
        "window": window,
        "indicator": indicator,
        "indicator_label": Indicator(indicator).label,
        "lineage": lineage,
        "children": [row.region for row in regions],
        "kpis": kpis,
        "regions": regions,
        "trends": trends,
        "issues": issues,
        "departments": departments[:12],
        "funding": funding,
        "overruns": selectors.funding_overruns(user, region, window.year),
        "light": light,
        "light_labels": lights.LIGHT_LABELS,
        "service": selectors.service_figures(user, region, window),
        # the open tickets that put construction starts due this quarter at risk
        "threats": _threats(user, region, today),
        "charts": charts.cockpit_charts(
            region, window, indicator, regions, trends, issues, departments[:12], funding
        ),
        "today": today,
    }
    return render(request, "cockpit/cockpit.html", context)


#: the tickets the cockpit lists as threatening this quarter's starts
THREATS_SHOWN = 10


def _threats(user, region: Region, today) -> dict:
    from issues.models import Issue
    from issues.selectors import quarter_end, threatening

    tickets = Issue.objects.for_user(user).filter(region__code__startswith=region.scope_prefix)
    found = threatening(tickets, today, starts_by=quarter_end(today))
    return {"rows": found[:THREATS_SHOWN], "total": len(found), "until": quarter_end(today)}


def _lineage(region: Region, home: Region | None) -> list[Region]:
    """From the user's own region down to the one shown (never above the user's)."""
    codes = region.lineage()[::-1]  # top down
    if home is not None and home.code in codes:
        codes = codes[codes.index(home.code) :]
    found = Region.objects.in_bulk(codes)
    return [found[code] for code in codes if code in found]
