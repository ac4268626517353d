"""Small factories for tests: named users per role and region, projects anywhere in Jiangsu."""

import datetime
import itertools
from decimal import Decimal

from accounts.models import Region, Role, Unit, User
from projects import services
from projects.models import Category, Project, Stage, Tier

PASSWORD = "Test#2026"
_serial = itertools.count(1)


def unit(name: str, region: str, kind: str = Unit.Kind.ENTERPRISE) -> Unit:
    return Unit.objects.get_or_create(
        name=name, region=Region.objects.get(code=region), defaults={"kind": kind}
    )[0]


def office(region: str) -> Unit:
    return (
        Unit.objects.get(region_id=region, kind=Unit.Kind.OFFICE)
        if region != "320000"
        else (Unit.objects.get(name="省重大项目办"))
    )


def user(
    username: str, region: str | None, roles=(), unit_obj: Unit | None = None, **extra
) -> User:
    person = User.objects.create_user(
        username=username,
        password=PASSWORD,
        region=Region.objects.get(code=region) if region else None,
        unit=unit_obj,
        **extra,
    )
    person.roles.set(Role.objects.filter(code__in=roles))
    return person


def project(region: str, *, by: User, unit_obj: Unit | None = None, **fields) -> Project:
    number = next(_serial)
    values = {
        "name": f"测试项目{number:03d}",
        "region": Region.objects.get(code=region),
        "unit": unit_obj or unit(f"测试企业{number:03d}有限公司", region),
        "category": Category.INDUSTRIAL,
        "tier": Tier.COUNTY,
        "stage": Stage.PLANNING,
        "total_investment": Decimal("50000"),
        "planned_start": datetime.date(2026, 12, 1),
    }
    values.update(fields)
    return services.project_create(by=by, **values)
