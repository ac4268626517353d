"""Tickets coming in: reported by a county, a project unit or an office, pushed by another
system (the 12345 hotline), and matched to a project by the office when they arrived without
one."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Region, Role
from core.exceptions import DomainError, NotPermitted
from projects.codes import normalize_project_code
from projects.models import Project

from ..models import FINAL_STATUSES, Category, EventKind, Issue, Level, Source
from .workflow import OFFICE, _required, parties, record

# --- intake --------------------------------------------------------------------------------

REPORTER_ROLES = frozenset(
    {
        Role.Code.OFFICE_STAFF,
        Role.Code.COUNTY_FILER,
        Role.Code.PROJECT_UNIT_CONTACT,
        Role.Code.API_CLIENT,
    }
)


#: who may push tickets from another system: calling systems and the offices standing in
INTAKE_ROLES = frozenset({Role.Code.API_CLIENT, Role.Code.OFFICE_STAFF})


def _default_source(by) -> str:
    codes = by.role_codes
    if Role.Code.OFFICE_STAFF in codes:
        return Source.FIELD_SERVICE
    if Role.Code.COUNTY_FILER in codes:
        return Source.COUNTY
    return Source.ENTERPRISE


def _rank(level: str) -> int:
    return list(Level).index(Level(level))


def _level_for(region: Region, level: str | None, by) -> str:
    """A ticket starts at its region's level. Only an office may file it higher, up to its own
    level (the province office also for the provincial government) — everyone else goes
    through the offices below, which escalate with a recorded reason."""
    lowest = Level.of_region(region)
    if not level or level == lowest:
        return lowest
    if level not in Level.values:
        raise DomainError(_("未知的事权层级。"), code="invalid_level", field="level")
    if _rank(level) < _rank(lowest):
        raise DomainError(
            _("“%(region)s”的问题不能定为%(level)s事权。")
            % {"region": region.name, "level": Level(level).label},
            code="invalid_level",
            field="level",
        )
    highest = None
    if by.sees_everything:
        highest = Level.GOVERNMENT
    elif Role.Code.OFFICE_STAFF in by.role_codes and by.region is not None:
        highest = Level.of_region(by.region)
        if highest == Level.PROVINCE:
            highest = Level.GOVERNMENT
    if highest is None or _rank(level) > _rank(highest):
        raise DomainError(
            _("问题按项目所在地区的层级上报，由该层级重大办受理；需上级协调的，由重大办上提。"),
            code="invalid_level",
            field="level",
        )
    return level


def _check_category(category: str) -> None:
    if category not in Category.values:
        raise DomainError(_("请选择问题类别。"), code="invalid_category", field="category")


@transaction.atomic
def issue_report(
    *,
    by,
    project: Project,
    title: str,
    category: str,
    description: str = "",
    source: str | None = None,
    milestone=None,
    level: str | None = None,
    external_id: str = "",
) -> Issue:
    """A county filer, a project unit or an office reports a difficulty of a project."""
    if not Project.objects.for_user(by).filter(pk=project.pk).exists():
        raise DomainError(
            _("所选项目不存在或不在您的管辖范围内。"), code="project_out_of_scope", field="project"
        )
    if not by.has_role(*REPORTER_ROLES):
        raise NotPermitted(_("您没有上报困难问题的权限。"), code="not_permitted")
    if milestone is not None and milestone.project_id != project.pk:
        raise DomainError(
            _("所选关键节点不属于该项目。"), code="milestone_other_project", field="milestone"
        )
    title = _required(title, "title", _("请填写问题标题。"))
    _check_category(category)
    source = source or _default_source(by)
    if source not in Source.values:
        raise DomainError(_("未知的问题来源。"), code="invalid_source", field="source")
    issue = Issue.objects.create(
        project=project,
        milestone=milestone,
        region=project.region,
        title=title,
        description=description.strip(),
        category=category,
        source=source,
        external_id=external_id.strip(),
        level=_level_for(project.region, level, by),
        reported_by=by,
        reporter_name=str(by),
        reporter_phone=by.phone,
    )
    record(issue, EventKind.REPORT, by, comment=issue.description)
    return issue


def issue_intake(
    *,
    by,
    source: str,
    external_id: str,
    region_code: str,
    title: str,
    category: str,
    project_code: str = "",
    project_name: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    description: str = "",
) -> tuple[Issue, bool]:
    """An issue pushed by another system (the 12345 hotline). Idempotent on
    ``(source, external_id)``: a repeated call, even one racing the first, returns the ticket
    already made and changes nothing. Returns ``(issue, created)``."""
    if not (by.sees_everything or by.has_role(*INTAKE_ROLES)):
        raise NotPermitted(
            _("只有系统接口或重大办工作人员可以推送问题工单。"), code="not_permitted"
        )
    external_id = _required(external_id, "external_id", _("请提供来源系统的工单编号。"))
    if source not in Source.values:
        raise DomainError(_("未知的问题来源。"), code="invalid_source", field="source")
    existing = _existing(by, source, external_id)
    if existing is not None:
        return existing, False

    title = _required(title, "title", _("请填写问题标题。"))
    _check_category(category)
    region = Region.objects.for_user(by).filter(code=region_code).first()
    if region is None:
        raise DomainError(
            _("行政区划代码“%(code)s”不存在或不在您的管辖范围内。") % {"code": region_code},
            code="region_out_of_scope",
            field="region",
        )
    project = _match_project(by, region, project_code, project_name)
    if project is not None:
        region = project.region
    values = {
        "project": project,
        "region": region,
        "title": title,
        "description": (description or "").strip(),
        "category": category,
        "source": source,
        "external_id": external_id,
        "project_hint": " ".join(p for p in (project_code.strip(), project_name.strip()) if p),
        "reporter_name": (reporter_name or "").strip(),
        "reporter_phone": (reporter_phone or "").strip(),
        "reported_by": by,
        "level": Level.of_region(region),
    }
    try:
        with transaction.atomic():
            issue = Issue.objects.create(**values)
            comment = "" if project else _("未匹配到项目库中的项目，请重大办甄别。")
            record(issue, EventKind.REPORT, by, comment=comment)
    except IntegrityError:
        # The same ticket arrived twice at once and the other call stored it first.
        existing = _existing(by, source, external_id)
        if existing is None:
            raise
        return existing, False
    return issue, True


def _existing(by, source: str, external_id: str) -> Issue | None:
    found = Issue.objects.filter(source=source, external_id=external_id).first()
    if found is not None and not Issue.objects.for_user(by).filter(pk=found.pk).exists():
        raise DomainError(
            _("该来源的工单编号已被使用。"), code="external_id_taken", field="external_id"
        )
    return found


def _match_project(by, region: Region, code: str, name: str) -> Project | None:
    projects = Project.objects.for_user(by)
    code = normalize_project_code(code or "")
    if code:
        found = projects.filter(code=code).first()
        if found is not None:
            return found
    name = (name or "").strip()
    if name:
        matches = list(projects.filter(name=name, region__code__startswith=region.scope_prefix)[:2])
        if len(matches) == 1:
            return matches[0]
    return None


def may_link_project(issue: Issue, user) -> bool:
    """Whether the page should offer 匹配项目 for this unmatched ticket to this user."""
    return (
        issue.project_id is None
        and issue.status not in FINAL_STATUSES
        and OFFICE in parties(issue, user)
    )


@transaction.atomic
def issue_link_project(*, issue: Issue, by, project: Project, comment: str = "") -> Issue:
    """Triage of an unmatched ticket (e.g. from the 12345 hotline): the office at its level
    names the project it concerns. The ticket moves to that project's region; its status and
    level stay."""
    locked = Issue.objects.select_for_update(of=("self",)).select_related("region").get(pk=issue.pk)
    if OFFICE not in parties(locked, by):
        raise NotPermitted(_("只有问题所在层级的重大办可以为问题匹配项目。"), code="not_permitted")
    if locked.project_id is not None:
        raise DomainError(_("该问题已关联项目。"), code="already_matched", field="project")
    if locked.status in FINAL_STATUSES:
        raise DomainError(_("已办结归档的问题不能再匹配项目。"), code="illegal_transition")
    level_region = Region.objects.get(code=locked.level_region_code())
    in_reach = Project.objects.for_user(by).filter(
        pk=project.pk, region__code__startswith=level_region.scope_prefix
    )
    if not in_reach.exists():
        raise DomainError(
            _("所选项目不在%(region)s范围内或不在您的管辖范围内。") % {"region": level_region.name},
            code="project_out_of_scope",
            field="project",
        )
    if _rank(locked.level) < _rank(Level.of_region(project.region)):
        raise DomainError(
            _("所选项目所在地区高于问题的事权层级，请先上提。"),
            code="project_out_of_scope",
            field="project",
        )
    locked.project = project
    locked.region = project.region
    locked.save()
    text = _("匹配到项目“%(name)s”。") % {"name": project.name}
    record(locked, EventKind.MATCH, by, comment=f"{text}{comment.strip()}")
    return locked
