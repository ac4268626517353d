"""Project lights (红/黄/绿): one derived status per project from documented rules, computed in
the database as annotations so a list can filter and sort by it at province scale.

Red — any of:
- ``start_at_risk``     not yet started and the backward schedule has a negative float
                        (the construction start can no longer be met: 开工有风险)
- ``issue_overdue``     an issue being handled (交办/办理中) past its 办结时限
- ``approval_overdue``  an approval running past its promised date (承诺办结日)
- ``investment_behind`` under construction, and this year's approved investment (the library's
                        本年完成投资, kept by the monthly review) is below
                        ``LIGHT_INVESTMENT_SHARE`` of the plan to date (the year's planned
                        investment spread evenly over the months whose filing deadline has passed)

Yellow — none of those, but any of:
- ``float_low``         not yet started and the least float is ``LIGHT_FLOAT_WORKDAYS`` working days
                        or fewer
- ``deadline_near``     an issue's 办结时限 or an approval's promised date falls within
                        ``LIGHT_DEADLINE_WORKDAYS`` working days from today

Green — none of these. Nothing here is stored or set by hand: change the facts and the light
follows. "Worst first" orders red before yellow before green, then by how many rules a project
breaks, then by total investment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Stage

RED, YELLOW, GREEN = "red", "yellow", "green"
LIGHTS = ((RED, _("红灯")), (YELLOW, _("黄灯")), (GREEN, _("绿灯")))
LIGHT_LABELS = dict(LIGHTS)
RANK = {RED: 0, YELLOW: 1, GREEN: 2}


@dataclass(frozen=True)
class Rule:
    code: str
    light: str
    label: str


RULES = (
    Rule("start_at_risk", RED, _("开工有风险（机动时间为负）")),
    Rule("issue_overdue", RED, _("有逾期未办结的问题")),
    Rule("approval_overdue", RED, _("有超过承诺时限的审批")),
    Rule("investment_behind", RED, _("投资完成低于序时进度")),
    Rule("float_low", YELLOW, _("开工机动时间不足")),
    Rule("deadline_near", YELLOW, _("问题或审批时限临近")),
)
RED_RULES = tuple(rule.code for rule in RULES if rule.light == RED)
YELLOW_RULES = tuple(rule.code for rule in RULES if rule.light == YELLOW)
NOT_STARTED = (Stage.PLANNING, Stage.SIGNED, Stage.FILED)
MONEY = DecimalField(max_digits=18, decimal_places=4)


def _field(code: str) -> str:
    return f"light_{code}"


def months_due(today: datetime.date) -> int:
    """How many months of this year have passed their filing deadline (the plan to date)."""
    from progress.models import deadline_of

    return sum(1 for m in range(1, 13) if deadline_of(f"{today.year:04d}-{m:02d}") < today)


def horizon(today: datetime.date) -> datetime.date:
    """The last day that counts as "near" for a deadline."""
    from schedule.workdays import current_calendar

    return current_calendar().add_workdays(today, settings.LIGHT_DEADLINE_WORKDAYS)


def _flag(condition) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _rules(today: datetime.date) -> dict:
    """One boolean expression per rule, over a Project queryset."""
    from approvals.models import RUNNING_STATUSES, Approval
    from issues.models import HANDLING_STATUSES, Issue

    near = horizon(today)
    issues = Issue.objects.filter(project=OuterRef("pk"), status__in=HANDLING_STATUSES)
    approvals = Approval.objects.filter(project=OuterRef("pk"), status__in=RUNNING_STATUSES)
    months = months_due(today)
    not_started = Q(stage__in=NOT_STARTED)
    rules = {
        "start_at_risk": _flag(not_started & Q(schedule__at_risk=True)),
        "issue_overdue": Exists(issues.filter(deadline__lt=today)),
        "approval_overdue": Exists(approvals.filter(promise_late_on__lte=today)),
        "float_low": _flag(not_started & Q(schedule__min_float__lte=settings.LIGHT_FLOAT_WORKDAYS)),
        "deadline_near": _flag(
            Exists(issues.filter(deadline__gte=today, deadline__lte=near))
            | Exists(approvals.filter(promise_due_on__gte=today, promise_due_on__lte=near))
        ),
    }
    if months:
        share = Decimal(str(settings.LIGHT_INVESTMENT_SHARE)) * months / 12
        due = ExpressionWrapper(
            F("planned_investment_year") * Value(share, output_field=MONEY), output_field=MONEY
        )
        rules["investment_behind"] = _flag(
            Q(stage=Stage.STARTED, planned_investment_year__gt=0)
            & Q(completed_investment_year__lt=due)
        )
    else:
        rules["investment_behind"] = Value(False, output_field=BooleanField())
    return rules


def with_light_rules(queryset: QuerySet, today: datetime.date | None = None) -> QuerySet:
    """``queryset`` (projects) annotated with one boolean ``light_<rule>`` per rule: all that a
    page or an answer showing each project's light needs (:func:`light_of` works the light out
    of them). :func:`having` filters on them; ordering or counting by light needs
    :func:`with_lights`."""
    rules = _rules(today or timezone.localdate())
    return queryset.annotate(**{_field(code): expression for code, expression in rules.items()})


def has_light_rules(queryset: QuerySet) -> bool:
    """Whether ``queryset`` carries the rules' annotations already."""
    return _field(RULES[0].code) in queryset.query.annotations


