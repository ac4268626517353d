"""The visit form (the visit and the problems it raised) and the specialist form."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import Category
from projects.forms import DateInput

from .models import VisitorKind
from .services import Problem


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("走访日期"), widget=DateInput())
    visitor_kind = forms.ChoiceField(label=_("走访人"), choices=VisitorKind.choices)
    visitors = forms.CharField(
        label=_("走访人姓名"),
        max_length=200,
        required=False,
        help_text=_("不填时为该项目的服务专员或包联（挂钩）领导。"),
    )
    findings = forms.CharField(
        label=_("走访发现"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("面对面问进度、问原因：项目进度、滞后原因、现场协调会办情况。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()


class ProblemForm(forms.Form):
    """A problem raised on the visit: filed as an issue ticket when the visit is recorded. A
    row left empty is no problem; a row begun needs its title and category."""

    title = forms.CharField(label=_("问题标题"), max_length=200, required=False)
    category = forms.ChoiceField(
        label=_("问题类别"), choices=[("", "---------"), *Category.choices], required=False
    )
    description = forms.CharField(
        label=_("问题描述"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if not (data.get("title") or "").strip():
            self.add_error("title", _("请填写问题标题。"))
        if not data.get("category"):
            self.add_error("category", _("请选择问题类别。"))
        return data

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(
            (data.get(name) or "").strip() for name in ("title", "category", "description")
        )

    def problem(self) -> Problem:
        return Problem(**self.cleaned_data)


ProblemFormSet = forms.formset_factory(ProblemForm, extra=3, max_num=20, validate_max=True)


def filled_problems(formset) -> list[Problem]:
    """The problems the formset's filled rows describe (empty rows are skipped)."""
    return [form.problem() for form in formset.forms if not form.is_blank()]


class AssignmentForm(forms.Form):
    specialist = forms.ModelChoiceField(
        label=_("服务专员"),
        queryset=None,
        required=False,
        help_text=_("留空即取消该项目的服务专员。"),
    )

    def __init__(self, *args, specialists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialist"].queryset = specialists
        self.fields["specialist"].label_from_instance = _person


def _person(user) -> str:
    where = user.unit.name if user.unit_id else (user.region.name if user.region_id else "")
    return f"{user}（{where}）" if where else str(user)
