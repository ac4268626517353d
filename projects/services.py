"""Writes to the project library. Views, API actions, tasks and commands all call these."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import DomainError
from core.workflow import Action, Required, Workflow, about_project
from schedule import services as schedule_services

from .models import (
    PREREVIEW_CRITERIA,
    STAGE_DATE_FIELDS,
    Admission,
    Assessment,
    PreReview,
    PreReviewOpinion,
    Project,
    Stage,
    StageChange,
    Tag,
)


def tags_named(names) -> list[Tag]:
    """The tags with these names, creating the ones that do not exist yet (标签化管理)."""
    return [Tag.objects.get_or_create(name=name)[0] for name in names]


def _save_with_history(project: Project, by, reason: str = "") -> None:
    project._history_user = by
    if reason:
        project._change_reason = reason
    project.full_clean()
    project.save()


def _check_stage_dates(project: Project) -> None:
    """Stage dates must not lie in the future nor before an earlier stage's date."""
    today = timezone.localdate()
    previous: tuple[str, datetime.date] | None = None
    for stage, field in STAGE_DATE_FIELDS.items():
        value = getattr(project, field)
        if value is None:
            continue
        if value > today:
            raise DomainError(
                _("%(stage)s日期不能晚于今天。") % {"stage": Stage(stage).label},
                code="stage_date_in_future",
                field=field,
            )
        if previous and value < previous[1]:
            raise DomainError(
                _("%(stage)s日期不能早于%(previous)s日期（%(date)s）。")
                % {
                    "stage": Stage(stage).label,
                    "previous": Stage(previous[0]).label,
                    "date": previous[1].isoformat(),
                },
                code="stage_date_order",
                field=field,
            )
        previous = (stage, value)


def _not_derived(fields) -> None:
    if "treasury_bond" in fields:
        raise DomainError(
            _("超长期特别国债支持由资金记录推出；与记录不符时请填写人工认定及理由。"),
            code="field_read_only",
            field="treasury_bond",
        )


def _check_override(project: Project) -> None:
    """An office deciding a project's 超长期特别国债 support against its funding records says
    why; with no decision the reason goes."""
    if project.treasury_bond_override is None:
        project.treasury_bond_reason = ""
    else:
        project.treasury_bond_reason = (project.treasury_bond_reason or "").strip()
        if not project.treasury_bond_reason:
            raise DomainError(
                _("人工认定超长期特别国债支持时须写明理由。"),
                code="required",
                field="treasury_bond_reason",
            )


def _follow_funding(project: Project) -> None:
    from funding.services import refresh_treasury_bond

    refresh_treasury_bond([project.pk])
    project.refresh_from_db(fields=["treasury_bond"])


@transaction.atomic
def project_create(*, by, tags=(), **fields) -> Project:
    """Add a project. A project entering at the signed stage waits for its pre-review."""
    _not_derived(fields)
    project = Project(**fields)
    if project.stage == Stage.SIGNED:
        project.admission = Admission.PENDING
    _check_stage_dates(project)
    _check_override(project)
    _save_with_history(project, by)
    if tags:
        project.tags.set(tags)
    if project.treasury_bond_override is not None:
        _follow_funding(project)
    return project


