"""The project list as an .xlsx workbook (the one writer, ``core.xlsx.workbook``)."""

from core import exports, xlsx

COLUMNS = (
    ("项目代码", lambda p: p.code or ""),
    ("项目名称", lambda p: p.name),
    ("所在地区", lambda p: p.region.name),
    ("行政区划代码", lambda p: p.region_id),
    ("项目单位", lambda p: p.unit.name),
    ("项目层级", lambda p: p.get_tier_display()),
    ("子库", lambda p: p.get_sub_library_display()),
    ("类别", lambda p: p.get_category_display()),
    ("行业领域", lambda p: p.sector),
    ("“两重”", lambda p: "是" if p.two_major else ""),
    ("超长期特别国债", lambda p: "是" if p.treasury_bond else ""),
    ("当前阶段", lambda p: p.get_stage_display()),
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
    return xlsx.workbook("项目库", COLUMNS, projects, freeze="C2")


#: the library page's export (``projects.views.project_export``), at once or in the background
EXPORT = exports.Export(
    name="projects",
    title="项目库",
    columns=lambda: COLUMNS,
    rows="projects.views.export_rows",
    freeze="C2",
)
