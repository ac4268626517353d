"""Funding records as an .xlsx workbook (openpyxl, write-only): the records of the user's scope
as filtered (year, channel, region), amounts in 万元."""

from django.utils.translation import gettext as _

from core import exports, xlsx

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def _money(value):
    return float(value)


def _columns():
    return (
        (_("年度"), lambda r: r.year, None),
        (_("资金渠道"), lambda r: r.channel.name, None),
        (_("批次"), lambda r: r.batch, None),
        (_("项目代码"), lambda r: r.project.code or "", None),
        (_("项目名称"), lambda r: r.project.name, None),
        (_("所在地区"), lambda r: r.project.region.name, None),
        (_("申请（万元）"), lambda r: _money(r.requested), MONEY_FORMAT),
        (_("下达（万元）"), lambda r: _money(r.allocated), MONEY_FORMAT),
        (_("发行/拨付（万元）"), lambda r: _money(r.issued), MONEY_FORMAT),
        (_("支出（万元）"), lambda r: _money(r.used), MONEY_FORMAT),
        (_("用作资本金（万元）"), lambda r: _money(r.capital_share), MONEY_FORMAT),
        (_("下达日期"), lambda r: r.allocated_on, DATE_FORMAT),
        (_("发行/拨付日期"), lambda r: r.issued_on, DATE_FORMAT),
        (_("支出统计截至"), lambda r: r.used_as_of, DATE_FORMAT),
        (_("说明"), lambda r: r.note, None),
    )


def records_workbook(records) -> bytes:
    """``records`` with ``project__region`` and ``channel`` selected."""
    return xlsx.workbook(_("资金记录"), _columns(), records, freeze="F2")


EXPORT = exports.Export(
    name="funding-records",
    title=lambda: _("资金记录"),
    columns=_columns,
    rows="funding.views.records_export_rows",
    freeze="F2",
)
