"""Pages of the project library: list with filters and export, "一项一档" page, forms."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals.views import project_approvals
from core import exports
from core.api.pagination import ListPaginator
from core.exceptions import DomainError
from core.sorting import Column, Sorting, choice_order
from funding.views import project_funding
from indicators.lights import light_of, with_light_rules, with_lights
from issues import selectors as issue_selectors
from schedule.forms import ApplyTemplateForm
from schedule.selectors import milestone_history, schedule_chart

from . import library, selectors, services
from .filtersets import ProjectFilterSet
from .forms import (
    ASSESSMENT_CHOICES,
    PreReviewOpenForm,
    PreReviewOpinionForm,
    ProjectForm,
    TransitionForm,
)
from .models import (
    PREREVIEW_CRITERIA,
    Admission,
    LibraryRollover,
    PreReview,
    Project,
    Stage,
    Tier,
)

PAGE_SIZE = 20

#: the library's sortable columns (``?sort=-total_investment``); by default the largest first
PROJECT_SORT = Sorting(
    name=Column("name"),
    code=Column("code"),
    region=Column("region__code"),
    tier=Column(choice_order("tier", Tier)),
    stage=Column(choice_order("stage", Stage)),
    total_investment=Column("total_investment", descending_first=True, nullable=False),
    planned_start=Column("planned_start"),
    unit=Column("unit__name"),
    light=Column("light_rank"),
    default="-total_investment",
)


def _filtered_projects(request) -> ProjectFilterSet:
    """The library as the user filtered it; by default only projects admitted to the library."""
    projects = Project.objects.for_user(request.user).with_related()
    return _filter(request, with_light_rules(projects))


def _sorted_by_light(request) -> bool:
    return PROJECT_SORT.parse(request.GET.get("sort")) in (("light", False), ("light", True))


def show_lights(projects) -> None:
    """Give each project of a page (annotated with the lights' rules) its light and reasons."""
    for project in projects:
        project.light, project.light_reasons = light_of(project)


def _filter(request, projects) -> ProjectFilterSet:
    data = request.GET.copy()
    data.setdefault("admission", Admission.ADMITTED)
    return ProjectFilterSet(data, queryset=projects, request=request)


def export_rows(request):
    """The library as filtered and sorted on the page, for its export (``core.exports``, which
    reads the columns it shows as plain values); the lights, which no column shows, are worked
    out only when the order asks for them."""
    projects = Project.objects.for_user(request.user)
    if _sorted_by_light(request):
        projects = with_lights(projects)
    return PROJECT_SORT.read(request).apply(_filter(request, projects).qs)


@login_required
def project_list(request):
    filterset = _filtered_projects(request)
    for name in ("tier", "sub_library", "stage", "category"):
        filterset.form.fields[name].widget = forms.CheckboxSelectMultiple(
            choices=filterset.form.fields[name].choices
        )
    sort = PROJECT_SORT.read(request)
    projects = filterset.qs
    if _sorted_by_light(request):  # the light in SQL only to sort by it
        projects = with_lights(projects)
    page = ListPaginator(sort.apply(projects), PAGE_SIZE).get_page_at(
        request.GET.get("page"), request.GET.get("cursor")
    )
    show_lights(page.object_list)
    return render(
        request,
        "projects/project_list.html",
        {"filter": filterset, "page": page, "projects": page.object_list, "sort": sort},
    )


@login_required
def project_export(request):
    """The workbook at once, or (a large library) the progress page of its background job."""
    return exports.respond(request, "projects")


def _next_stage(stage: str) -> str:
    """The stage a change most often leads to: the next one (a move back is a correction)."""
    stages = Stage.values
    return stages[min(stages.index(stage) + 1, len(stages) - 1)]


def _schedule_context(request, project) -> dict:
    """The project's schedule, and an office user's what-if on it (``?whatif=1&…``, nothing
    saved): the what-if's chart beside the forecast it changes."""
    from schedule.whatif import parse

    chart = schedule_chart(project, request.user)
    context = {"chart": chart, "may_what_if": request.user.is_office_staff}
    if "whatif" not in request.GET or not context["may_what_if"] or chart.schedule is None:
        return context
    milestones = [row.milestone for row in chart.rows]
    tickets = {impact.issue_id for impact in chart.impacts}
    try:
        what_if = parse(request.GET, milestones, tickets)
        changed = schedule_chart(project, request.user, what_if) if what_if else None
    except DomainError as error:
        return {**context, "what_if_error": error.messages[0]}
    if changed is not None and changed.error:
        return {**context, "what_if_error": changed.error}
    return {
        **context,
        "chart": changed or chart,
        "current": chart if changed else None,
        "what_if": what_if,
        "what_if_query": request.GET.urlencode(),
    }


@login_required
def project_detail(request, pk):
    project = get_object_or_404(
        with_light_rules(Project.objects.for_user(request.user).with_related()), pk=pk
    )
    show_lights([project])
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "element_needs": project.element_needs.all(),
            "stage_changes": project.stage_changes.select_related("actor"),
            "prereviews": selectors.project_prereviews(project),
            "opinion_criteria": [
                {"name": name, "label": label, "choices": ASSESSMENT_CHOICES}
                for name, label in PREREVIEW_CRITERIA.items()
            ],
            "history": selectors.project_history(project),
            **_schedule_context(request, project),
            "milestone_history": milestone_history(project),
            "apply_template_form": ApplyTemplateForm(),
            "transition_form": TransitionForm(
                initial={"date": timezone.localdate(), "stage": _next_stage(project.stage)}
            ),
            "prereview_form": PreReviewOpenForm(
                user=request.user, initial={"held_on": timezone.localdate()}
            ),
            "issues": issue_selectors.project_issues(request.user, project),
            "may_report_issue": issue_selectors.may_report(request.user),
            "approvals": project_approvals(request.user, project),
            "may_register_approval": request.user.can_edit_library,
            "funding": project_funding(request.user, project),
        },
    )


