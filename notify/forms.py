from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from core.events import CATALOGUE

from .models import Preference, UnitChannel


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


class UnitChannelForm(forms.ModelForm):
    """A unit's group robot, for units in the office's region."""

    events = forms.MultipleChoiceField(
        label=_("推送的事件"),
        required=False,
        choices=[(name, f"{entry.when}（{name}）") for name, entry in CATALOGUE.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选：推送该单位的全部通知。"),
    )

    class Meta:
        model = UnitChannel
        fields = ["unit", "name", "url", "events", "active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.for_user(user).order_by("region_id", "name")

    def clean_url(self):
        import apprise

        url = self.cleaned_data["url"].strip()
        if not apprise.Apprise().add(url):
            raise forms.ValidationError(_("无法识别的推送地址，请按 Apprise 的格式填写。"))
        return url
