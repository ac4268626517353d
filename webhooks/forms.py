from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region
from core.events import ANY, CATALOGUE
from core.forms import ScopedForm, ScopedModelChoiceField

from .matching import prefixes


def event_choices() -> list[tuple[str, str]]:
    """Everything, each family (``issue.*``), then each name with when it happens."""
    choices = [(ANY, _("全部事件"))]
    for prefix in prefixes():
        count = sum(1 for name in CATALOGUE if name.startswith(prefix[:-1]))
        choices.append(
            (prefix, _("%(prefix)s（该类全部%(n)d个事件）") % {"prefix": prefix, "n": count})
        )
    choices += [(name, f"{name} · {entry.when}") for name, entry in CATALOGUE.items()]
    return choices


class SubscriptionForm(ScopedForm, forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=100,
        help_text=gettext_lazy("接收方系统的名称，如“无锡市大数据管理局项目平台”。"),
    )
    url = forms.CharField(
        label=gettext_lazy("接收地址"),
        max_length=500,
        help_text=gettext_lazy("以 http:// 或 https:// 开头；平台向它 POST 签名的 JSON。"),
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )
    region = ScopedModelChoiceField(
        Region.objects.all(),
        label=gettext_lazy("地区"),
        to_field_name="code",
        help_text=gettext_lazy("只发送该地区及其下级地区的事件。"),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("订阅的事件"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("请至少选择一个事件。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = event_choices()
        if not self.is_bound and "region" not in self.initial and self.user.region_id:
            self.initial["region"] = self.user.region_id
