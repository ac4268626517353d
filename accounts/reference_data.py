"""Reference data shipped with the platform: Jiangsu's regions, offices and departments, roles.

Used by the data migration (so every database has it) and by seed_demo (to repair it).
"""

import csv
from pathlib import Path

REGIONS_CSV = Path(__file__).with_name("data") / "regions_jiangsu.csv"

#: provincial departments named in the seeds (seed 000), with the kind each is
PROVINCIAL_UNITS = (
    ("省重大项目办", "office"),
    ("省发展改革委", "department"),
    ("省自然资源厅", "department"),
    ("省林业局", "department"),
    ("省生态环境厅", "department"),
    ("省水利厅", "department"),
    ("省财政厅", "department"),
    ("省委金融办", "department"),
    ("省数据局", "department"),
)

ROLES = (
    ("office_staff", "重大办工作人员"),
    ("county_filer", "县区填报人"),
    ("department_liaison", "部门联络员"),
    ("project_unit_contact", "项目单位联系人"),
    ("leader", "领导"),
    ("api_client", "系统接口"),
    ("system_admin", "系统管理员"),
    ("security_admin", "安全管理员"),
    ("audit_admin", "审计管理员"),
)


def read_regions() -> list[dict]:
    """Rows of the bundled GB/T 2260 file, parents before children."""
    with REGIONS_CSV.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines))


def office_name(region_name: str) -> str:
    return f"{region_name}重大项目办"


def load(Region, Unit, Role) -> None:
    """Create or update the reference rows; safe to run again."""
    for code, name in ROLES:
        Role.objects.update_or_create(code=code, defaults={"name": name})
    regions = {}
    for row in read_regions():
        region, _ = Region.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "level": row["level"],
                "parent": regions.get(row["parent"]),
            },
        )
        regions[region.code] = region
    province = regions["320000"]
    for name, kind in PROVINCIAL_UNITS:
        Unit.objects.update_or_create(region=province, name=name, defaults={"kind": kind})
    for region in regions.values():
        if region.level != "province":
            Unit.objects.update_or_create(
                region=region, name=office_name(region.name), defaults={"kind": "office"}
            )