@transaction.atomic
def project_update(*, project: Project, by, tags=None, **fields) -> Project:
    """Edit a project's descriptive fields. The stage changes only through project_transition."""
    forbidden = {"stage", "admission"} & fields.keys()
    if forbidden:
        raise DomainError(
            _("项目阶段和入库状态不能直接修改，请使用阶段变更或会商预审。"), code="field_read_only"
        )
    _not_derived(fields)
    locked = Project.objects.select_for_update().get(pk=project.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_stage_dates(locked)
    _check_override(locked)
    _save_with_history(locked, by)
    if tags is not None:
        locked.tags.set(tags)
    if "treasury_bond_override" in fields:
        _follow_funding(locked)
    if {"planned_start", "started_on"} & fields.keys():
        schedule_services.sync_anchor(project=locked, by=by)
    return locked


def _not_unchanged_or_unadmitted(project: Project, stage: str) -> None:
    if stage == project.stage:
        raise DomainError(
            _("项目已处于“%(stage)s”阶段。") % {"stage": Stage(stage).label},
            code="stage_unchanged",
            field="stage",
        )
    if project.admission != Admission.ADMITTED and Stage.order(stage) > Stage.order(Stage.SIGNED):
        raise DomainError(
            _("项目尚未通过会商预审入库，不能推进到“%(stage)s”阶段。")
            % {"stage": Stage(stage).label},
            code="not_admitted",
            field="stage",
        )


def _office_corrects(project: Project, user) -> None:
    if user is None or not user.is_office_staff:
        raise DomainError(
            _("项目阶段不能倒退；如确需更正，请由重大办工作人员填写原因后办理。"),
            code="stage_backward",
            field="stage",
        )


_ALL_STAGES = frozenset(Stage.values)

#: a project moves forward (stages may be skipped); moving back is a correction
STAGE_WORKFLOW = Workflow(
    name="project",
    model=Project,
    states=Stage,
    state_field="stage",
    event_model=StageChange,
    event_subject="project",
    context=about_project,
    actions=[
        Action(
            "advance",
            gettext_lazy("推进阶段"),
            _ALL_STAGES - {Stage.AT_CAPACITY},
            kind="stage",
        ),
        Action(
            "correct",
            gettext_lazy("阶段更正"),
            _ALL_STAGES - {Stage.PLANNING},
            check=_office_corrects,
            kind="stage",
            requires=(
                Required("reason", gettext_lazy("阶段更正必须填写原因。"),
                         "correction_reason_required"),
            ),
        ),
    ],
)  # fmt: skip


@transaction.atomic
def project_transition(
    *, project: Project, stage: str, date: datetime.date | None, by, reason: str = ""
) -> Project:
    """Move a project to ``stage`` on ``date``.

    Forward moves (stages may be skipped) record the date of the stage reached. A backward
    move is a correction: only office staff may make it, with a reason; the dates of the stages
    undone are cleared, and the reason is kept with the stage change and the change history.
    """
    if stage not in Stage.values:
        raise DomainError(
            _("未知的项目阶段“%(stage)s”。") % {"stage": stage}, code="invalid_stage", field="stage"
        )
    locked = Project.objects.select_for_update().get(pk=project.pk)
    current = locked.stage
    _not_unchanged_or_unadmitted(locked, stage)
    forward = Stage.order(stage) > Stage.order(current)
    if forward and date is None:
        raise DomainError(_("请填写达到该阶段的日期。"), code="date_required", field="date")

    def apply(project: Project, values: dict) -> str:
        if forward:
            setattr(project, STAGE_DATE_FIELDS[stage], date)
        else:
            for later, field in STAGE_DATE_FIELDS.items():
                if Stage.order(later) > Stage.order(stage):
                    setattr(project, field, None)
            if date is not None and stage in STAGE_DATE_FIELDS:
                setattr(project, STAGE_DATE_FIELDS[stage], date)
        project.stage = stage
        _check_stage_dates(project)
        project._history_user = by
        if not forward:
            project._change_reason = _("阶段更正：%(from)s → %(to)s。原因：%(reason)s") % {
                "from": Stage(current).label,
                "to": Stage(stage).label,
                "reason": values["reason"],
            }
        project.full_clean()
        return values.get("reason", "")

    STAGE_WORKFLOW.perform(
        locked,
        "advance" if forward else "correct",
        by,
        data={"reason": reason},
        change=apply,
        extra={"date": date, "is_correction": not forward},
        lock=False,
    )
    schedule_services.sync_anchor(project=locked, by=by)
    # its sub-library follows the stage for this year at once (a reserve project that starts
    # joins the year's construction list), by the same rule as the yearly rollover
    from . import library

    year = timezone.localdate().year
    if library.apply(
        Project.objects.filter(pk=locked.pk), year, by=by, reason=_("阶段变更后按规则调整子库")
    ):
        locked.refresh_from_db(fields=["sub_library", "construction_kind"])
    return locked


@transaction.atomic
def prereview_open(*, project: Project, held_on: datetime.date, departments, by) -> PreReview:
    """Open a pre-review of a project waiting for admission, naming the departments asked."""
    if project.admission == Admission.ADMITTED:
        raise DomainError(_("项目已入库，无需会商预审。"), code="already_admitted")
    if PreReview.objects.filter(project=project, result=PreReview.Result.PENDING).exists():
        raise DomainError(_("该项目已有进行中的会商预审。"), code="prereview_open")
    departments = list(departments)
    if not departments:
        raise DomainError(
            _("请选择参加会商的部门。"), code="departments_required", field="departments"
        )
    prereview = PreReview.objects.create(project=project, held_on=held_on)
    prereview.departments.set(departments)
    return prereview


@transaction.atomic
def prereview_record_opinion(
    *, prereview: PreReview, unit, verdict: str, comment: str = "", by, **criteria
) -> PreReviewOpinion:
    """Record (or revise, while the pre-review is open) one department's opinion, with its
    assessment against the criteria it judged (``PREREVIEW_CRITERIA``: 符合 / 不符合 / 不涉及).
    A criterion judged 不符合 rules out a plain 同意."""
    unknown = criteria.keys() - PREREVIEW_CRITERIA.keys()
    if unknown:
        raise TypeError(f"unknown criteria: {sorted(unknown)}")
    for name, value in criteria.items():
        if value and value not in Assessment.values:
            raise DomainError(
                _("“%(criterion)s”的评估应为符合、不符合或不涉及。")
                % {"criterion": PREREVIEW_CRITERIA[name]},
                code="invalid_assessment",
                field=name,
            )
    failing = [name for name, value in criteria.items() if value == Assessment.FAILS]
    if failing and verdict == PreReviewOpinion.Verdict.AGREE:
        raise DomainError(
            _("“%(criterion)s”评估为不符合，不能出具同意意见，请改为有条件同意或不同意并说明理由。")
            % {"criterion": PREREVIEW_CRITERIA[failing[0]]},
            code="criterion_failed",
            field="verdict",
        )
    prereview = PreReview.objects.select_for_update().get(pk=prereview.pk)
    if prereview.result != PreReview.Result.PENDING:
        raise DomainError(_("会商预审已有结论，不能再修改意见。"), code="prereview_concluded")
    if not prereview.departments.filter(pk=unit.pk).exists():
        raise DomainError(
            _("%(unit)s不在本次会商的部门之列。") % {"unit": unit.name},
            code="unit_not_invited",
            field="unit",
        )
    if (
        verdict in (PreReviewOpinion.Verdict.DISAGREE, PreReviewOpinion.Verdict.CONDITIONAL)
        and not comment.strip()
    ):
        raise DomainError(
            _("不同意或有条件同意时必须说明理由。"), code="comment_required", field="comment"
        )
    opinion, _created = PreReviewOpinion.objects.update_or_create(
        prereview=prereview,
        unit=unit,
        defaults={
            "verdict": verdict,
            "comment": comment.strip(),
            "recorded_by": by,
            **{name: criteria.get(name) or "" for name in PREREVIEW_CRITERIA},
        },
    )
    return opinion


@transaction.atomic
def prereview_conclude(*, prereview: PreReview, by, note: str = "") -> PreReview:
    """Conclude when every department has spoken: any 不同意 fails it, otherwise it passes.
    The project is admitted to the library on a pass and kept out on a fail."""
    prereview = PreReview.objects.select_for_update().select_related("project").get(pk=prereview.pk)
    if prereview.result != PreReview.Result.PENDING:
        raise DomainError(_("会商预审已有结论。"), code="prereview_concluded")
    verdicts = dict(prereview.opinions.values_list("unit_id", "verdict"))
    missing = prereview.departments.exclude(pk__in=verdicts.keys())
    if missing.exists():
        raise DomainError(
            _("尚有部门未出具意见：%(units)s。") % {"units": "、".join(u.name for u in missing)},
            code="opinions_missing",
        )
    passed = PreReviewOpinion.Verdict.DISAGREE not in verdicts.values()
    prereview.result = PreReview.Result.PASSED if passed else PreReview.Result.FAILED
    prereview.concluded_at = timezone.now()
    prereview.concluded_by = by
    prereview.note = note.strip()
    prereview.save()

    project = Project.objects.select_for_update().get(pk=prereview.project_id)
    project.admission = Admission.ADMITTED if passed else Admission.REJECTED
    _save_with_history(
        project,
        by,
        reason=_("会商预审通过，纳入项目库。") if passed else _("会商预审未通过，不予入库。"),
    )
    return prereview