def _require_editor(user) -> None:
    if not user.can_edit_library:
        raise PermissionDenied


def _save_form(request, form: ProjectForm, project: Project | None):
    data = {name: form.cleaned_data[name] for name in form.fields if name != "tags_text"}
    try:
        with transaction.atomic():
            tags = services.tags_named(form.tag_names())
            if project is None:
                return services.project_create(by=request.user, tags=tags, **data)
            return services.project_update(project=project, by=request.user, tags=tags, **data)
    except ValidationError as exc:
        field = getattr(exc, "field", None)  # DomainError names the field it concerns
        form.add_error(field if field in form.fields else None, exc.messages)
        return None


@login_required
def project_create(request):
    _require_editor(request.user)
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        project = _save_form(request, form, None)
        if project is not None:
            messages.success(request, _("项目“%(name)s”已创建。") % {"name": project.name})
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "project": None})


@login_required
def project_edit(request, pk):
    project = get_object_or_404(Project.objects.for_user(request.user), pk=pk)
    _require_editor(request.user)
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _save_form(request, form, project)
        if saved is not None:
            messages.success(request, _("项目信息已保存。"))
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "project": project})


@login_required
@require_POST
def project_transition(request, pk):
    project = get_object_or_404(Project.objects.for_user(request.user), pk=pk)
    _require_editor(request.user)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("阶段变更未完成：请检查填写内容。"))
    else:
        try:
            services.project_transition(project=project, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(
                request, _("阶段变更未完成：%(reason)s") % {"reason": " ".join(exc.messages)}
            )
        else:
            messages.success(request, _("项目阶段已更新。"))
    return redirect("projects:detail", pk=project.pk)


def _run_service(request, action, success: str) -> None:
    """Call a workflow service and report the outcome as a message on the next page."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, _("操作未完成：%(reason)s") % {"reason": " ".join(exc.messages)})
    else:
        messages.success(request, success)


@login_required
@require_POST
def prereview_open(request, pk):
    project = get_object_or_404(Project.objects.for_user(request.user), pk=pk)
    if not request.user.is_office_staff:
        raise PermissionDenied
    form = PreReviewOpenForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("请填写会商日期并选择参加会商的部门。"))
    else:
        _run_service(
            request,
            lambda: services.prereview_open(project=project, by=request.user, **form.cleaned_data),
            _("已发起会商预审。"),
        )
    return redirect(f"{project.get_absolute_url()}#prereview")


def _prereview_in_scope(request, pk, review_pk) -> PreReview:
    return get_object_or_404(
        PreReview.objects.for_user(request.user).select_related("project"),
        project_id=pk,
        pk=review_pk,
    )


@login_required
@require_POST
def prereview_opinion(request, pk, review_pk):
    """Office staff record a department's opinion; a liaison records their own unit's."""
    review = _prereview_in_scope(request, pk, review_pk)
    form = PreReviewOpinionForm(request.POST, prereview=review)
    if not form.is_valid():
        messages.error(request, _("请选择部门和意见。"))
    else:
        unit = form.cleaned_data["unit"]
        if not (request.user.is_office_staff or request.user.unit_id == unit.pk):
            raise PermissionDenied
        _run_service(
            request,
            lambda: services.prereview_record_opinion(
                prereview=review, by=request.user, **form.cleaned_data
            ),
            _("已记录%(unit)s的意见。") % {"unit": unit.name},
        )
    return redirect(f"{review.project.get_absolute_url()}#prereview")


@login_required
@require_POST
def prereview_conclude(request, pk, review_pk):
    review = _prereview_in_scope(request, pk, review_pk)
    if not request.user.is_office_staff:
        raise PermissionDenied
    _run_service(
        request,
        lambda: services.prereview_conclude(
            prereview=review, by=request.user, note=request.POST.get("note", "")
        ),
        _("会商预审已形成结论。"),
    )
    return redirect(f"{review.project.get_absolute_url()}#prereview")


# --- the yearly rollover --------------------------------------------------------------------

#: projects listed on the rollover's preview page (the table counts all of them)
ROLLOVER_SAMPLE = 50


@login_required
def library_rollover(request):
    """年度项目库滚动: what the rule would move for the year in the office's region (counted by
    where from and where to, and the first projects), and its confirmation. Offices only."""
    user = request.user
    region = user.home_region()
    if not (user.is_office_staff and user.can_edit_library) or region is None:
        raise Http404
    year = timezone.localdate().year
    if request.method == "POST":
        try:
            year = int(request.POST.get("year", year))
            expected = int(request.POST.get("expected", -1))
        except ValueError as error:
            raise Http404 from error
        _run_service(
            request,
            lambda: library.confirm(by=user, region=region, year=year, expected=expected),
            _("已完成%(year)s年项目库滚动，每个调整已记入项目的变更记录。") % {"year": year},
        )
        return redirect("projects:rollover")
    projects = Project.objects.for_user(user).filter(region__code__startswith=region.scope_prefix)
    rows = library.summary(projects, year)
    sample = list(library.moves(projects, year).select_related("region")[:ROLLOVER_SAMPLE])
    for project in sample:
        project.from_label = library.label(project.sub_library, project.construction_kind)
        project.to_label = library.label(project.to_library, project.to_kind)
    for row in rows:
        row["from_label"] = library.label(row["sub_library"], row["construction_kind"])
        row["to_label"] = library.label(row["to_library"], row["to_kind"])
    return render(
        request,
        "projects/rollover.html",
        {
            "region": region,
            "year": year,
            "rows": rows,
            "total": sum(row["n"] for row in rows),
            "sample": sample,
            "done": LibraryRollover.objects.filter(
                region=region, year=year, status=LibraryRollover.Status.APPLIED
            ).first(),
        },
    )
