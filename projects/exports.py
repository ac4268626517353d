"""The project list as an .xlsx workbook (the one writer, ``core.xlsx.workbook``)."""

from core import exports, xlsx

from .models import Project

#: the fields the columns read (an export loads no others)
FIELDS = (
    "code",
    "name",
    "region__name",
    "unit__name",
    "tier",
    "sub_library",
    "category",
    "sector",
    "two_major",
    "treasury_bond",
    "stage",
    "total_investment",
    "planned_investment_year",
    "planned_start",
    "planned_completion",
    "started_on",
    "responsible_leader",
)


def _labels(name: str) -> dict:
    """A choice field's labels by value, translated once: ``get_FOO_display`` translates every
    choice again on each call, which on 100,000 rows costs more than writing them."""
    return {value: str(label) for value, label in Project._meta.get_field(name).flatchoices}


def columns():
    tier, sub_library = _labels("tier"), _labels("sub_library")
    category, stage = _labels("category"), _labels("stage")
    return (
        ("项目代码", lambda p: p.code or ""),
        ("项目名称", lambda p: p.name),
        ("所在地区", lambda p: p.region.name),
        ("行政区划代码", lambda p: p.region_id),
        ("项目单位", lambda p: p.unit.name),
        ("项目层级", lambda p: tier.get(p.tier, p.tier)),
        ("子库", lambda p: sub_library.get(p.sub_library, p.sub_library)),
        ("类别", lambda p: category.get(p.category, p.category)),
        ("行业领域", lambda p: p.sector),
        ("“两重”", lambda p: "是" if p.two_major else ""),
        ("超长期特别国债", lambda p: "是" if p.treasury_bond else ""),
        ("当前阶段", lambda p: stage.get(p.stage, p.stage)),
        ("总投资（万元）", lambda p: p.total_investment),
        ("投资规模", lambda p: p.investment_bracket),
        ("年度计划投资（万元）", lambda p: p.planned_investment_year),
        ("计划开工", lambda p: p.planned_start),
        ("计划竣工", lambda p: p.planned_completion),
        ("实际开工", lambda p: p.started_on),
        ("标签", lambda p: "，".join(t.name for t in p.tags.all())),
        ("包联领导", lambda p: p.responsible_leader),
    )


def projects_workbook(projects) -> bytes:
    return xlsx.workbook("项目库", columns(), projects, freeze="C2")


#: the library page's export (``projects.views.project_export``), at once or in the background
EXPORT = exports.Export(
    name="projects",
    title="项目库",
    columns=columns,
    rows="projects.views.export_rows",
    freeze="C2",
)