def with_lights(queryset: QuerySet, today: datetime.date | None = None) -> QuerySet:
    """``queryset`` (projects) annotated with the rules (:func:`with_light_rules`) and, worked
    out of them in the database, ``light`` (red/yellow/green), ``light_rank`` (0 worst) and
    ``light_score`` (rules broken, red ones weighing 10) — to order, group or count by light.
    Each of these repeats the rules' expressions in the SQL: a query that only shows lights is
    smaller and faster with :func:`with_light_rules`."""
    if not has_light_rules(queryset):
        queryset = with_light_rules(queryset, today)
    red, yellow = breaks(RED), breaks(YELLOW)
    score = sum(
        (
            Case(
                When(**{_field(rule.code): True}, then=Value(10 if rule.light == RED else 1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for rule in RULES
        ),
        start=Value(0, output_field=IntegerField()),
    )
    return queryset.annotate(
        light_rank=Case(
            When(red, then=Value(0)),
            When(yellow, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        light_score=score,
    ).annotate(
        light=Case(
            When(light_rank=0, then=Value(RED)),
            When(light_rank=1, then=Value(YELLOW)),
            default=Value(GREEN),
        )
    )


def breaks(light: str) -> Q:
    """A filter on a ``with_lights`` queryset: the projects breaking any rule of ``light``."""
    codes = RED_RULES if light == RED else YELLOW_RULES
    condition = Q()
    for code in codes:
        condition |= Q(**{_field(code): True})
    return condition


def having(light: str) -> Q:
    """A filter on a ``with_lights`` queryset: the projects whose light is ``light``. Written
    as the rules themselves (not ``light=…``) so the database can use each rule's own plan."""
    if light == RED:
        return breaks(RED)
    if light == YELLOW:
        return ~breaks(RED) & breaks(YELLOW)
    return ~breaks(RED) & ~breaks(YELLOW)


def worst_first(queryset: QuerySet) -> QuerySet:
    return queryset.order_by("light_rank", "-light_score", "-total_investment", "pk")


def reasons(project) -> list[Rule]:
    """The rules an annotated project breaks, red ones first."""
    return [rule for rule in RULES if getattr(project, _field(rule.code), False)]


def light_of(project, today: datetime.date | None = None) -> tuple[str, list[Rule]]:
    """The light of one project and the rules it breaks, red ones first: worked out of its
    annotations (:func:`with_light_rules` or :func:`with_lights`), or looked up in a query."""
    if not hasattr(project, _field(RULES[0].code)):
        from projects.models import Project

        project = with_light_rules(Project.objects.filter(pk=project.pk), today).get()
    broken = reasons(project)
    light = min((rule.light for rule in broken), key=RANK.__getitem__, default=GREEN)
    return light, broken
