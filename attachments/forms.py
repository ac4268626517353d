"""The upload and removal forms of the pages (the API has its serializers)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("文件"),
        help_text=_("PDF、JPG、PNG、Word（.docx）、Excel（.xlsx）或 OFD"),
        error_messages={
            "required": _("请选择要上传的文件。"),
            "empty": _("上传的文件是空的。"),
            "invalid": _("没有收到文件，请重新选择。"),
        },
    )
    description = forms.CharField(label=_("说明"), max_length=200, required=False)


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("移除原因"), max_length=200, required=False)
