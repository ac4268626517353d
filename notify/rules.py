"""Who is told what (SPEC §5, seed 003): for each event, the people and units concerned, and
the message they get. Nobody is told about something they cannot open: every person is
checked against the object's scope (``for_user``) before anything is written for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role, User
from core.events import DomainEvent

#: events that reach people even in their quiet hours
URGENT = frozenset(
    {
        "issue.overdue",
        "issue.notice",
        "issue.accept_overdue",
        "unit.interview",
        "approval.overdue",
    }
)

HANDLING_ROLES = (Role.Code.DEPARTMENT_LIAISON, Role.Code.OFFICE_STAFF)


@dataclass
class Message:
    title: str
    body: str = ""
    url: str = ""
    #: people told (the scope check follows)
    users: list = field(default_factory=list)
    #: units whose group robots are told
    units: list[int] = field(default_factory=list)
    #: whether the person who acted is told too (a job's result they asked for)
    tell_actor: bool = False


def people(**lookups):
    """Active users by role and place, e.g. ``people(roles=..., region_id=...)``."""
    roles = lookups.pop("roles", None)
    found = User.objects.filter(is_active=True, **lookups)
    if roles:
        found = found.filter(roles__code__in=roles)
    return list(found.distinct())


def office(region_code: str | None) -> list:
    return people(roles=[Role.Code.OFFICE_STAFF], region_id=region_code) if region_code else []


def handlers(unit_id: int | None) -> list:
    return people(roles=HANDLING_ROLES, unit_id=unit_id) if unit_id else []


def leaders(unit_id: int | None) -> list:
    return people(roles=[Role.Code.LEADER], unit_id=unit_id) if unit_id else []


def contacts(unit_id: int | None) -> list:
    return people(roles=[Role.Code.PROJECT_UNIT_CONTACT], unit_id=unit_id) if unit_id else []


def _url(obj) -> str:
    return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""


# --- issues -----------------------------------------------------------------------------------


def _issue_lines(issue) -> str:
    project = issue.project.name if issue.project_id else issue.project_hint
    return _("项目：%(project)s；问题类别：%(category)s；事权层级：%(level)s。") % {
        "project": project or "—",
        "category": issue.get_category_display(),
        "level": issue.get_level_display(),
    }


def issue_message(event: DomainEvent, issue) -> Message | None:
    name = event.name.split(".", 1)[1]
    title = issue.title
    lines = _issue_lines(issue)
    level_office = office(issue.level_region_code())
    comment = event.payload.get("comment", "")
    if name == "report":
        return Message(_("新问题待受理：%(t)s") % {"t": title}, lines, users=level_office)
    if name == "escalate":
        return Message(
            _("问题上提至%(level)s，待受理：%(t)s")
            % {"level": issue.get_level_display(), "t": title},
            f"{lines}\n{comment}",
            users=level_office,
        )
    if name == "accept_overdue":
        return Message(_("受理超时：%(t)s") % {"t": title}, lines, users=level_office)
    if name == "assign":
        five = _(
            "责任单位：%(unit)s；责任领导：%(leader)s；责任人：%(person)s；"
            "解决方案：%(plan)s；办结时限：%(deadline)s。"
        ) % {
            "unit": issue.unit.name if issue.unit_id else "—",
            "leader": issue.responsible_leader,
            "person": issue.responsible_person,
            "plan": issue.solution,
            "deadline": issue.deadline.isoformat() if issue.deadline else "—",
        }
        return Message(
            _("交办任务：%(t)s") % {"t": title},
            f"{lines}\n{five}",
            users=handlers(issue.unit_id),
            units=[issue.unit_id] if issue.unit_id else [],
        )
    if name == "remind":
        return Message(
            _("即将到期：%(t)s（%(d)s前办结）") % {"t": title, "d": issue.deadline},
            comment,
            users=handlers(issue.unit_id),
        )
    if name == "overdue":
        return Message(
            _("已逾期：%(t)s") % {"t": title},
            comment,
            users=handlers(issue.unit_id) + level_office,
        )
    if name == "notice":
        unit_id = event.payload.get("unit") or issue.unit_id or _last_notice_unit(issue)
        return Message(
            _("通报：%(t)s 逾期未办结") % {"t": title},
            f"{lines}\n{comment}",
            users=handlers(unit_id) + leaders(unit_id),
            units=[unit_id] if unit_id else [],
        )
    if name == "resolve":
        return Message(
            _("办理结果待确认：%(t)s") % {"t": title},
            issue.resolution,
            users=contacts(issue.project.unit_id) if issue.project_id else [],
        )
    if name == "return":
        return Message(_("退回重办：%(t)s") % {"t": title}, comment, users=handlers(issue.unit_id))
    return None


def _last_notice_unit(issue) -> int | None:
    notice = issue.notices.order_by("-issued_on", "-pk").first()
    return notice.unit_id if notice else None


def interview_message(event: DomainEvent, interview) -> Message:
    unit = interview.unit
    return Message(
        _("约谈：%(unit)s（%(kind)s）") % {"unit": unit.name, "kind": interview.get_kind_display()},
        _("%(unit)s的任务多次通报仍未完成，按“一通报、两约谈”安排约谈。") % {"unit": unit.name},
        users=leaders(unit.pk) + handlers(unit.pk) + office(unit.region_id),
        units=[unit.pk],
    )


# --- monthly forms, approvals, documents, meetings ---------------------------------------------


def reminder_message(event: DomainEvent, reminder) -> Message:
    return Message(
        _("月度进展报送提醒：%(n)s个项目未报送（%(d)s截止）")
        % {"n": reminder.missing, "d": reminder.deadline},
        _("请于%(d)s前报送%(period)s的月度进展。")
        % {"d": reminder.deadline, "period": reminder.period},
        url=reverse("progress:index"),
        users=people(roles=[Role.Code.COUNTY_FILER], region_id=reminder.region_id),
    )


def form_message(event: DomainEvent, report) -> Message | None:
    if event.name != "progress.return" and event.name != "progress.reopen":
        return None
    filer = [report.submitted_by] if report.submitted_by_id else []
    filers = people(roles=[Role.Code.COUNTY_FILER], region_id=report.project.region_id)
    return Message(
        _("月度进展被退回：%(p)s %(m)s") % {"p": report.project.name, "m": report.period},
        report.review_comment,
        users=filer + filers,
    )


def import_message(event: DomainEvent, job) -> Message:
    return Message(
        _("Excel导入已完成") if job.status == "done" else _("Excel导入未完成"),
        str(job.message),
        url=reverse("progress:import", args=[job.pk]),
        users=[job.created_by] if job.created_by_id else [],
        tell_actor=True,
    )


def approval_message(event: DomainEvent, approval) -> Message | None:
    if event.name not in ("approval.due", "approval.overdue"):
        return None
    late = event.name == "approval.overdue"
    title = (_("审批已超承诺时限：%(p)s %(k)s") if late else _("审批临近承诺时限：%(p)s %(k)s")) % {
        "p": approval.project.name,
        "k": approval.kind.name,
    }
    specialist = [approval.specialist] if approval.specialist_id else []
    return Message(
        title,
        _("承诺办结日期：%(d)s。") % {"d": approval.promise_due_on},
        users=handlers(approval.unit_id) + specialist,
        units=[approval.unit_id] if approval.unit_id else [],
    )


def report_message(event: DomainEvent, report) -> Message | None:
    if event.name != "report.publish":
        return None
    # those who may read it (the one rule, Report.objects.readable_by), on its distribution
    # (主送/抄送) included
    from reports.models import Report

    roles = [Role.Code.LEADER, Role.Code.OFFICE_STAFF, Role.Code.DEPARTMENT_LIAISON]
    readers = [
        user
        for user in people(roles=roles)
        if Report.objects.readable_by(user).filter(pk=report.pk).exists()
    ]
    return Message(_("已印发：%(t)s") % {"t": report.title}, users=readers)


def meeting_message(event: DomainEvent, meeting) -> Message:
    units = [unit for unit in event.units if unit]
    users = office(meeting.region_id)
    for unit in units:
        users += handlers(unit)
    return Message(
        _("碰头会议程已生成：%(t)s") % {"t": meeting.title},
        _("会议日期：%(d)s。") % {"d": meeting.date},
        users=users,
    )


def webhook_message(event: DomainEvent, subscription) -> Message:
    owner = event.payload.get("owner")
    return Message(
        _("推送订阅已暂停：%(t)s") % {"t": event.payload.get("url", subscription)},
        _("该订阅连续推送失败，已暂停。请检查接收地址后重新启用。"),
        users=people(pk=owner) if owner else [],
    )


#: object model → the message its events bring
RULES: dict[str, Callable[[DomainEvent, object], Message | None]] = {
    "issues.issue": issue_message,
    "issues.interview": interview_message,
    "progress.filingreminder": reminder_message,
    "progress.monthlyreport": form_message,
    "progress.progressimport": import_message,
    "approvals.approval": approval_message,
    "reports.report": report_message,
    "issues.meeting": meeting_message,
    "webhooks.subscription": webhook_message,
}


def message_for(event: DomainEvent) -> tuple[Message, object] | None:
    rule = RULES.get(event.object_type)
    if rule is None:
        return None
    model = apps.get_model(event.object_type)
    obj = model._default_manager.filter(pk=event.object_id).first()
    if obj is None:
        return None
    message = rule(event, obj)
    if message is None:
        return None
    message.url = message.url or _url(obj)
    message.users = [
        user for user in _unique(message.users) if message.tell_actor or user.pk != event.actor_id
    ]
    message.users = visible(model, obj, message.users)
    return message, obj


def _unique(users: Iterable) -> list:
    seen, found = set(), []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            found.append(user)
    return found


def visible(model, obj, users: list) -> list:
    """The users among ``users`` for whom ``obj`` is in scope (the one scope rule)."""
    manager = model._default_manager
    if not hasattr(manager, "for_user"):
        return users
    return [user for user in users if manager.for_user(user).filter(pk=obj.pk).exists()]
