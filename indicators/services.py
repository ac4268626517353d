"""Setting targets (SPEC §9): who may set the target of a region, one target per region,
group, year, indicator and part of the year; the office's choice of cohort or stock; the
groups offices define. The pages, the API and the admin write only through here."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Region
from core.exceptions import DomainError, NotPermitted
from projects.models import Project

from .models import Basis, GroupRule, Indicator, IndicatorBasis, ProjectGroup, SubPeriod, Target


def may_set(user, region: Region) -> bool:
    """Office staff set the targets of their region and the regions below it."""
    if user.sees_everything:
        return True
    return user.is_office_staff and user.region_id is not None and user.region.contains(region)


def target_check(target: Target, *, by) -> None:
    """Refuse ``target`` as it stands (new or changed, not yet saved): a region outside what
    ``by`` may set, or a second target for the same region, year, indicator and period."""
    if not may_set(by, target.region):
        raise NotPermitted(_("只能设定本地区及下级地区的目标。"), code="permission_denied")
    if (
        target.group_id is not None
        and not ProjectGroup.objects.for_user(by).filter(pk=target.group_id).exists()
    ):
        raise DomainError(_("项目分组不存在。"), code="group_not_found", field="group")
    clash = Target.objects.filter(**_key(target))
    if target.pk is not None:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        raise _exists(target)


def target_save(*, by, target: Target | None = None, **values) -> Target:
    """Set a target: a new one from ``values``, or ``target`` with ``values`` changed (region,
    year, indicator, sub_period, value, note). Records who set it."""
    target = target if target is not None else Target()
    for name, value in values.items():
        setattr(target, name, value)
    target_check(target, by=by)
    target.set_by = by
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as error:  # set at the same moment by someone else
        raise _exists(target) from error
    return target


def target_delete(target: Target, *, by) -> None:
    if not may_set(by, target.region):
        raise NotPermitted(_("只能设定本地区及下级地区的目标。"), code="permission_denied")
    target.delete()


def _key(target: Target) -> dict:
    return {
        "region": target.region,
        "group": target.group_id,
        "year": target.year,
        "indicator": target.indicator,
        "sub_period": target.sub_period,
    }


def _exists(target: Target) -> DomainError:
    return DomainError(
        _("%(region)s %(year)s年%(period)s的“%(indicator)s”已有目标，请修改原目标。")
        % {
            "region": target.region.name
            + (f"（{target.group.name}）" if target.group_id is not None else ""),
            "year": target.year,
            "period": SubPeriod(target.sub_period or "").label,
            "indicator": Indicator(target.indicator).label,
        },
        code="target_exists",
        field="indicator",
    )


# --- cohort or stock -------------------------------------------------------------------------


def basis_set(*, by, region: Region, indicator: str, basis: str) -> IndicatorBasis:
    """Choose cohort or stock for ``indicator`` in ``region`` (and the regions below it that
    have not chosen); only for the indicators the seeds leave open."""
    from .selectors import DEFINITIONS

    if not may_set(by, region):
        raise NotPermitted(_("只能设定本地区及下级地区的统计口径。"), code="permission_denied")
    definition = DEFINITIONS.get(indicator)
    if definition is None or not definition.open_basis:
        raise DomainError(
            _("“%(indicator)s”的统计口径由文件规定，不能选择。")
            % {"indicator": Indicator(indicator).label if indicator in Indicator else indicator},
            code="basis_fixed",
            field="indicator",
        )
    if basis not in Basis.values:
        raise DomainError(_("统计口径应为当年批次或全部存量。"), code="invalid", field="basis")
    row, _created = IndicatorBasis.objects.update_or_create(
        region=region, indicator=indicator, defaults={"basis": basis, "set_by": by}
    )
    return row


# --- groups offices define -------------------------------------------------------------------


def may_edit_group(user, group: ProjectGroup) -> bool:
    """Shipped groups are found by rule and changed by nobody; an office's own group by the
    office staff of its region (and above)."""
    return group.rule == GroupRule.MEMBERS and may_set(user, group.region)


@transaction.atomic
def group_create(*, by, name: str, note: str = "") -> ProjectGroup:
    name = (name or "").strip()
    region = by.region
    if region is None or not may_set(by, region):
        raise NotPermitted(_("只有重大办工作人员可以建立项目分组。"), code="permission_denied")
    if not name:
        raise DomainError(_("请填写分组名称。"), code="required", field="name")
    if ProjectGroup.objects.for_user(by).filter(name=name).exists():
        raise DomainError(
            _("已有名为“%(name)s”的分组。") % {"name": name}, code="group_exists", field="name"
        )
    group = ProjectGroup.objects.create(
        code=_free_code(region, name), name=name, rule=GroupRule.MEMBERS, region=region, note=note
    )
    return group


def _free_code(region: Region, name: str) -> str:
    base = f"{region.code}-{slugify(name, allow_unicode=False) or 'group'}"[:34]
    code, n = base, 1
    while ProjectGroup.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


@transaction.atomic
def group_add(*, by, group: ProjectGroup, codes: list[str]) -> int:
    """Add the projects named by 平台编号 (digits) or 24-digit 项目代码 — in ``by``'s scope and
    the group's region. All or nothing: one unknown refuses the lot. Answers how many were
    added."""
    _may_edit(by, group)
    tokens = [c.strip() for c in codes if c and c.strip()]
    if not tokens:
        raise DomainError(
            _("请填写要加入项目的平台编号或项目代码。"), code="required", field="codes"
        )
    ids = {int(t) for t in tokens if t.isascii() and t.isdigit() and len(t) < 18}
    rows = Project.objects.for_user(by).filter(region__code__startswith=group.region.scope_prefix)
    found = {}
    for pk, code in rows.filter(Q(pk__in=ids) | Q(code__in=tokens)).values_list("pk", "code"):
        found[str(pk)] = pk
        if code:
            found[code] = pk
    missing = [t for t in tokens if t not in found]
    if missing:
        raise DomainError(
            _("以下项目不在本分组所属地区或您的管辖范围内：%(codes)s")
            % {"codes": "、".join(missing)},
            code="project_not_found",
            field="codes",
        )
    wanted = set(found[t] for t in tokens)
    before = set(group.projects.filter(pk__in=wanted).values_list("pk", flat=True))
    group.projects.add(*wanted)
    return len(wanted - before)


@transaction.atomic
def group_remove(*, by, group: ProjectGroup, project_ids: list[int]) -> int:
    _may_edit(by, group)
    present = list(group.projects.filter(pk__in=project_ids).values_list("pk", flat=True))
    group.projects.remove(*present)
    return len(present)


def _may_edit(by, group: ProjectGroup) -> None:
    if not may_edit_group(by, group):
        raise NotPermitted(
            _("平台预置分组按规则归集，不能增删项目；自定义分组只能由所属地区重大办维护。"),
            code="permission_denied",
        )
