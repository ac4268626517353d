"""Forms of the schedule pages: a milestone with its predecessors, a template's steps."""

import re

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit

from .models import ANCHOR_KIND, Handler, Milestone, MilestoneKind, ScheduleTemplate
from .services import StepSpec

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = [
            "position",
            "name",
            "kind",
            "duration_days",
            "handler",
            "responsible_unit",
            "status",
            "actual_start",
            "actual_finish",
            "problem",
            "bottleneck",
            "solution_path",
            "expected_resolution_on",
        ]
        widgets = {
            "actual_start": DATE,
            "actual_finish": DATE,
            "expected_resolution_on": DATE,
            "problem": forms.Textarea(attrs={"rows": 2}),
            "bottleneck": forms.Textarea(attrs={"rows": 2}),
            "solution_path": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        # Units at the project's region and above: the county's, the city's, the province's.
        self.fields["responsible_unit"].queryset = Unit.objects.filter(
            Q(region_id__in=project.region.lineage()) & ~Q(kind=Unit.Kind.ENTERPRISE)
            | Q(pk=project.unit_id)
        ).order_by("-region_id", "kind", "name")
        self.fields["position"].required = False
        if self.instance.pk and self.instance.kind == ANCHOR_KIND:
            self.fields["kind"].disabled = True
            self.fields["duration_days"].disabled = True

    # The service checks status against dates (deriving it from dates alone) and the single
    # 开工 anchor, with messages on the right field; the model's constraints back it up.
    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() | {"status", "actual_start", "actual_finish"}

    def validate_unique(self):
        pass


class PredecessorForm(forms.Form):
    milestone = forms.ModelChoiceField(
        label=_("前置节点"), queryset=Milestone.objects.none(), required=False
    )
    lag_days = forms.IntegerField(label=_("滞后（工作日）"), min_value=0, initial=0, required=False)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:
            self.fields["milestone"].queryset = choices


PredecessorFormSet = forms.formset_factory(PredecessorForm, extra=2)


def predecessor_formset(milestone: Milestone | None, project, data=None):
    choices = project.milestones.exclude(kind=ANCHOR_KIND)
    if milestone is not None and milestone.pk:
        choices = choices.exclude(pk=milestone.pk)
    initial = (
        [
            {"milestone": link.predecessor_id, "lag_days": link.lag_days}
            for link in milestone.predecessor_links.all()
        ]
        if milestone is not None and milestone.pk
        else []
    )
    return PredecessorFormSet(
        data, initial=initial, prefix="pred", form_kwargs={"choices": choices}
    )


class ApplyTemplateForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("节点模板"), queryset=ScheduleTemplate.objects.filter(is_active=True)
    )


class TemplateForm(forms.ModelForm):
    class Meta:
        model = ScheduleTemplate
        fields = ["name", "category", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


PREDECESSOR_ITEM = re.compile(r"^(\d+)(?:\s*\+\s*(\d+))?$")


class StepForm(forms.Form):
    position = forms.IntegerField(label=_("序号"), min_value=1, max_value=999)
    kind = forms.ChoiceField(label=_("节点类型"), choices=MilestoneKind.choices)
    name = forms.CharField(label=_("节点名称"), max_length=100)
    duration_days = forms.IntegerField(label=_("工期（工作日）"), min_value=0, max_value=3650)
    handler = forms.ChoiceField(label=_("通常办理单位"), choices=Handler.choices)
    predecessors = forms.CharField(
        label=_("前置节点"),
        required=False,
        help_text=_("填序号，多个用逗号分隔；有滞后的写“序号+工作日”，如 3+5"),
    )

    def clean_predecessors(self):
        text = self.cleaned_data["predecessors"].replace("，", ",").replace("＋", "+")
        links = []
        for item in filter(None, (part.strip() for part in text.split(","))):
            match = PREDECESSOR_ITEM.match(item)
            if not match:
                raise forms.ValidationError(
                    _("“%(item)s”看不懂：请写节点序号，或“序号+滞后工作日”，如 3+5。"),
                    params={"item": item},
                )
            links.append((int(match[1]), int(match[2] or 0)))
        return tuple(links)

    def spec(self) -> StepSpec:
        data = self.cleaned_data
        return StepSpec(
            position=data["position"],
            kind=data["kind"],
            name=data["name"],
            duration_days=data["duration_days"],
            handler=data["handler"],
            predecessors=data["predecessors"],
        )


StepFormSet = forms.formset_factory(StepForm, extra=3, can_delete=True)


def step_initial(template: ScheduleTemplate) -> list[dict]:
    rows = []
    for step in template.steps.prefetch_related("predecessor_links__predecessor"):
        links = [
            f"{link.predecessor.position}+{link.lag_days}"
            if link.lag_days
            else str(link.predecessor.position)
            for link in step.predecessor_links.all()
        ]
        rows.append(
            {
                "position": step.position,
                "kind": step.kind,
                "name": step.name,
                "duration_days": step.duration_days,
                "handler": step.handler,
                "predecessors": ", ".join(links),
            }
        )
    return rows
