"""Writes to funding: quotas, funding records with their invariants, the REITs pipeline and
financing needs and matches. The invariants are checked here with Chinese messages naming the
field, and again by database constraints."""

from __future__ import annotations

import datetime
from decimal import Decimal
from itertools import pairwise

from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Region
from core.exceptions import DomainError, NotPermitted
from core.templatetags.money import grouped
from core.workflow import Action, Workflow, about_project
from projects.models import Project

from .models import (
    SPECIAL_BOND,
    SPECIAL_BOND_CAPITAL_SHARE,
    TREASURY_BOND,
    FinancialInstitution,
    FinancingMatch,
    FinancingNeed,
    FundingChannel,
    FundingRecord,
    MatchEvent,
    MatchState,
    Quota,
    ReitsEvent,
    ReitsProject,
    ReitsStage,
)

RECORD_FIELDS = frozenset(
    {
        "batch",
        "requested",
        "allocated",
        "issued",
        "used",
        "capital_share",
        "allocated_on",
        "issued_on",
        "used_as_of",
        "note",
    }
)
MONEY_FIELDS = ("requested", "allocated", "issued", "used", "capital_share")
MONEY_LABELS = {
    "requested": _("申请金额"),
    "allocated": _("下达金额"),
    "issued": _("发行/拨付金额"),
    "used": _("支出金额"),
    "capital_share": _("用作资本金金额"),
}


def _editor(by) -> None:
    if not by.can_edit_library:
        raise NotPermitted(_("您没有维护资金数据的权限。"), code="not_permitted")


def _project_in_scope(by, project: Project) -> None:
    if not Project.objects.for_user(by).filter(pk=project.pk).exists():
        raise DomainError(
            _("所选项目不存在或不在您的管辖范围内。"), code="project_out_of_scope", field="project"
        )


def check_record(record: FundingRecord) -> None:
    """The invariants of a funding record: no negative amounts; used ≤ issued ≤ allocated;
    capital ≤ issued, and for special bonds ≤ 25 % of the bond amount (seed 002)."""
    for field in MONEY_FIELDS:
        value = getattr(record, field)
        if value is None or Decimal(value) < 0:
            raise DomainError(
                _("%(field)s不能为负数。") % {"field": MONEY_LABELS[field]},
                code="negative_amount",
                field=field,
            )
    if record.issued > record.allocated:
        raise DomainError(
            _("发行/拨付金额（%(issued)s万元）不能超过下达金额（%(allocated)s万元）。")
            % {"issued": record.issued, "allocated": record.allocated},
            code="issued_above_allocated",
            field="issued",
        )
    if record.used > record.issued:
        raise DomainError(
            _("支出金额（%(used)s万元）不能超过发行/拨付金额（%(issued)s万元）。")
            % {"used": record.used, "issued": record.issued},
            code="used_above_issued",
            field="used",
        )
    if record.channel_id == SPECIAL_BOND:
        limit = (record.issued * SPECIAL_BOND_CAPITAL_SHARE).quantize(Decimal("0.01"))
        if record.capital_share > limit:
            raise DomainError(
                _("专项债用作项目资本金不能超过发行金额的25%%（最多%(limit)s万元）。")
                % {"limit": limit},
                code="capital_above_quarter",
                field="capital_share",
            )
    elif record.capital_share > record.issued:
        raise DomainError(
            _("用作资本金金额不能超过发行/拨付金额。"),
            code="capital_above_issued",
            field="capital_share",
        )
    today = timezone.localdate()
    for field in ("allocated_on", "issued_on", "used_as_of"):
        value = getattr(record, field)
        if value is not None and value > today:
            raise DomainError(_("日期不能晚于今天。"), code="date_future", field=field)


