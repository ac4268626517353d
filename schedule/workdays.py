"""Working days as Chinese government offices count them (SPEC §4).

A day is a working day when it is a weekday that is not a statutory holiday, or a weekend day
made a working day by the State Council's holiday arrangement (调休). The ``chinese-calendar``
package knows the arrangement for the years it was published with; an office enters later years
as overrides (``schedule.CalendarDay``), which always take precedence.

A year neither source knows is never guessed silently: it falls back to "weekends only" and is
reported as *provisional* by :meth:`WorkdayCalendar.provisional_years`, so every result that
touched such a year can say so.

:class:`WorkdayCalendar` needs no database. The module-level functions use
:func:`current_calendar`, which reads the overrides from the database.

Counting conventions, shared by every caller:

* ``add_workdays(d, n)`` with ``n > 0`` is the n-th working day after ``d`` (``d`` itself does
  not count); with ``n < 0`` the |n|-th working day before ``d``; with ``n == 0`` ``d`` itself
  when it is a working day, else the next working day.
* ``workdays_between(a, b)`` counts the working days ``x`` with ``a < x <= b`` (negative when
  ``b < a``), so ``add_workdays(a, workdays_between(a, b)) == b`` for a working day ``b``.
"""

from __future__ import annotations

import datetime
import functools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping

import chinese_calendar
from django.utils.translation import gettext as _

from core.exceptions import DomainError

#: the span the calendar numbers; dates outside it are refused, not guessed
FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2060, 12, 31)


class CalendarRangeError(DomainError, ValueError):
    """A date outside the span the working-day calendar covers: a refusal with a message (the
    API answers 400 ``calendar_range``), wherever the date came from."""

    def __init__(self, day: datetime.date | None = None):
        self.day = day
        shown = day.isoformat() if day else ""
        super().__init__(
            _("日期%(day)s超出工作日历的范围（%(first)s年至%(last)s年）。")
            % {"day": shown, "first": FIRST_DAY.year, "last": LAST_DAY.year},
            code="calendar_range",
        )


@functools.cache
def package_years() -> frozenset[int]:
    """The years whose holiday arrangement ships with ``chinese-calendar``."""
    years = {day.year for day in chinese_calendar.holidays} | {
        day.year for day in chinese_calendar.workdays
    }
    return frozenset(range(min(years), max(years) + 1))


def _default_is_workday(day: datetime.date) -> bool:
    # chinese_calendar.is_workday(), without its per-call range check (this runs 22,000 times)
    if day.year in package_years():
        if day in chinese_calendar.workdays:
            return True
        if day in chinese_calendar.holidays:
            return False
    return day.weekday() < 5


@functools.cache
def _default_workdays() -> tuple[datetime.date, ...]:
    """Every working day in the span, from the package (weekends only where it is silent)."""
    days = []
    day = FIRST_DAY
    one = datetime.timedelta(days=1)
    while day <= LAST_DAY:
        if _default_is_workday(day):
            days.append(day)
        day += one
    return tuple(days)


class WorkdayCalendar:
    """The working days of the span, with overrides; numbered 0, 1, 2 … in date order."""

    def __init__(
        self,
        overrides: Mapping[datetime.date, bool] | None = None,
        entered_years: Iterable[int] = (),
    ):
        self.overrides = dict(overrides or {})
        self.known_years = package_years() | frozenset(entered_years)
        days = _default_workdays()
        if self.overrides:
            days = list(days)
            for day, working in sorted(self.overrides.items()):
                self._check(day)
                at = bisect_left(days, day)
                present = at < len(days) and days[at] == day
                if working and not present:
                    days.insert(at, day)
                elif not working and present:
                    del days[at]
        self._days: tuple[datetime.date, ...] | list[datetime.date] = days
        # the numbers of the dates asked for: the nightly recompute asks for the same few
        # thousand dates tens of thousands of times
        self._on_or_before: dict[datetime.date, int] = {}
        self._on_or_after: dict[datetime.date, int] = {}

    # -- single days -------------------------------------------------------------------------

    @staticmethod
    def _check(day: datetime.date) -> None:
        if not FIRST_DAY <= day <= LAST_DAY:
            raise CalendarRangeError(day)

    def is_workday(self, day: datetime.date) -> bool:
        self._check(day)
        if day in self.overrides:
            return self.overrides[day]
        return _default_is_workday(day)

    def is_provisional(self, year: int) -> bool:
        """True when neither the package nor an entered arrangement knows this year."""
        return year not in self.known_years

    def provisional_years(self, *days: datetime.date | None) -> list[int]:
        """The unknown years in the span from the earliest to the latest of ``days``."""
        present = [day for day in days if day is not None]
        if not present:
            return []
        first, last = min(present).year, max(present).year
        return [year for year in range(first, last + 1) if year not in self.known_years]

    # -- numbering ---------------------------------------------------------------------------

    def number_on_or_before(self, day: datetime.date) -> int:
        """The number of ``day`` if it is a working day, else of the working day before it."""
        number = self._on_or_before.get(day)
        if number is None:
            self._check(day)
            number = bisect_right(self._days, day) - 1
            if number < 0:
                raise CalendarRangeError(day)
            self._on_or_before[day] = number
        return number

    def number_on_or_after(self, day: datetime.date) -> int:
        """The number of ``day`` if it is a working day, else of the working day after it."""
        number = self._on_or_after.get(day)
        if number is None:
            self._check(day)
            number = bisect_left(self._days, day)
            if number >= len(self._days):
                raise CalendarRangeError(day)
            self._on_or_after[day] = number
        return number

    def day_of(self, number: int) -> datetime.date:
        """The working day with this number."""
        if not 0 <= number < len(self._days):
            raise CalendarRangeError()
        return self._days[number]

    # -- arithmetic --------------------------------------------------------------------------

    def add_workdays(self, day: datetime.date, n: int) -> datetime.date:
        if n > 0:
            return self.day_of(self.number_on_or_before(day) + n)
        if n < 0:
            return self.day_of(self.number_on_or_after(day) + n)
        return self.day_of(self.number_on_or_after(day))

    def workdays_between(self, start: datetime.date, end: datetime.date) -> int:
        if end < start:
            return -self.workdays_between(end, start)
        return self.number_on_or_before(end) - self.number_on_or_before(start)

    def previous_workday(self, day: datetime.date) -> datetime.date:
        """``day`` itself when it is a working day, else the working day before it."""
        return self.day_of(self.number_on_or_before(day))


def current_calendar() -> WorkdayCalendar:
    """The calendar with the overrides and entered years kept in the database."""
    from .models import CalendarDay, CalendarYear

    return WorkdayCalendar(
        overrides=dict(
            CalendarDay.objects.filter(date__range=(FIRST_DAY, LAST_DAY)).values_list(
                "date", "is_workday"
            )
        ),
        entered_years=CalendarYear.objects.filter(complete=True).values_list("year", flat=True),
    )


def is_workday(day: datetime.date, calendar: WorkdayCalendar | None = None) -> bool:
    return (calendar or current_calendar()).is_workday(day)


def add_workdays(day: datetime.date, n: int, calendar: WorkdayCalendar | None = None):
    return (calendar or current_calendar()).add_workdays(day, n)


def workdays_between(
    start: datetime.date, end: datetime.date, calendar: WorkdayCalendar | None = None
) -> int:
    return (calendar or current_calendar()).workdays_between(start, end)
