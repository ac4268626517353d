"""The project list as an .xlsx workbook (the one writer, ``core.xlsx``).

The rows are plain values (``.values_list()``), read from a server-side cursor in chunks, with
each chunk's tags read in one query: a library of 100,000 projects is written without a model
instance, a related object or a translated label made per row.
"""

from operator import itemgetter

from core import exports, xlsx

from .choices import BELOW_LOWEST_BRACKET, INVESTMENT_BRACKETS
from .models import Project

#: what a row holds, in this order (the columns read them by position), its tags' names last
VALUES = (
    "pk",
    "code",
    "name",
    "region__name",
    "region_id",
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
TAGS = len(VALUES)


def _labels(name: str) -> dict:
    """A choice field's labels by value, translated once: ``get_FOO_display`` translates every
    choice again on each call, which on 100,000 rows costs more than writing them."""
    return {value: str(label) for value, label in Project._meta.get_field(name).flatchoices}


def _bracket():
    """``Project.investment_bracket`` of a total, its labels translated once per workbook."""
    brackets = [(threshold, str(label)) for threshold, label in INVESTMENT_BRACKETS]
    below = str(BELOW_LOWEST_BRACKET)

    def bracket(total) -> str:
        if total is not None:
            for threshold, label in brackets:
                if total >= threshold:
                    return label
        return below

    return bracket


def _label(name: str):
    labels, position = _labels(name), VALUES.index(name)
    return lambda row: labels.get(row[position], row[position])


def _yes(name: str):
    position = VALUES.index(name)
    return lambda row: "是" if row[position] else None


def columns():
    """The columns of a row of :func:`library_rows`."""
    value = {name: itemgetter(position) for position, name in enumerate(VALUES)}
    bracket, total = _bracket(), VALUES.index("total_investment")
    return (
        ("项目代码", value["code"]),
        ("项目名称", value["name"]),
        ("所在地区", value["region__name"]),
        ("行政区划代码", value["region_id"]),
        ("项目单位", value["unit__name"]),
        ("项目层级", _label("tier")),
        ("子库", _label("sub_library")),
        ("类别", _label("category")),
        ("行业领域", value["sector"]),
        ("“两重”", _yes("two_major")),
        ("超长期特别国债", _yes("treasury_bond")),
        ("当前阶段", _label("stage")),
        ("总投资（万元）", value["total_investment"]),
        ("投资规模", lambda row: bracket(row[total])),
        ("年度计划投资（万元）", value["planned_investment_year"]),
        ("计划开工", value["planned_start"]),
        ("计划竣工", value["planned_completion"]),
        ("实际开工", value["started_on"]),
        ("标签", itemgetter(TAGS)),
        ("包联领导", value["responsible_leader"]),
    )


def _with_tags(chunk: list[tuple]) -> list[tuple]:
    """The rows of a chunk, each with its tags' names (by name, as a project lists them)."""
    through = Project.tags.through
    names: dict[int, list[str]] = {}
    for project_id, name in (
        through.objects.filter(project_id__in=[row[0] for row in chunk])
        .order_by("tag__name")
        .values_list("project_id", "tag__name")
    ):
        names.setdefault(project_id, []).append(name)
    return [(*row, "，".join(names.get(row[0], ()))) for row in chunk]


def library_rows(projects) -> xlsx.Chunks:
    """The rows of ``projects`` (a queryset of projects, in its order) for :func:`columns`."""
    return xlsx.Chunks(projects.prefetch_related(None).values_list(*VALUES), _with_tags)


def export_rows(request) -> xlsx.Chunks:
    """The library as the page shows it (``projects.views.export_rows``: the scope, the
    filters and the order), read as plain values."""
    from .views import export_rows as library

    return library_rows(library(request))


def projects_workbook(projects) -> bytes:
    return xlsx.workbook("项目库", columns(), library_rows(projects), freeze="C2")


#: the library page's export (``projects.views.project_export``), at once or in the background
EXPORT = exports.Export(
    name="projects",
    title="项目库",
    columns=columns,
    rows="projects.exports.export_rows",
    freeze="C2",
)
