from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, Unit
from core.forms import ScopedForm, ScopedModelChoiceField

from .models import (
    PREREVIEW_CRITERIA,
    STAGE_DATE_FIELDS,
    Assessment,
    PreReviewOpinion,
    Project,
    Stage,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ProjectChoiceField(ScopedModelChoiceField):
    """A project the user may see, shown with its region (used by the issue and approval
    forms)."""

    def label_from_instance(self, obj: Project) -> str:
        return f"{obj.name}（{obj.region.name}）"


class ProjectForm(ScopedForm, forms.ModelForm):
    """Create or edit a project. On edit the stage is not offered: it changes by transition."""

    tags_text = forms.CharField(
        label=_("标签"),
        required=False,
        help_text=_("多个标签用逗号分隔，如：专精特新，外资"),
    )
    # a department or office the user may see, not an enterprise
    responsible_unit = ScopedModelChoiceField(
        Unit.objects.exclude(kind=Unit.Kind.ENTERPRISE), label=_("责任单位"), required=False
    )

    treasury_bond_override = forms.TypedChoiceField(
        label=_("超长期特别国债支持"),
        required=False,
        choices=[
            ("", _("按资金记录（有超长期特别国债下达金额即为支持）")),
            ("true", _("人工认定：支持")),
            ("false", _("人工认定：不支持")),
        ],
        coerce=lambda value: value == "true",
        empty_value=None,
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "code",
            "region",
            "unit",
            "category",
            "sector",
            "tier",
            "sub_library",
            "construction_kind",
            "two_major",
            "treasury_bond_override",
            "treasury_bond_reason",
            "content",
            "total_investment",
            "planned_investment_year",
            "planned_start",
            "planned_completion",
            "stage",
            *STAGE_DATE_FIELDS.values(),
            "responsible_unit",
            "responsible_leader",
            "responsible_leader_level",
            "contact_name",
            "contact_phone",
        ]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 3}),
            "planned_start": DateInput(),
            "planned_completion": DateInput(),
            **{name: DateInput() for name in STAGE_DATE_FIELDS.values()},
        }
        # the region and the enterprise (the relation's own limit) the user may see
        field_classes = {"region": ScopedModelChoiceField, "unit": ScopedModelChoiceField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        decided = self.instance.treasury_bond_override
        self.initial["treasury_bond_override"] = {True: "true", False: "false"}.get(decided, "")
        if self.instance.pk:
            for name in ("stage", *STAGE_DATE_FIELDS.values()):
                del self.fields[name]
            self.fields["tags_text"].initial = "，".join(t.name for t in self.instance.tags.all())

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags_text", "")
        return sorted({part.strip() for part in raw.replace("，", ",").split(",") if part.strip()})


class TransitionForm(forms.Form):
    stage = forms.ChoiceField(label=_("变更为"), choices=Stage.choices)
    date = forms.DateField(label=_("日期"), required=False, widget=DateInput())
    reason = forms.CharField(
        label=_("更正原因"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("阶段倒退（更正）时必填")}),
    )


class PreReviewOpenForm(forms.Form):
    held_on = forms.DateField(label=_("会商日期"), widget=DateInput())
    departments = forms.ModelMultipleChoiceField(
        label=_("参加会商部门"),
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Unit.objects.filter(
            kind=Unit.Kind.DEPARTMENT, region__in=Region.objects.filter(level=Region.Level.PROVINCE)
        ) | Unit.objects.for_user(user).filter(kind=Unit.Kind.DEPARTMENT)


#: an opinion's choice for each criterion: not judged, or an assessment
ASSESSMENT_CHOICES = [("", _("未评估")), *Assessment.choices]


class PreReviewOpinionForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("部门"), queryset=Unit.objects.none())
    verdict = forms.ChoiceField(label=_("意见"), choices=PreReviewOpinion.Verdict.choices)
    comment = forms.CharField(label=_("说明"), required=False)

    def __init__(self, *args, prereview, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = prereview.departments.all()
        for name, label in PREREVIEW_CRITERIA.items():
            self.fields[name] = forms.ChoiceField(
                label=label, choices=ASSESSMENT_CHOICES, required=False
            )
