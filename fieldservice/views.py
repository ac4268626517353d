"""走访服务 pages: the visits (scoped, by month and region, with coverage and 反馈率 and their
definitions), recording a visit, a visit, and naming a project's service specialist.

Every page starts from the user's scope (``for_user``): a visit or project outside it is not
found (404). A refused write shows the refusal on the form and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Region
from core.exceptions import DomainError
from core.forms import add_service_error
from core.pages import refusal_status
from projects.models import Project

from . import selectors, services
from .filtersets import VisitFilterSet
from .forms import AssignmentForm, ProblemFormSet, VisitForm, filled_problems
from .models import Visit, VisitProblem

PAGE_SIZE = 50


def _project(request, pk) -> Project:
    return get_object_or_404(Project.objects.for_user(request.user).select_related("region"), pk=pk)


def _figures_for(request, filterset):
    """Coverage and 反馈率 of the month shown (the filter's, else this one) for the region
    filtered on (else the user's own); a region outside the user's scope is not found."""
    data = filterset.form.cleaned_data if filterset.is_valid() else {}
    region = data.get("region") or request.user.home_region()
    if region is None:
        return None, None
    if not Region.objects.for_user(request.user).filter(code=region.code).exists():
        raise Http404
    month = data.get("month") or timezone.localdate().strftime("%Y-%m")
    year, number = int(month[:4]), int(month[5:])
    since = selectors.month_range(year, 1)[0]
    return selectors.service_figures(request.user, region, year, number, since=since), month


@login_required
def visit_list(request):
    scoped = selectors.visits_for(request.user)
    filterset = VisitFilterSet(request.GET, queryset=scoped, request=request)
    figures, month = _figures_for(request, filterset)
    visits = filterset.qs if filterset.is_valid() else scoped.none()
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "fieldservice/visit_list.html",
        {
            "filter": filterset,
            "page": page,
            "visits": page.object_list,
            "figures": figures,
            "month": month,
            "definitions": (selectors.COVERAGE_DEFINITION, selectors.FEEDBACK_DEFINITION),
        },
    )


@login_required
def visit_detail(request, pk):
    visit = get_object_or_404(
        Visit.objects.for_user(request.user)
        .with_related()
        .prefetch_related(
            Prefetch(
                "problems",
                queryset=VisitProblem.objects.for_user(request.user).select_related("issue"),
            )
        ),
        pk=pk,
    )
    return render(
        request,
        "fieldservice/visit_detail.html",
        {
            "visit": visit,
            "feedback_statuses": selectors.FEEDBACK_STATUSES,
            "feedback_definition": selectors.FEEDBACK_DEFINITION,
        },
    )


@login_required
def visit_create(request, project_pk):
    project = _project(request, project_pk)
    assignment = services.assignment_of(project)
    if not services.may_record(request.user, project, assignment):
        raise PermissionDenied(_("只有重大办工作人员或该项目的服务专员可以记录走访。"))
    form = VisitForm(request.POST or None)
    problems = ProblemFormSet(request.POST or None, prefix="problems")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and problems.is_valid():
            try:
                visit = services.visit_record(
                    by=request.user,
                    project=project,
                    problems=filled_problems(problems),
                    **form.cleaned_data,
                )
            except DomainError as error:
                add_service_error(form, error)
                status = refusal_status(error)
            else:
                messages.success(
                    request,
                    _("已记录走访，提出的%(n)s个问题已上报为困难问题工单。")
                    % {"n": visit.problems.count()},
                )
                return redirect(visit)
    return render(
        request,
        "fieldservice/visit_form.html",
        {"project": project, "assignment": assignment, "form": form, "problems": problems},
        status=status,
    )


@login_required
def assignment_edit(request, project_pk):
    project = _project(request, project_pk)
    if not services.may_assign(request.user):
        raise PermissionDenied(_("只有重大办工作人员可以指定服务专员。"))
    assignment = services.assignment_of(project)
    form = AssignmentForm(
        request.POST or None,
        specialists=services.eligible_specialists(project),
        initial={"specialist": assignment.specialist if assignment else None},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            specialist = form.cleaned_data["specialist"]
            try:
                if specialist is None:
                    services.assignment_clear(by=request.user, project=project)
                else:
                    services.assignment_set(by=request.user, project=project, specialist=specialist)
            except DomainError as error:
                add_service_error(form, error)
                status = refusal_status(error)
            else:
                messages.success(request, _("已更新服务专员。"))
                return redirect(project)
    return render(
        request,
        "fieldservice/assignment_form.html",
        {"project": project, "assignment": assignment, "form": form},
        status=status,
    )
