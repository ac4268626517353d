"""Setting targets (SPEC §9): who may set the target of a region, one target per region, year,
indicator and part of the year. The API and the admin write targets only through here."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Region
from core.exceptions import DomainError, NotPermitted

from .models import Indicator, SubPeriod, Target


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
        "year": target.year,
        "indicator": target.indicator,
        "sub_period": target.sub_period,
    }


def _exists(target: Target) -> DomainError:
    return DomainError(
        _("%(region)s %(year)s年%(period)s的“%(indicator)s”已有目标，请修改原目标。")
        % {
            "region": target.region.name,
            "year": target.year,
            "period": SubPeriod(target.sub_period or "").label,
            "indicator": Indicator(target.indicator).label,
        },
        code="target_exists",
        field="indicator",
    )
