"""Forms of the report pages: the reading list's filter, the request for a document, and the
confirmation of 印发.

The forms only read what was posted; whether a period may be generated, who may issue and what
happens to an existing draft are :mod:`reports.services`' rules, whose refusals come back on the
field they name (``add_service_error``).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Kind


class ListFilterForm(forms.Form):
    """?kind=briefing&year=2026 on the reading list; anything unrecognised means "all"."""

    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("全部")), *Kind.choices], required=False
    )
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)

    def chosen(self) -> tuple[str, int | None]:
        if not self.is_valid():
            # a mistyped address shows everything rather than an error page
            kind = self.data.get("kind", "")
            return (kind if kind in Kind.values else ""), None
        return self.cleaned_data["kind"], self.cleaned_data["year"]


class RequestForm(forms.Form):
    """生成文档: a kind and the period it covers (week for the agenda, month otherwise)."""

    kind = forms.ChoiceField(label=_("文档类型"), choices=Kind.choices, initial=Kind.BRIEFING)
    period = forms.CharField(
        label=_("期间"),
        max_length=8,
        help_text=_("周碰头会议程填周，如 2026-W48；简报、专报和手册填月份，如 2026-11。"),
        widget=forms.TextInput(
            attrs={"placeholder": "2026-11", "autocomplete": "off", "inputmode": "text"}
        ),
    )

    correction = forms.BooleanField(
        label=_("更正已印发的文档"),
        required=False,
        help_text=_("该期间的文档已印发时，勾选后生成新的一期作为更正。"),
    )

    def clean_period(self) -> str:
        return self.cleaned_data["period"].strip().upper()


class PublishForm(forms.Form):
    """印发 is final: the office confirms it has checked the document."""

    confirm = forms.BooleanField(
        label=_("我已核对文档内容，确认印发"),
        error_messages={"required": _("请先勾选确认：印发后文档不能再修改。")},
    )
