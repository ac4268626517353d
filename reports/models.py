"""Generated documents (SPEC §10): the weekly meeting agenda, the briefing 《重大项目工作简报》,
the monthly special report (推进专报) and the completion handbook (完成情况手册).

A :class:`Report` is one numbered document of an issuing office: the job that builds it, the
file it produced and, once published, the immutable record leaders read. States::

    queued → running → done → (published)        published_at set: never changes again
                     ↘ failed → queued (retry)
    running → queued (its worker died: re-run by the reaper, a few times at most; core.jobs)
    done   → queued  (regenerated while still a draft: same number, new file)

A rerun for the same office, kind and period updates the unpublished draft; after publication a
rerun is a correction with the next number (更正), which names the report it corrects.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, Role, Unit
from accounts.scope import ScopedQuerySet
from core.models import Job, WorkflowEvent


class Kind(models.TextChoices):
    WEEKLY_AGENDA = "weekly_agenda", _("周碰头会议程")
    BRIEFING = "briefing", _("重大项目工作简报")
    MONTHLY_SPECIAL = "monthly_special", _("重大项目推进专报")
    HANDBOOK = "handbook", _("重大项目完成情况手册")


#: kinds whose period is an ISO week (``2026-W48``); the others take a month (``2026-11``)
WEEKLY_KINDS = frozenset({Kind.WEEKLY_AGENDA})
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class Status(models.TextChoices):
    """queued → running → done | failed; failed → queued (retry); done → queued (regenerate a
    draft). Publication is ``published_at``, not a status: only a done report is published."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


#: the kinds that go out to a distribution (主送/抄送) by default; the weekly meeting's agenda
#: stays with the office that holds the meeting
DISTRIBUTED_KINDS = frozenset({Kind.BRIEFING, Kind.MONTHLY_SPECIAL, Kind.HANDBOOK})
#: the roles of an office's own side: they read the published documents of their region and of
#: the regions below it (SPEC §2); anyone else reads only what is distributed to them
ISSUING_SIDE_ROLES = frozenset(
    {
        Role.Code.OFFICE_STAFF,
        Role.Code.COUNTY_FILER,
        Role.Code.LEADER,
        Role.Code.API_CLIENT,
        Role.Code.SYSTEM_ADMIN,
    }
)


class ReportQuerySet(ScopedQuerySet):
    """Who may read a document (SPEC §17, issue 19), the one rule of pages, API, files and the
    notice of publication (:meth:`readable_by`):

    - a published document: the issuing office's staff and leaders (and their filers and
      systems), and those of the regions above it, which it concerns (SPEC §2); and those on
      its distribution (主送/抄送) — the offices of the regions named there, the units named
      there — whether above or beside the issuer;
    - a draft, a running or failed job: the issuing office's staff only;
    - project-unit contacts: none, these are government documents.

    A county therefore no longer reads the province's briefing, which lists every city's
    figures, unless the province sends it to that county."""

    scope_region_path = "unit__region"

    def readable_by(self, user) -> ReportQuerySet:
        """The documents ``user`` may read (the rule above; all for whoever sees everything)."""
        return self.for_user(user)

    def published(self) -> ReportQuerySet:
        return self.filter(published_at__isnull=False)

    def drafts(self) -> ReportQuerySet:
        return self.filter(published_at__isnull=True)

    def narrow(self, queryset, user) -> ReportQuerySet:
        """:meth:`readable_by` for a user who does not see everything (the region rule alone
        would hide what the regions above send down, so this starts from every document)."""
        if user.region_id is None or user.restricted_to_unit:
            return self.none()
        issuing_side = bool(user.role_codes & ISSUING_SIDE_ROLES)
        sent = Exists(
            Report.distribution_regions.through.objects.filter(
                report=OuterRef("pk"), region_id=user.region_id
            )
        )
        if not issuing_side:  # a department: what is sent to its unit
            sent = Exists(
                Report.distribution_units.through.objects.filter(
                    report=OuterRef("pk"), unit_id=user.unit_id
                )
            )
        readable = sent
        if issuing_side:
            readable |= Q(unit__region__code__startswith=user.scope_prefix)
            if user.unit_id is not None:
                readable |= Exists(
                    Report.distribution_units.through.objects.filter(
                        report=OuterRef("pk"), unit_id=user.unit_id
                    )
                )
        visible = Q(published_at__isnull=False) & readable
        if user.is_office_staff:
            visible |= Q(published_at__isnull=True, unit__region_id=user.region_id)
        return self.filter(visible)

    def ordered(self) -> ReportQuerySet:
        """Newest first: by publication, then by creation for drafts."""
        return self.order_by(models.F("published_at").desc(nulls_first=True), "-created_at", "-pk")


def report_upload_to(report: Report, filename: str) -> str:
    """``reports/2026/briefing/<office>/<random>/briefing-2026-11-no3.pdf``: one folder per
    office and a random part, so no two files ever share a name, whatever the storage."""
    return f"reports/{report.year}/{report.kind}/{report.unit_id}/{uuid.uuid4().hex}/{filename}"


