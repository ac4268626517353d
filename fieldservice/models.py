"""走访服务 (seed 000 measure 6: 直达现场、面对面问进度问原因、现场协调会办;
measure 7: 一项目一专员; seed 004: 领导挂钩帮办).

A project may have one service specialist (:class:`Assignment`), a platform user who visits it;
its linked leader is the project's own ``responsible_leader``. Every visit is a
:class:`Visit`; each problem raised on it became an issue ticket through the issues app's intake
(``issues.services.issue_report``) and is linked back by a :class:`VisitProblem`.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projects.models import ProjectPartQuerySet


class VisitorKind(models.TextChoices):
    SPECIALIST = "specialist", _("服务专员")
    LEADER = "leader", _("挂钩领导")


class AssignmentQuerySet(ProjectPartQuerySet):
    pass


class Assignment(models.Model):
    """The project's service specialist (服务专员). Replacing the person keeps ``assigned_on``:
    the project has had a specialist since then, which is what coverage counts."""

    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="service_assignment",
    )
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务专员"),
        on_delete=models.PROTECT,
        related_name="service_assignments",
    )
    assigned_on = models.DateField(_("配备日期"), default=timezone.localdate)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务专员")
        verbose_name_plural = _("服务专员")

    def __str__(self) -> str:
        return f"{self.project} · {self.specialist}"


class VisitQuerySet(ProjectPartQuerySet):
    def with_related(self):
        return self.select_related("project", "project__region", "recorded_by")


class Visit(models.Model):
    """A visit to the project (走访/帮办): when, who went, what they found."""

    project = models.ForeignKey(
        "projects.Project", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("走访日期"))
    visitor_kind = models.CharField(_("走访人类型"), max_length=12, choices=VisitorKind.choices)
    visitors = models.CharField(_("走访人"), max_length=200)
    findings = models.TextField(_("走访发现"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    history = HistoricalRecords()
    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        indexes = [models.Index(fields=["project", "visited_on"], name="visit_project_day")]

    def __str__(self) -> str:
        return f"{self.project} · {self.visited_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("fieldservice:detail", args=[self.pk])


class VisitProblemQuerySet(ProjectPartQuerySet):
    scope_project_path = "visit__project"

    def narrow(self, queryset, user):
        """A problem is seen with its ticket: a department liaison sees a visit to a project
        their unit works on, but only the problems whose tickets are their unit's."""
        queryset = super().narrow(queryset, user)
        if user.sees_only_assignments:
            from issues.models import Issue

            return queryset.filter(issue__in=Issue.objects.for_user(user).values("pk"))
        return queryset


class VisitProblem(models.Model):
    """A problem raised on a visit: the issue ticket it became."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("走访记录"), on_delete=models.CASCADE, related_name="problems"
    )
    issue = models.OneToOneField(
        "issues.Issue",
        verbose_name=_("问题工单"),
        on_delete=models.PROTECT,
        related_name="visit_problem",
    )

    history = HistoricalRecords()
    objects = VisitProblemQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("走访提出的问题")
        verbose_name_plural = _("走访提出的问题")

    def __str__(self) -> str:
        return str(self.issue)
