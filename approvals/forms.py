"""Forms of the approval pages: one small form per status change, the edit form for what is not
the status, and registering an approval a project needs.

The forms only read and type-check what was posted; the rules — which move is legal, which date
is required and in what order, who may write — live in :mod:`approvals.services`, whose refusals
are put back on the field they name (``core.forms.add_service_error``).
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit, User
from core.forms import ScopedForm
from projects.forms import DateInput, ProjectChoiceField
from projects.models import Project

from . import services
from .models import Approval, ApprovalKind, ApprovalStatus, AuthorityLevel, TargetRule

#: the fields of the edit form, in the order they are shown (``services.EDITABLE_FIELDS``)
EDIT_FIELDS = [
    "authority_level",
    "unit",
    "promised_days",
    "planned_submission_on",
    "fixed_target_on",
    "document_no",
    "specialist",
    "note",
]


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


class SpecialistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj}（{obj.unit.name}）" if obj.unit_id else str(obj)


def handling_units(project: Project, current: Unit | None = None):
    """Departments and offices that may handle the project's approvals: those of its county,
    city and the province (and the one already chosen)."""
    units = Unit.objects.filter(
        region_id__in=project.region.lineage(), kind__in=(Unit.Kind.DEPARTMENT, Unit.Kind.OFFICE)
    )
    if current is not None:
        units = units | Unit.objects.filter(pk=current.pk)
    return units.select_related("region").order_by("region_id", "kind", "name")


def specialists(units, current: User | None = None):
    """Active people of the handling units ("一项目一专员"), and the one already assigned."""
    people = User.objects.filter(is_active=True, unit__in=units)
    if current is not None:
        people = people | User.objects.filter(pk=current.pk)
    return people.select_related("unit").order_by("unit__name", "full_name", "username")


class TransitionForm(forms.Form):
    """A status change: its date, the 批复文号 when approving, and a comment."""

    date = forms.DateField(label=_("发生日期"), required=False, widget=DateInput())
    document_no = forms.CharField(label=_("批复文号"), max_length=100, required=False)
    comment = forms.CharField(
        label=_("说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("可不填")}),
    )


def action_form(action: str, approval: Approval, data=None) -> TransitionForm:
    """The form for ``action`` on ``approval``. The date field is named after the date the
    status records (申报日期, 受理日期, 批复日期) and marked required where the service needs it;
    ids are prefixed by the action because several forms share the approval page."""
    status = services.ACTIONS[action]
    today = timezone.localdate()
    form = TransitionForm(
        data,
        auto_id=f"id_{action}_%s",
        initial={"date": today, "document_no": approval.document_no},
    )
    date = form.fields["date"]
    date.widget.attrs["max"] = today.isoformat()
    recorded = services.STATUS_DATES.get(status)
    if recorded:
        date.label = Approval._meta.get_field(recorded).verbose_name
        date.widget.attrs["required"] = True
    if status != ApprovalStatus.APPROVED:
        del form.fields["document_no"]
    else:
        form.fields["document_no"].widget.attrs["required"] = True
    return form


class ApprovalEditForm(forms.ModelForm):
    """What is not the status; the status changes only by the transition forms."""

    class Meta:
        model = Approval
        fields = EDIT_FIELDS
        widgets = {
            "planned_submission_on": DateInput(),
            "fixed_target_on": DateInput(),
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"unit": UnitChoiceField, "specialist": SpecialistChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        approval = self.instance
        units = handling_units(approval.project, approval.unit)
        self.fields["unit"].queryset = units
        self.fields["specialist"].queryset = specialists(units, approval.specialist)
        if approval.kind.target_rule != TargetRule.FIXED_DATE:
            del self.fields["fixed_target_on"]

    def changes(self) -> dict:
        """The cleaned fields as the service's keyword arguments."""
        return {name: self.cleaned_data[name] for name in self.fields}


class ApprovalCreateForm(ScopedForm, forms.Form):
    """登记审批事项 for a project in the user's scope. Unit, level and promised days default to
    the kind's (choose the project first — e.g. from the project page — to pick a unit)."""

    project = ProjectChoiceField(
        Project.objects.select_related("region").order_by("name", "pk"),
        label=_("项目"),
        error_messages={"invalid_choice": _("所选项目不存在或不在您的管辖范围内。")},
    )
    kind = forms.ModelChoiceField(
        label=_("审批类型"),
        queryset=ApprovalKind.objects.all(),
        error_messages={"invalid_choice": _("该项目已登记此类审批事项，或审批类型不存在。")},
    )
    authority_level = forms.ChoiceField(
        label=_("审批层级"),
        required=False,
        choices=[("", _("按项目层级确定")), *AuthorityLevel.choices],
    )
    unit = UnitChoiceField(
        label=_("办理单位"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("按审批类型和层级确定"),
    )
    promised_days = forms.IntegerField(
        label=_("承诺时限（工作日）"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_("不填则按审批类型的默认承诺时限。"),
    )
    planned_submission_on = forms.DateField(
        label=_("计划申报日期"), required=False, widget=DateInput()
    )
    specialist = SpecialistChoiceField(
        label=_("服务专员"), queryset=User.objects.none(), required=False
    )
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3})
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
            del self.fields["unit"], self.fields["specialist"]
            return
        registered = Approval.objects.filter(project=chosen).values("kind")
        self.fields["kind"].queryset = ApprovalKind.objects.exclude(code__in=registered)
        units = handling_units(chosen)
        self.fields["unit"].queryset = units
        self.fields["specialist"].queryset = specialists(units)

    def arguments(self) -> dict:
        """The cleaned data as ``services.approval_create`` takes them (blank → the default)."""
        return dict(self.cleaned_data)
