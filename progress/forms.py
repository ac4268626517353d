"""Forms of the monthly progress pages: one row of the county's month, the review comment, the
Excel upload and the month (and region) of the filing status.

The row form only collects what was typed; every rule — numbers, the year's total against the
project's investment, stage dates — lives in :func:`progress.services.clean_values`, whose
Chinese messages are put back on the field they name.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from core.exceptions import DomainError
from core.forms import ScopedForm
from funding.forms import RegionChoiceField
from issues.models import Category as IssueCategory
from projects.forms import DateInput

from . import selectors, services
from .models import REPORTABLE_STAGES, MonthlyReport

#: typed with the numeric keypad on a phone, free text otherwise (“1,200” is accepted)
NUMBER = {"inputmode": "decimal", "autocomplete": "off"}


class ReportRowForm(forms.Form):
    """One project's figures for the month, as typed (prefix ``p<project id>``)."""

    investment_this_month = forms.CharField(
        label=_("本月完成投资（万元）"), required=False, widget=forms.TextInput(NUMBER)
    )
    physical_progress = forms.CharField(
        label=_("形象进度"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    percent_complete = forms.CharField(
        label=_("完成百分比（%）"), required=False, widget=forms.TextInput(NUMBER)
    )
    new_stage = forms.CharField(
        label=_("本月进入阶段"),
        required=False,
        widget=forms.Select(
            choices=[("", _("无变化")), *((s.value, s.label) for s in REPORTABLE_STAGES)]
        ),
    )
    stage_date = forms.CharField(label=_("阶段日期"), required=False, widget=DateInput())
    problems = forms.CharField(
        label=_("存在问题"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如有，报送后转为困难问题")}),
    )
    problem_category = forms.CharField(
        label=_("问题类别"),
        required=False,
        widget=forms.Select(choices=[("", _("请选择")), *IssueCategory.choices]),
    )

    def __init__(self, data=None, *, project_id: int, report: MonthlyReport | None = None):
        initial = {name: getattr(report, name) for name in services.INPUT_FIELDS} if report else {}
        super().__init__(data, prefix=f"p{project_id}", initial=initial)
        today = timezone.localdate().isoformat()
        self.fields["stage_date"].widget.attrs["max"] = today

    def values(self) -> dict:
        """What was typed, for ``services.sheet_save`` (which checks it)."""
        self.is_valid()  # plain text fields: always valid; makes add_error possible
        return {name: self.cleaned_data.get(name, "") for name in services.INPUT_FIELDS}

    def add_service_errors(self, errors: dict) -> None:
        """``{field: [messages]}`` from the service, on the fields they name."""
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)


class ReviewForm(forms.Form):
    """The comment of 审核通过 / 退回, or the reason of 重新打开 (the service says when it is
    required)."""

    comment = forms.CharField(label=_("意见"), required=False, max_length=2000)

    def text(self) -> str:
        return self.cleaned_data.get("comment", "") if self.is_valid() else ""


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("上传填好的模板"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        error_messages={
            "required": _("请选择要上传的.xlsx文件。"),
            "empty": _("上传的文件是空的。"),
        },
    )


class StatusFilterForm(ScopedForm, forms.Form):
    """The month (not in the future) and, optionally, a region in scope."""

    period = forms.CharField(
        label=_("月份"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    region = RegionChoiceField(
        label=_("地区"),
        queryset=Region.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("全部（本级及下级）"),
    )

    def clean_period(self) -> str:
        period = self.cleaned_data["period"]
        if not period:
            return ""  # none asked for: the month being filed (chosen_period)
        try:
            return services.check_period(period)
        except DomainError as error:
            raise forms.ValidationError(error.messages) from error

    def chosen_period(self) -> str:
        """The month asked for; else — none asked, or a wrong one (its error shown) — the
        month being filed in the user's scope (``selectors.filing_period``)."""
        self.is_valid()
        return self.cleaned_data.get("period") or selectors.filing_period(
            self.user, self.chosen_region()
        )

    def chosen_region(self) -> Region | None:
        self.is_valid()
        return self.cleaned_data.get("region")

    def region_out_of_scope(self) -> bool:
        return self.is_bound and "region" in self.errors
