"""Files attached to approvals (批复文件), issues (问题照片、佐证材料), weekly meetings (会议纪要)
and projects (一项一档): one model for all four, pointing at its parent through a content type.

The file is kept through Django's storage API (S3 when ``S3_BUCKET`` is set), under a random
name; the name the user gave is kept apart and used only for the download. Its type is the one
read from its content (:mod:`attachments.sniffing`). Removing an attachment keeps the row and
the file (``removed_at``, ``removed_by``, ``removal_reason``), and every change is in its
history: nothing is lost.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Region
from projects.models import Project

from .sniffing import TYPES


class FileKind(models.TextChoices):
    """The accepted types, as read from the content."""

    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"
    DOCX = "docx", _("Word（.docx）")
    XLSX = "xlsx", _("Excel（.xlsx）")
    OFD = "ofd", _("OFD 版式文件")


def attachment_upload_to(attachment: Attachment, filename: str) -> str:
    """``attachments/2026/12/<random>.pdf``: a random name with the type's extension — the
    user's file name never reaches the storage."""
    extension = TYPES[attachment.file_kind].extensions[0]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


class AttachmentQuerySet(models.QuerySet):
    def for_user(self, user) -> AttachmentQuerySet:
        """Attachments whose parent ``user`` may see (each kind's own scope rule)."""
        from .kinds import KINDS

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        visible = Q()
        for kind in KINDS.values():
            visible |= Q(
                content_type=ContentType.objects.get_for_model(kind.model),
                object_id__in=kind.visible(user).values("pk"),
            )
        return self.filter(visible)

    def of(self, parent: models.Model) -> AttachmentQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(parent), object_id=parent.pk
        )

    def current(self) -> AttachmentQuerySet:
        """Not removed."""
        return self.filter(removed_at__isnull=True)

    def listed(self) -> AttachmentQuerySet:
        """Newest first, with the people shown next to each."""
        return self.select_related("uploaded_by", "removed_by").order_by("-uploaded_at", "-pk")


class Attachment(models.Model):
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name=_("所属对象类型")
    )
    object_id = models.PositiveBigIntegerField(_("所属对象编号"))
    parent = GenericForeignKey("content_type", "object_id")
    # Where the parent stood when the file was attached: its project (none for a meeting or an
    # unmatched ticket) and region, as its events name them. They say what a file is about
    # (a project's whole record, a region's files); who may see it is always the parent's rule.
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("项目"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", editable=False, verbose_name=_("地区")
    )

    file = models.FileField(_("文件"), upload_to=attachment_upload_to, max_length=200)
    name = models.CharField(_("文件名"), max_length=200)
    file_kind = models.CharField(_("文件类型"), max_length=10, choices=FileKind.choices)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    removed_at = models.DateTimeField(_("移除时间"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("移除人"),
    )
    removal_reason = models.CharField(_("移除原因"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_parent")]

    def __str__(self) -> str:
        return self.name

    @property
    def mime(self) -> str:
        return TYPES[self.file_kind].mime

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    def get_download_url(self) -> str:
        return reverse("attachments:download", args=[self.pk])
