"""Attachments as other systems see them, the upload's multipart body, the list's query and the
removal's body."""

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attachments.kinds import KINDS, ParentType
from attachments.models import Attachment


def _parent_types() -> dict[int, str]:
    return {ContentType.objects.get_for_model(k.model).pk: slug for slug, k in KINDS.items()}


class AttachmentSerializer(serializers.ModelSerializer):
    parent_type = serializers.SerializerMethodField(help_text=_("所属对象类型"))
    parent_id = serializers.IntegerField(source="object_id", read_only=True)
    mime = serializers.CharField(read_only=True, help_text=_("按文件内容识别的类型"))
    uploaded_by_name = serializers.SerializerMethodField()
    removed_by_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(help_text=_("下载地址（API）"))

    class Meta:
        model = Attachment
        fields = [
            "id",
            "parent_type",
            "parent_id",
            "name",
            "file_kind",
            "mime",
            "size",
            "sha256",
            "description",
            "uploaded_by_name",
            "uploaded_at",
            "removed_at",
            "removed_by_name",
            "removal_reason",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ParentType.choices))
    def get_parent_type(self, attachment: Attachment) -> str:
        return _parent_types()[attachment.content_type_id]

    def get_uploaded_by_name(self, attachment: Attachment) -> str:
        return str(attachment.uploaded_by)

    def get_removed_by_name(self, attachment: Attachment) -> str | None:
        return str(attachment.removed_by) if attachment.removed_by_id else None

    def get_download_url(self, attachment: Attachment) -> str:
        url = reverse("api:attachment-file", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ParentSerializer(serializers.Serializer):
    parent_type = serializers.ChoiceField(
        choices=ParentType.choices, help_text=_("所属对象类型：approval、issue、meeting、project")
    )
    parent_id = serializers.IntegerField(min_value=1, help_text=_("所属对象的编号"))


class AttachmentQuerySerializer(serializers.Serializer):
    """The list's filters: one parent's attachments (both given), removed ones included on
    request."""

    parent_type = serializers.ChoiceField(choices=ParentType.choices, required=False)
    parent_id = serializers.IntegerField(min_value=1, required=False)
    removed = serializers.BooleanField(
        required=False, default=False, help_text=_("包括已移除的附件")
    )

    def validate(self, attrs):
        if ("parent_type" in attrs) != ("parent_id" in attrs):
            raise serializers.ValidationError(_("parent_type 和 parent_id 须同时给出。"))
        return attrs


class AttachmentUploadSerializer(ParentSerializer):
    file = serializers.FileField(
        help_text=_("PDF、JPG、PNG、Word（.docx）、Excel（.xlsx）或 OFD，按内容识别"),
        error_messages={
            "required": _("请选择要上传的文件。"),
            "empty": _("上传的文件是空的。"),
            "invalid": _("没有收到文件，请以 multipart/form-data 上传 file 字段。"),
        },
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class AttachmentRemoveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text=_("移除原因")
    )
