from django import forms
from django.utils.translation import gettext_lazy as _

from core.events import CATALOGUE

from .models import Preference


class PreferenceForm(forms.ModelForm):
    muted = forms.MultipleChoiceField(
        label=_("不通过邮件、短信接收的事件"),
        required=False,
        choices=[(name, f"{entry.when}（{name}）") for name, entry in CATALOGUE.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("站内通知照常保留。紧急事项（逾期、通报、约谈）不受免打扰时段限制。"),
    )

    class Meta:
        model = Preference
        fields = ["email", "sms", "digest", "quiet_start", "quiet_end", "muted"]
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}),
        }
