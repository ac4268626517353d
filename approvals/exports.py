"""The department performance table as an .xlsx workbook (openpyxl, write-only), with the same
rows, filters and order as the page."""

from django.utils.translation import gettext as _

from core import exports, xlsx

from .selectors import PerformanceRow


def _number(value):
    """Decimals as numbers Excel formats (a blank where nothing was decided)."""
    return None if value is None else float(value)


def _columns():
    return (
        (_("办理单位"), lambda r: r.unit_name, None),
        (_("审批类型"), lambda r: r.kind_name, None),
        (_("事项数"), lambda r: r.count, None),
        (_("已办结"), lambda r: r.decided, None),
        (_("办理中"), lambda r: r.running, None),
        (_("用时中位数（工作日）"), lambda r: _number(r.median_days), "0.0"),
        (_("平均用时（工作日）"), lambda r: _number(r.mean_days), "0.0"),
        (_("承诺时限内办结率"), lambda r: _number(r.within_promise), "0%"),
        (_("目标时限内办结率"), lambda r: _number(r.within_target), "0%"),
        (_("超时事项"), lambda r: r.overdue, None),
    )


def performance_workbook(rows: list[PerformanceRow]) -> bytes:
    return xlsx.workbook(_("审批部门效能"), _columns(), rows, freeze="C2")


EXPORT = exports.Export(
    name="approvals-performance",
    title=lambda: _("审批部门效能"),
    columns=_columns,
    rows="approvals.views.performance_export_rows",
    freeze="C2",
)
