"""Pages: a project's milestones (add, edit, delete, apply a template) and schedule templates."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Region, Role
from core.forms import add_service_error
from projects.models import Project

from . import services
from .forms import (
    ApplyTemplateForm,
    MilestoneForm,
    StepFormSet,
    TemplateForm,
    predecessor_formset,
    step_initial,
)
from .models import Milestone, ScheduleTemplate


def can_edit_templates(user) -> bool:
    """Templates serve the whole province: the provincial office keeps them."""
    if user.is_superuser or Role.Code.SYSTEM_ADMIN in user.role_codes:
        return True
    return (
        user.is_office_staff
        and user.region is not None
        and (user.region.level == Region.Level.PROVINCE)
    )


def _project_for_editor(request, pk) -> Project:
    project = get_object_or_404(
        Project.objects.for_user(request.user).select_related("region"), pk=pk
    )
    if not request.user.can_edit_library:
        raise PermissionDenied
    return project


def _schedule_url(project) -> str:
    return f"{project.get_absolute_url()}#schedule"


def _milestone_page(request, project, milestone: Milestone | None):
    form = MilestoneForm(request.POST or None, instance=milestone, project=project)
    predecessors = predecessor_formset(milestone, project, request.POST or None)
    if request.method == "POST" and form.is_valid() and predecessors.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data or ()}
        if milestone is None:
            data = {name: form.cleaned_data[name] for name in form.fields}
            if data.get("position") is None:
                data.pop("position")
            if data["status"] == "not_started" and (data["actual_start"] or data["actual_finish"]):
                data.pop("status")  # the dates say how far it got
        data = {name: value for name, value in data.items() if not form.fields[name].disabled}
        links = [
            services.Predecessor(row["milestone"], row.get("lag_days") or 0)
            for row in predecessors.cleaned_data
            if row.get("milestone")
        ]
        try:
            if milestone is None:
                saved = services.milestone_create(
                    project=project, by=request.user, predecessors=links, **data
                )
                messages.success(request, _("已添加节点“%(name)s”。") % {"name": saved.name})
            else:
                if "position" in data and data["position"] is None:
                    data.pop("position")
                saved = services.milestone_update(
                    milestone=milestone, by=request.user, predecessors=links, **data
                )
                messages.success(request, _("节点“%(name)s”已保存。") % {"name": saved.name})
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return redirect(_schedule_url(project))
    return render(
        request,
        "schedule/milestone_form.html",
        {
            "project": project,
            "milestone": milestone,
            "form": form,
            "predecessors": predecessors,
        },
    )


@login_required
def milestone_create(request, pk):
    project = _project_for_editor(request, pk)
    return _milestone_page(request, project, None)


@login_required
def milestone_edit(request, pk, milestone_pk):
    project = _project_for_editor(request, pk)
    milestone = get_object_or_404(
        Milestone.objects.prefetch_related("predecessor_links"), project=project, pk=milestone_pk
    )
    return _milestone_page(request, project, milestone)


@login_required
@require_POST
def milestone_delete(request, pk, milestone_pk):
    project = _project_for_editor(request, pk)
    milestone = get_object_or_404(Milestone, project=project, pk=milestone_pk)
    try:
        services.milestone_delete(milestone=milestone, by=request.user)
    except ValidationError as error:
        messages.error(request, _("未删除：%(reason)s") % {"reason": " ".join(error.messages)})
    else:
        messages.success(request, _("已删除节点“%(name)s”。") % {"name": milestone.name})
    return redirect(_schedule_url(project))


@login_required
@require_POST
def apply_template(request, pk):
    project = _project_for_editor(request, pk)
    form = ApplyTemplateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择节点模板。"))
    else:
        template = form.cleaned_data["template"]
        try:
            services.apply_template(project=project, template=template, by=request.user)
        except ValidationError as error:
            messages.error(request, _("未套用：%(reason)s") % {"reason": " ".join(error.messages)})
        else:
            messages.success(
                request, _("已按模板“%(name)s”生成关键节点。") % {"name": template.name}
            )
    return redirect(_schedule_url(project))


@login_required
@require_POST
def what_if_save(request, pk):
    """保存为计划: the what-if in the query string applied through the services (the
    milestones' durations, the planned start); a refused one changes nothing."""
    from .impact import blocks_by_project
    from .whatif import parse, save_as_plan

    project = _project_for_editor(request, pk)
    tickets = {block.issue_id for block in blocks_by_project([project.pk]).get(project.pk, [])}
    try:
        what_if = parse(request.GET, list(project.milestones.all()), tickets)
        changed = save_as_plan(project=project, what_if=what_if, by=request.user)
    except ValidationError as error:
        messages.error(request, _("未保存：%(reason)s") % {"reason": " ".join(error.messages)})
        return redirect(f"{project.get_absolute_url()}?{request.GET.urlencode()}#schedule")
    messages.success(
        request,
        _("已保存为计划：调整%(n)s个节点的工期%(planned)s。")
        % {
            "n": len(changed),
            "planned": _("和计划开工日期") if what_if.planned_start else "",
        },
    )
    return redirect(_schedule_url(project))


# --- templates -----------------------------------------------------------------------------


@login_required
def template_list(request):
    templates = ScheduleTemplate.objects.prefetch_related("steps")
    return render(
        request,
        "schedule/template_list.html",
        {"templates": templates, "can_edit": can_edit_templates(request.user)},
    )


@login_required
def template_detail(request, template_pk):
    template = get_object_or_404(ScheduleTemplate, pk=template_pk)
    steps = template.steps.prefetch_related("predecessor_links__predecessor")
    return render(
        request,
        "schedule/template_detail.html",
        {"template": template, "steps": steps, "can_edit": can_edit_templates(request.user)},
    )


@login_required
def template_edit(request, template_pk=None):
    if not can_edit_templates(request.user):
        raise PermissionDenied
    template = (
        get_object_or_404(ScheduleTemplate, pk=template_pk) if template_pk else ScheduleTemplate()
    )
    form = TemplateForm(request.POST or None, instance=template)
    steps = StepFormSet(
        request.POST or None,
        initial=step_initial(template) if template.pk else None,
        prefix="steps",
    )
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        # Blank extra rows have no cleaned data; rows ticked for deletion are dropped.
        specs = [
            step.spec()
            for step in steps.forms
            if step.cleaned_data and not step.cleaned_data.get("DELETE")
        ]
        try:
            saved = services.template_save(template=form.instance, steps=specs, by=request.user)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("模板“%(name)s”已保存。") % {"name": saved.name})
            return redirect(saved)
    return render(
        request, "schedule/template_form.html", {"template": template, "form": form, "steps": steps}
    )