def refresh_treasury_bond(projects=None) -> int:
    """Set each project's ``treasury_bond`` from its funding records — supported when a
    超长期特别国债 record has money allocated (下达) — unless an office decided otherwise
    (``treasury_bond_override``). ``projects``: ids, or None for the whole library. One
    update; answers how many projects changed."""
    funded = Exists(
        FundingRecord.objects.filter(
            project=OuterRef("pk"), channel_id=TREASURY_BOND, allocated__gt=0
        )
    )
    rows = Project.objects.all() if projects is None else Project.objects.filter(pk__in=projects)
    derived = Case(
        When(treasury_bond_override__isnull=False, then="treasury_bond_override"),
        When(funded, then=True),
        default=False,
    )
    return rows.exclude(treasury_bond=derived).update(treasury_bond=derived)


@transaction.atomic
def record_create(
    *, by, project: Project, channel: FundingChannel, year: int, **fields
) -> FundingRecord:
    _editor(by)
    _project_in_scope(by, project)
    unknown = fields.keys() - RECORD_FIELDS
    if unknown:
        raise TypeError(f"unknown funding fields: {sorted(unknown)}")
    record = FundingRecord(project=project, channel=channel, year=year, **fields)
    check_record(record)
    if FundingRecord.objects.filter(
        project=project, channel=channel, year=year, batch=record.batch
    ).exists():
        raise DomainError(
            _("该项目已有同一渠道、年度和批次的资金记录。"), code="record_exists", field="batch"
        )
    record.save()
    refresh_treasury_bond([project.pk])
    return record


@transaction.atomic
def record_update(*, record: FundingRecord, by, **fields) -> FundingRecord:
    _editor(by)
    unknown = fields.keys() - RECORD_FIELDS
    if unknown:
        raise TypeError(f"unknown funding fields: {sorted(unknown)}")
    locked = FundingRecord.objects.select_for_update().get(pk=record.pk)
    _project_in_scope(by, locked.project)
    for name, value in fields.items():
        setattr(locked, name, value)
    check_record(locked)
    locked.save()
    refresh_treasury_bond([locked.project_id])
    return locked


@transaction.atomic
def quota_save(
    *,
    by,
    channel: FundingChannel,
    year: int,
    region: Region,
    amount: Decimal,
    issuance_deadline: datetime.date | None = None,
    note: str = "",
    over_reason: str = "",
) -> Quota:
    """Set a region's quota for a channel and year (office staff of that region or above). A
    split that takes the quotas below a region past that region's own quota needs a reason
    (``over_reason``), kept with the quota."""
    _editor(by)
    if not Region.objects.for_user(by).filter(code=region.code).exists():
        raise DomainError(
            _("所选地区不在您的管辖范围内。"), code="region_out_of_scope", field="region"
        )
    if amount is None or Decimal(amount) < 0:
        raise DomainError(_("额度不能为负数。"), code="negative_amount", field="amount")
    if not channel.has_quota:
        raise DomainError(
            _("“%(channel)s”不按额度管理。") % {"channel": channel.name},
            code="no_quota",
            field="channel",
        )
    over_reason = (over_reason or "").strip()
    beyond = _beyond_parent(channel, year, region, Decimal(amount))
    if beyond is not None and not over_reason:
        parent, total = beyond
        raise DomainError(
            _(
                "%(parent)s的%(channel)s额度为%(quota)s万元，按此分解后下级合计%(total)s万元，"
                "超出%(over)s万元。确需超出请填写理由。"
            )
            % {
                "parent": parent.region.name,
                "channel": channel.name,
                "quota": grouped(parent.amount),
                "total": grouped(total),
                "over": grouped(total - parent.amount),
            },
            code="quota_above_parent",
            field="over_reason",
        )
    quota, _created = Quota.objects.update_or_create(
        channel=channel,
        year=year,
        region=region,
        defaults={
            "amount": amount,
            "issuance_deadline": issuance_deadline,
            "note": note,
            "over_reason": over_reason if beyond is not None else "",
        },
    )
    return quota