class Report(Job):
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    period = models.CharField(_("期间"), max_length=8, help_text=_("周：2026-W48；月：2026-11。"))
    year = models.PositiveSmallIntegerField(_("年度"), help_text=_("期号按此年度连续编号。"))
    number = models.PositiveIntegerField(_("期号"))
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("编发单位"),
        on_delete=models.PROTECT,
        related_name="reports",
        help_text=_("其所在地区即文档内容的范围。"),
    )
    title = models.CharField(_("标题"), max_length=200)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("更正的报告"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    step = models.CharField(_("当前步骤"), max_length=100, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("生成次数"), default=0)
    interruptions = models.PositiveSmallIntegerField(
        _("中断次数"),
        default=0,
        help_text=_("本次生成因后台服务中断而自动重新排队的次数（重新请求或重试时归零）。"),
    )
    queued_at = models.DateTimeField(_("排队时间"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to=report_upload_to, blank=True, max_length=200)
    page_count = models.PositiveIntegerField(_("页数"), null=True, blank=True)
    as_of = models.DateField(_("数据截止日期"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("为空表示由定时任务生成。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("印发人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # 主送/抄送: who reads the published document besides its issuer (ReportQuerySet)
    distribution_regions = models.ManyToManyField(
        Region,
        verbose_name=_("分送地区"),
        blank=True,
        related_name="+",
        help_text=_("主送、抄送的地区：其重大办工作人员和领导可阅读已印发的文档。"),
    )
    distribution_units = models.ManyToManyField(
        Unit,
        verbose_name=_("分送单位"),
        blank=True,
        related_name="+",
        help_text=_("主送、抄送的单位（如领导小组成员单位）：其人员可阅读已印发的文档。"),
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("报告")
        verbose_name_plural = _("报告")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "kind", "year", "number"], name="report_number_unique"
            ),
            models.UniqueConstraint(
                fields=["unit", "kind", "period"],
                condition=Q(published_at__isnull=True),
                name="report_one_draft_per_period",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="report_number_positive"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_percent"),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(status="done"),
                name="report_published_only_when_done",
            ),
        ]
        indexes = [models.Index(fields=["kind", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # The one guard every writer passes through, the admin included: a published report is
        # the record leaders read; a correction is a new number (SPEC §10).
        if self.pk and Report.objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise PublishedReportError(self)
        created = self._state.adding
        super().save(*args, **kwargs)
        if created:  # every new document, whoever writes it, starts with the usual distribution
            self.distribute_by_default()

    def distribute_by_default(self) -> None:
        """The seeds' practice: the province office's documents go to the offices of the
        cities (主送 各设区市) and to the member departments at the province (领导小组各成员
        单位); a city's to its counties; a county's to nobody beyond itself. The weekly agenda
        stays with its office (DISTRIBUTED_KINDS)."""
        if self.kind not in DISTRIBUTED_KINDS:
            return
        region = self.unit.region
        self.distribution_regions.set(Region.objects.filter(parent=region))
        if region.level == Region.Level.PROVINCE:
            self.distribution_units.set(
                Unit.objects.filter(region=region, kind=Unit.Kind.DEPARTMENT)
            )

    @property
    def distribution(self) -> list[str]:
        """The names on the distribution, regions then units (the detail page)."""
        return [
            *(region.name for region in self.distribution_regions.all()),
            *(unit.name for unit in self.distribution_units.all()),
        ]

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        if self.pk and Report.objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise PublishedReportError(self)
        return super().delete(*args, **kwargs)

    @property
    def region(self) -> Region:
        return self.unit.region

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_pdf(self) -> bool:
        return self.kind != Kind.HANDBOOK

    @property
    def badge(self) -> tuple[str, str]:
        """The state readers see, as (class suffix, label): 已印发, 待印发 (generated, not yet
        published), else the job's status — on the pages and in the answer their poll reads."""
        if self.is_published:
            return "published", str(_("已印发"))
        if self.status == Status.DONE:
            return "done", str(_("待印发"))
        return self.status, str(self.get_status_display())

    @property
    def content_type(self) -> str:
        from progress.xlsx import XLSX

        return "application/pdf" if self.is_pdf else XLSX

    @property
    def extension(self) -> str:
        return ".pdf" if self.is_pdf else ".xlsx"

    @property
    def percent(self) -> int:
        return self.progress

    @property
    def step_text(self) -> str:
        return self.step

    @property
    def number_label(self) -> str:
        return _("%(year)s年第%(number)s期") % {"year": self.year, "number": self.number}


class PublishedReportError(Exception):
    def __init__(self, report: Report):
        super().__init__(f"report {report.pk} is published and cannot change")


class ReportEvent(WorkflowEvent):
    """One step of a document: requested, retried, generated, failed, published. Kept when a
    draft is deleted, so the record of who asked for what stays."""

    report = models.ForeignKey(
        Report,
        verbose_name=_("文档"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
    )
    kind = models.CharField(_("事项"), max_length=12)
    from_state = models.CharField(_("原状态"), max_length=10, choices=Status.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=10, choices=Status.choices, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("文档记录")
        verbose_name_plural = _("文档记录")

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind}"
