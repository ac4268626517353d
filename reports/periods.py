"""The period a document covers: an ISO week (``2026-W48``) for the meeting agenda, a month
(``2026-11``) for the briefing, the special report and the handbook."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import DomainError

from .models import MONTH_RE, WEEK_RE, WEEKLY_KINDS


@dataclass(frozen=True)
class Period:
    code: str
    weekly: bool
    year: int
    start: datetime.date
    end: datetime.date

    @property
    def month(self) -> int:
        return self.end.month

    @property
    def meeting_date(self) -> datetime.date:
        """The day of the weekly meeting in this week (``WEEKLY_MEETING_WEEKDAY``, ISO 1–7)."""
        year, week, _weekday = self.start.isocalendar()
        return datetime.date.fromisocalendar(year, week, settings.WEEKLY_MEETING_WEEKDAY)

    @property
    def label(self) -> str:
        if self.weekly:
            year, week, _weekday = self.start.isocalendar()
            return _("%(year)s年第%(week)s周") % {"year": year, "week": week}
        return _("%(year)s年%(month)s月") % {"year": self.year, "month": self.month}


def parse_period(kind: str, code: str) -> Period:
    """The period of a document of ``kind``, or a DomainError naming the expected form."""
    code = (code or "").strip()
    if kind in WEEKLY_KINDS:
        match = WEEK_RE.match(code)
        if match:
            year, week = int(match[1]), int(match[2])
            try:
                start = datetime.date.fromisocalendar(year, week, 1)
                end = start + datetime.timedelta(days=6)
            except (ValueError, OverflowError):
                start = None
            if start is not None:
                return Period(code, True, year, start, end)
        raise DomainError(
            _("周期应为“年-W周”，如 2026-W48。"), code="period_invalid", field="period"
        )
    match = MONTH_RE.match(code)
    if match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 1:
        year, month = int(match[1]), int(match[2])
        start = datetime.date(year, month, 1)
        end = datetime.date(year, month, calendar.monthrange(year, month)[1])
        return Period(code, False, year, start, end)
    raise DomainError(_("月份应为“年-月”，如 2026-11。"), code="period_invalid", field="period")


def week_of(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def month_of(day: datetime.date) -> str:
    return f"{day:%Y-%m}"


def current_period(kind: str, today: datetime.date) -> str:
    """What a scheduled run produces on ``today``: next week's agenda (the job runs before the
    meeting week starts), this month's briefing and special report."""
    if kind in WEEKLY_KINDS:
        return week_of(today + datetime.timedelta(days=7 - today.weekday()))
    return month_of(today)