def _beyond_parent(channel, year: int, region: Region, amount: Decimal):
    """(the parent region's quota, the split's total) when this amount takes the quotas of
    the regions directly below the parent past the parent's own; else None. The parent's row
    is locked, so two splits at once are checked one after the other."""
    if region.parent_id is None:
        return None
    parent = (
        Quota.objects.select_for_update()
        .select_related("region")
        .filter(channel=channel, year=year, region_id=region.parent_id)
        .first()
    )
    if parent is None:
        return None
    siblings = Quota.objects.filter(
        channel=channel, year=year, region__parent_id=region.parent_id
    ).exclude(region=region).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    total = siblings + amount
    return (parent, total) if total > parent.amount else None


# --- REITs -----------------------------------------------------------------------------------


@transaction.atomic
def reits_add(*, by, project: Project, date: datetime.date, asset: str = "", planned_amount=0):
    _editor(by)
    _project_in_scope(by, project)
    if ReitsProject.objects.filter(project=project).exists():
        raise DomainError(_("该项目已在REITs项目库中。"), code="reits_exists", field="project")
    if date > timezone.localdate():
        raise DomainError(_("日期不能晚于今天。"), code="date_future", field="date")
    if Decimal(planned_amount) < 0:
        raise DomainError(
            _("拟发行规模不能为负数。"), code="negative_amount", field="planned_amount"
        )
    return ReitsProject.objects.create(
        project=project, asset=asset, planned_amount=planned_amount, reserve_on=date
    )


def _reits_refusal(reits: ReitsProject, action: Action) -> DomainError:
    if reits.stage == ReitsStage.LISTED:
        message = _("REITs项目已上市发行，没有下一阶段。")
    else:
        message = _("REITs项目当前处于“%(current)s”，下一阶段只能是“%(next)s”。") % {
            "current": ReitsStage(reits.stage).label,
            "next": ReitsStage(ReitsStage.values[ReitsStage.order(reits.stage) + 1]).label,
        }
    return DomainError(message, code="illegal_stage", field="stage")


#: the REITs pipeline: only forward, one stage at a time (measure 13)
REITS_WORKFLOW = Workflow(
    name="reits",
    model=ReitsProject,
    states=ReitsStage,
    state_field="stage",
    event_model=ReitsEvent,
    event_subject="reits",
    refusal=_reits_refusal,
    context=lambda reits: about_project(reits.project),
    actions=[
        Action(stage, ReitsStage(stage).label, frozenset({previous}), stage, kind="advance")
        for previous, stage in pairwise(ReitsStage.values)
    ],
)


@transaction.atomic
def reits_advance(
    *, reits: ReitsProject, by, stage: str, date: datetime.date, comment: str = ""
) -> ReitsProject:
    """Move a REITs project to the next stage of the pipeline, dated, with a history row."""
    _editor(by)
    locked = ReitsProject.objects.select_for_update().get(pk=reits.pk)
    _project_in_scope(by, locked.project)
    if stage not in ReitsStage.values:
        raise DomainError(_("未知的REITs阶段。"), code="invalid_stage", field="stage")
    # the first stage is where a project enters: no step leads to it
    action = REITS_WORKFLOW.table.get(stage) or Action(stage, "", frozenset(), stage)
    previous = locked.stage_date(locked.stage)

    def change(reits: ReitsProject, values: dict) -> None:
        if date > timezone.localdate():
            raise DomainError(_("日期不能晚于今天。"), code="date_future", field="date")
        if previous is not None and date < previous:
            raise DomainError(
                _("日期不能早于上一阶段的日期（%(date)s）。") % {"date": previous.isoformat()},
                code="date_order",
                field="date",
            )
        setattr(reits, f"{stage}_on", date)

    return REITS_WORKFLOW.perform(
        locked, action, by, change=change, comment=comment, extra={"date": date}, lock=False
    )


# --- financing needs and matches ------------------------------------------------------------


@transaction.atomic
def need_create(*, by, project: Project, kind: str, amount: Decimal, note: str = ""):
    _editor(by)
    _project_in_scope(by, project)
    if kind not in FinancingNeed.Kind.values:
        raise DomainError(_("未知的融资类型。"), code="invalid_kind", field="kind")
    if amount is None or Decimal(amount) <= 0:
        raise DomainError(_("融资需求金额应大于零。"), code="invalid_amount", field="amount")
    return FinancingNeed.objects.create(project=project, kind=kind, amount=amount, note=note)


