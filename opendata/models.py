"""Open data (开放数据, issue 23): the projects an office has marked public, published as an
OC4IDS project package — live at ``/api/v1/open-data/oc4ids/`` and as one file a month.

Whether a project is public is a :class:`Publication` row of this app (who marked it, when),
not a column of the project library. Each month's file is a :class:`PublishedFile`, kept through
Django's storage API; publishing a month again replaces its file.
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projects.models import ProjectPartQuerySet


class PublicationQuerySet(ProjectPartQuerySet):
    pass


class Publication(models.Model):
    """The project is open data: an office whose scope covers it marked it public. Unmarking
    deletes the row (its change history keeps who marked and unmarked it, and when)."""

    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="publication",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公开人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("公开时间"), default=timezone.now)

    history = HistoricalRecords()
    objects = PublicationQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("公开项目")
        verbose_name_plural = _("公开项目")

    def __str__(self) -> str:
        return str(self.project)


def published_file_upload_to(published: "PublishedFile", filename: str) -> str:
    """``opendata/oc4ids/2026-11/<random>/oc4ids-2026-11.json``: a random part, so a month
    published again never reuses (or overwrites through a cache) the name of its earlier file."""
    return f"opendata/oc4ids/{published.month}/{uuid.uuid4().hex}/{filename}"


class PublishedFile(models.Model):
    """The OC4IDS package of a month as published (one per month; publishing the month again
    replaces the file and its figures). Public: anyone may list and download these."""

    month = models.CharField(_("月份"), max_length=7, unique=True, help_text=_("如 2026-11。"))
    file = models.FileField(_("文件"), upload_to=published_file_upload_to, max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    project_count = models.PositiveIntegerField(_("项目数"))
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-month"]
        verbose_name = _("开放数据文件")
        verbose_name_plural = _("开放数据文件")

    def __str__(self) -> str:
        return f"OC4IDS {self.month}"

    def get_absolute_url(self) -> str:
        return reverse("opendata:file", args=[self.month])

    @property
    def filename(self) -> str:
        return f"oc4ids-{self.month}.json"
