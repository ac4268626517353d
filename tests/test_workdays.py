"""The working-day calendar: statutory holidays, 调休 weekends, overrides, unknown years."""

import datetime as dt

import pytest

from schedule.workdays import CalendarRangeError, WorkdayCalendar

D = dt.date
calendar = WorkdayCalendar()


class TestNationalDay2024:
    """Oct 1–7 2024 off; Sunday 2024-09-29 and Saturday 2024-10-12 were working days."""

    @pytest.mark.parametrize("day", [D(2024, 10, n) for n in range(1, 8)])
    def test_golden_week_is_off(self, day):
        assert not calendar.is_workday(day)

    def test_adjusted_weekend_days_are_working_days(self):
        assert D(2024, 9, 29).weekday() == 6 and calendar.is_workday(D(2024, 9, 29))
        assert D(2024, 10, 12).weekday() == 5 and calendar.is_workday(D(2024, 10, 12))
        assert not calendar.is_workday(D(2024, 10, 13))  # an ordinary Sunday

    def test_adding_working_days_skips_the_holiday(self):
        assert calendar.add_workdays(D(2024, 9, 30), 1) == D(2024, 10, 8)
        assert calendar.add_workdays(D(2024, 10, 8), -1) == D(2024, 9, 30)
        assert calendar.add_workdays(D(2024, 9, 27), 1) == D(2024, 9, 29)
        assert calendar.add_workdays(D(2024, 10, 11), 1) == D(2024, 10, 12)

    def test_from_a_holiday(self):
        assert calendar.add_workdays(D(2024, 10, 3), 1) == D(2024, 10, 8)
        assert calendar.add_workdays(D(2024, 10, 3), -1) == D(2024, 9, 30)
        assert calendar.add_workdays(D(2024, 10, 3), 0) == D(2024, 10, 8)
        assert calendar.add_workdays(D(2024, 9, 30), 0) == D(2024, 9, 30)

    def test_counting_between(self):
        # 9-29 (Sun), 9-30, 10-8, 10-9, 10-10, 10-11, 10-12 (Sat)
        assert calendar.workdays_between(D(2024, 9, 27), D(2024, 10, 12)) == 7
        assert calendar.workdays_between(D(2024, 10, 12), D(2024, 9, 27)) == -7
        assert calendar.workdays_between(D(2024, 9, 30), D(2024, 10, 7)) == 0
        assert calendar.workdays_between(D(2024, 9, 30), D(2024, 9, 30)) == 0


class TestSpringFestival2025:
    """Jan 28 – Feb 4 2025 off; Sunday 2025-01-26 and Saturday 2025-02-08 were working days."""

    def test_days(self):
        assert calendar.is_workday(D(2025, 1, 26))
        assert calendar.is_workday(D(2025, 2, 8))
        for day in range(28, 32):
            assert not calendar.is_workday(D(2025, 1, day))
        for day in range(1, 5):
            assert not calendar.is_workday(D(2025, 2, day))
        assert calendar.is_workday(D(2025, 2, 5))

    def test_arithmetic(self):
        assert calendar.add_workdays(D(2025, 1, 24), 1) == D(2025, 1, 26)
        assert calendar.add_workdays(D(2025, 1, 27), 1) == D(2025, 2, 5)
        assert calendar.add_workdays(D(2025, 2, 5), -2) == D(2025, 1, 26)
        assert calendar.workdays_between(D(2025, 1, 24), D(2025, 2, 8)) == 6


def test_an_override_takes_precedence_and_changes_results():
    corrected = WorkdayCalendar(overrides={D(2024, 10, 8): False, D(2024, 10, 6): True})
    assert not corrected.is_workday(D(2024, 10, 8))
    assert corrected.is_workday(D(2024, 10, 6))
    assert corrected.add_workdays(D(2024, 9, 30), 1) == D(2024, 10, 6)
    assert corrected.add_workdays(D(2024, 9, 30), 2) == D(2024, 10, 9)
    assert calendar.add_workdays(D(2024, 9, 30), 2) == D(2024, 10, 9)  # the default is untouched
    assert corrected.workdays_between(D(2024, 9, 30), D(2024, 10, 9)) == 2


def test_a_year_nobody_knows_is_provisional_and_counts_weekends_only():
    assert not calendar.is_provisional(2026)
    assert calendar.is_provisional(2027)
    # 2027-01-01 is a Friday: without an arrangement it can only be counted as a working day.
    assert calendar.is_workday(D(2027, 1, 1))
    assert calendar.provisional_years(D(2026, 12, 1), D(2028, 2, 1)) == [2027, 2028]
    assert calendar.provisional_years(D(2026, 1, 1), D(2026, 12, 31)) == []


def test_an_entered_year_is_no_longer_provisional():
    entered = WorkdayCalendar(
        overrides={D(2027, 1, 1): False, D(2027, 2, 7): True}, entered_years=[2027]
    )
    assert not entered.is_provisional(2027)
    assert entered.provisional_years(D(2026, 12, 1), D(2027, 6, 1)) == []
    assert not entered.is_workday(D(2027, 1, 1))
    assert entered.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_dates_outside_the_calendar_are_refused():
    with pytest.raises(CalendarRangeError, match="超出工作日历的范围"):
        calendar.is_workday(D(1999, 12, 31))
    with pytest.raises(CalendarRangeError):
        calendar.add_workdays(D(2060, 12, 30), 30)