@transaction.atomic
def need_push(
    *, need: FinancingNeed, by, institutions, date: datetime.date | None = None
) -> list[FinancingMatch]:
    """Push a need to institutions (一次推送多家); institutions already pushed are kept."""
    _editor(by)
    _project_in_scope(by, need.project)
    made = []
    for institution in institutions:
        match, created = FinancingMatch.objects.get_or_create(
            need=need,
            institution=institution,
            defaults={"pushed_on": date or timezone.localdate()},
        )
        if created:
            MATCH_WORKFLOW.record(match, "push", by, before={"state": ""})
            made.append(match)
    return made


def _match_refusal(match: FinancingMatch, action: Action) -> DomainError:
    return DomainError(
        _("对接状态不能从“%(current)s”退回到“%(state)s”。")
        % {"current": MatchState(match.state).label, "state": MatchState(action.target).label},
        code="state_backward",
        field="state",
    )


#: a match moves forward (pushed → in talks → credit granted → disbursed), stages may be
#: skipped, and its amounts may be corrected in the same state; never back
MATCH_WORKFLOW = Workflow(
    name="financing",
    model=FinancingMatch,
    states=MatchState,
    state_field="state",
    event_model=MatchEvent,
    event_subject="match",
    refusal=_match_refusal,
    context=lambda match: about_project(match.need.project),
    actions=[
        Action(
            state,
            MatchState(state).label,
            frozenset(MatchState.values[: MatchState.order(state) + 1]),
            state,
            kind="advance",
        )
        for state in MatchState.values
    ],
)


@transaction.atomic
def match_update(
    *,
    match: FinancingMatch,
    by,
    state: str,
    credit_amount: Decimal | None = None,
    disbursed_amount: Decimal | None = None,
) -> FinancingMatch:
    """Advance a match (pushed → in talks → credit granted → disbursed; never back)."""
    _editor(by)
    locked = (
        FinancingMatch.objects.select_for_update(of=("self",))
        .select_related("need__project")
        .get(pk=match.pk)
    )
    _project_in_scope(by, locked.need.project)
    if state not in MatchState.values:
        raise DomainError(_("未知的对接状态。"), code="invalid_state", field="state")

    def change(match: FinancingMatch, values: dict) -> None:
        if credit_amount is not None:
            match.credit_amount = credit_amount
        if disbursed_amount is not None:
            match.disbursed_amount = disbursed_amount
        _check_amounts(match)

    amounts = {
        "credit_amount": locked.credit_amount if credit_amount is None else credit_amount,
        "disbursed_amount": locked.disbursed_amount
        if disbursed_amount is None
        else disbursed_amount,
    }
    return MATCH_WORKFLOW.perform(locked, state, by, change=change, extra=amounts, lock=False)


def _check_amounts(match: FinancingMatch) -> None:
    if match.credit_amount < 0 or match.disbursed_amount < 0:
        raise DomainError(_("金额不能为负数。"), code="negative_amount", field="credit_amount")
    granted = MatchState.order(match.state) >= MatchState.order(MatchState.CREDIT_GRANTED)
    if granted and match.credit_amount <= 0:
        raise DomainError(_("已授信须填写授信金额。"), code="required", field="credit_amount")
    if match.state == MatchState.DISBURSED and match.disbursed_amount <= 0:
        raise DomainError(_("已投放须填写投放金额。"), code="required", field="disbursed_amount")
    if match.disbursed_amount > match.credit_amount:
        raise DomainError(
            _("投放金额不能超过授信金额。"), code="disbursed_above_credit", field="disbursed_amount"
        )


def institutions_named(names) -> list[FinancialInstitution]:
    return list(FinancialInstitution.objects.filter(name__in=list(names)))
