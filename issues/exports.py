"""The close-out list (清单) as an .xlsx workbook (openpyxl, write-only for long lists).

The reporter's phone is masked here whoever downloads it: a file travels further than a page.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from core import exports, xlsx

from .selectors import CloseoutRow


def _columns():
    return (
        (_("所在地区"), lambda r: r.issue.region.name),
        (_("责任单位"), lambda r: r.issue.unit.name if r.issue.unit_id else _("待交办")),
        (_("问题标题"), lambda r: r.issue.title),
        (
            _("项目"),
            lambda r: r.issue.project.name if r.issue.project_id else _("未匹配项目"),
        ),
        (_("项目代码"), lambda r: (r.issue.project.code or "") if r.issue.project_id else ""),
        (_("问题类别"), lambda r: r.issue.get_category_display()),
        (_("来源"), lambda r: r.issue.get_source_display()),
        (_("事权层级"), lambda r: r.issue.get_level_display()),
        (_("状态"), lambda r: r.issue.get_status_display()),
        (_("上报日期"), lambda r: timezone.localtime(r.issue.reported_at).date()),
        (_("已历天数"), lambda r: r.age_days),
        (_("办结时限"), lambda r: r.issue.deadline),
        (_("逾期"), lambda r: _("是") if r.overdue else ""),
        (_("责任领导"), lambda r: r.issue.responsible_leader),
        (_("责任人"), lambda r: r.issue.responsible_person),
        (_("反映人"), lambda r: r.issue.reporter_name),
        (_("反映人电话"), lambda r: r.issue.masked_phone),
    )


def closeout_workbook(rows: list[CloseoutRow]) -> bytes:
    return xlsx.workbook(_("困难问题销号清单"), _columns(), rows, freeze="D2")


EXPORT = exports.Export(
    name="issues-closeout",
    title=lambda: _("困难问题销号清单"),
    columns=_columns,
    rows="issues.views.closeout_export_rows",
    freeze="D2",
)
