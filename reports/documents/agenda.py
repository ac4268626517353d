"""周碰头会议程 (SPEC §6): the week's meeting of the issuing office's region, its agenda as
the meeting page shows it — every provincial major and "两重" project one by one (逐个过堂;
those with nothing open in one line of status), the others in batches per city (逐批过堂), each
with its open issues (overdue first), milestones at risk and approvals past their promised time
limit.

The meeting is the one staff already made for the meeting day, else one is made with the
default title (:func:`issues.services.meeting_for_week`), so generating the agenda again never
adds a meeting."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from issues.agenda import agenda
from issues.services import meeting_for_week

from . import common

WEEKDAYS = (
    gettext_lazy("星期一"),
    gettext_lazy("星期二"),
    gettext_lazy("星期三"),
    gettext_lazy("星期四"),
    gettext_lazy("星期五"),
    gettext_lazy("星期六"),
    gettext_lazy("星期日"),
)


def build(*, report, reader, period, today, progress):
    progress(10, _("正在编排会议议程"))
    meeting = meeting_for_week(region=reader.region, date=period.meeting_date)
    data = agenda(meeting, today=today)
    progress(40, _("正在汇总议题"))
    summary = {
        "projects": data.project_count,
        "one_by_one": len(data.one_by_one),
        "batched": data.batched_count,
        "cities": len(data.batches),
        "open_issues": data.open_issue_count,
        "overdue_issues": data.overdue_issue_count,
        "at_risk": data.at_risk_count,
        "overdue_approvals": data.overdue_approval_count,
        "quiet": data.quiet_count,
    }
    meeting_day = _("%(date)s（%(weekday)s）") % {
        "date": common.chinese_date(meeting.date),
        "weekday": WEEKDAYS[meeting.date.weekday()],
    }
    context = {
        **common.masthead(report, today, _("周碰头会议程")),
        "meeting": meeting,
        "meeting_day": meeting_day,
        "period": period,
        "agenda": data,
        "summary": summary,
        "attending": [unit.name for unit in meeting.attending_units.order_by("pk")],
        "printable": True,
    }
    return common.render(report, "reports/pdf/agenda.html", context, progress)
