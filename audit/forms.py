from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Action, Outcome


class AuditFilterForm(forms.Form):
    """The audit page's filters: who, what, on which object, between which days."""

    user = forms.CharField(label=_("用户"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("全部"))] + Action.choices
    )
    outcome = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部"))] + Outcome.choices
    )
    object = forms.CharField(label=_("对象"), required=False, max_length=100)
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data
