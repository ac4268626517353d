"""Forms of the issue pages: reporting a difficulty and one small form per workflow action.

The forms only read and type-check what was posted (dates, choices in the user's scope); the
rules of the workflow — what is required when, who may act, which units qualify — live in
:mod:`issues.services`, whose refusals are put back on the form field they name. Fields the
service always requires carry the HTML ``required`` attribute so a browser can say so early.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, Unit
from core.forms import ScopedForm
from projects.forms import DateInput, ProjectChoiceField
from projects.models import Project
from schedule.models import Milestone

from . import services
from .models import Category, Issue


def _text(label, *, rows: int = 0, required_by_service: bool = False, **kwargs):
    attrs = {"required": True} if required_by_service else {}
    if "placeholder" in kwargs:
        attrs["placeholder"] = kwargs.pop("placeholder")
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return forms.CharField(label=label, required=False, widget=widget, **kwargs)


class ReportForm(ScopedForm, forms.Form):
    """上报困难问题 for a project in the user's scope; the milestone list is the chosen
    project's (choose the project first, e.g. from the project page)."""

    project = ProjectChoiceField(
        Project.objects.select_related("region").order_by("name", "pk"),
        label=_("项目"),
        error_messages={"invalid_choice": _("所选项目不存在或不在您的管辖范围内。")},
    )
    title = forms.CharField(label=_("问题标题"), max_length=200)
    category = forms.ChoiceField(
        label=_("问题类别"), choices=[("", "---------"), *Category.choices]
    )
    description = _text(
        _("问题描述"),
        rows=4,
        placeholder=_("问题是什么、卡在哪里、需要哪个部门协调"),
    )
    milestone = forms.ModelChoiceField(
        label=_("关键节点"),
        queryset=Milestone.objects.none(),
        required=False,
        help_text=_("问题影响的关键节点（可不选）。"),
    )

    def __init__(self, *args, project: Project | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        projects = self.fields["project"].queryset
        chosen = project
        if self.is_bound:
            posted = self.data.get("project", "")
            chosen = projects.filter(pk=posted).first() if posted.isdigit() else None
        self.project = chosen
        if chosen is None:
            del self.fields["milestone"]
        else:
            self.fields["milestone"].queryset = chosen.milestones.order_by("position", "pk")


class LinkProjectForm(ScopedForm, forms.Form):
    """匹配项目 for an unmatched ticket: the projects of the region the ticket came from."""

    project = ProjectChoiceField(
        Project.objects.select_related("region").order_by("region_id", "name"),
        label=_("项目"),
        error_messages={"invalid_choice": _("所选项目不存在或不在您的管辖范围内。")},
    )
    comment = _text(_("说明"))

    def __init__(self, *args, issue: Issue, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        field.queryset = field.queryset.filter(region__code__startswith=issue.region.scope_prefix)


class CommentForm(forms.Form):
    comment = _text(_("说明"), rows=2, placeholder=_("可不填"))


class NoteForm(forms.Form):
    comment = _text(_("办理进展"), rows=3, required_by_service=True)


class ResolveForm(forms.Form):
    resolution = _text(_("办理结果"), rows=3, required_by_service=True)


class ConfirmForm(forms.Form):
    reason = _text(
        _("说明"),
        rows=2,
        help_text=_("重大办代项目单位确认时必填（如已电话回访企业表示满意）。"),
    )


class ReturnForm(forms.Form):
    reason = _text(_("退回原因"), rows=2, required_by_service=True)


class EscalateForm(forms.Form):
    reason = _text(_("上提原因"), rows=2, required_by_service=True)


class RejectForm(forms.Form):
    reason = _text(
        _("不予受理原因"),
        rows=2,
        required_by_service=True,
        placeholder=_("如重复问题、不属于困难问题"),
    )


class AssignForm(forms.Form):
    """交办 with "五到位": unit, leader, person, solution and deadline."""

    unit = forms.ModelChoiceField(
        label=_("责任单位"),
        queryset=Unit.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("责任单位应为本层级范围内的职能部门或重大办。")},
    )
    responsible_leader = _text(_("责任领导"), required_by_service=True, max_length=50)
    responsible_person = _text(_("责任人"), required_by_service=True, max_length=50)
    solution = _text(_("解决方案"), rows=3, required_by_service=True)
    deadline = forms.DateField(label=_("办结时限"), required=False, widget=DateInput())
    comment = _text(_("交办说明"), rows=2, placeholder=_("可不填"))

    def __init__(self, *args, issue: Issue, **kwargs):
        super().__init__(*args, **kwargs)
        level_region = Region.objects.get(code=issue.level_region_code())
        self.fields["unit"].queryset = Unit.objects.filter(
            kind__in=(Unit.Kind.DEPARTMENT, Unit.Kind.OFFICE),
            region__code__startswith=level_region.scope_prefix,
        ).order_by("region_id", "kind", "name")
        self.fields["unit"].widget.attrs["required"] = True
        today = timezone.localdate()
        default = services.default_deadline(issue.level, issue.category, today)
        self.fields["deadline"].widget.attrs["min"] = today.isoformat()
        self.fields["deadline"].help_text = _("不填则按%(days)d个工作日计，为%(date)s。") % {
            "days": services.default_deadline_workdays(issue.level, issue.category),
            "date": default.isoformat(),
        }


#: the form of each workflow action; its cleaned data are the service's keyword arguments
ACTION_FORMS: dict[str, type[forms.Form]] = {
    "accept": CommentForm,
    "assign": AssignForm,
    "start": CommentForm,
    "note": NoteForm,
    "resolve": ResolveForm,
    "confirm": ConfirmForm,
    "return": ReturnForm,
    "close": CommentForm,
    "escalate": EscalateForm,
    "reject": RejectForm,
}


def action_form(action: str, issue: Issue, data=None) -> forms.Form:
    """The form for ``action`` on ``issue``; ids are prefixed by the action because several
    of them share the issue page."""
    form_class = ACTION_FORMS[action]
    kwargs = {"issue": issue} if form_class is AssignForm else {}
    return form_class(data, auto_id=f"id_{action}_%s", **kwargs)
