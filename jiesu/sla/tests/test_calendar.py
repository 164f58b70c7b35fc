"""The working-day calendar, on real State Council notices (国务院办公厅关于部分节假日安排的通知)."""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiesu.sla.calendar import SHANGHAI, WorkingCalendar

# 2024 春节: 2月10日–17日放假, 2月4日(周日)、2月18日(周日)上班.
# 2025 春节: 1月28日–2月4日放假, 1月26日(周日)、2月8日(周六)上班.
# 2025 国庆·中秋: 10月1日–8日放假, 9月28日(周日)、10月11日(周六)上班.
HOLIDAYS = (
    [date(2024, 2, d) for d in range(10, 18)]
    + [date(2025, 1, 28 + i) for i in range(4)] + [date(2025, 2, d) for d in range(1, 5)]
    + [date(2025, 10, d) for d in range(1, 9)]
)
MAKEUP = [date(2024, 2, 4), date(2024, 2, 18), date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28),
          date(2025, 10, 11)]
CAL = WorkingCalendar(HOLIDAYS, MAKEUP)


def at(y, m, d, h=0, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 26), True),  # Sunday, 调休 make-up day
        (date(2025, 1, 27), True),
        (date(2025, 1, 28), False),  # 除夕
        (date(2025, 2, 4), False),
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday, make-up day
        (date(2025, 2, 9), False),  # ordinary Sunday
        (date(2025, 9, 28), True),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
        (date(2025, 10, 12), False),
        (date(2024, 2, 4), True),
        (date(2024, 2, 17), False),
        (date(2024, 2, 18), True),
    ],
)
def test_working_days_follow_the_notices(day, working):
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Registered the afternoon before 春节 2025: one working day lands after the holiday.
        (at(2025, 1, 27, 15), 1, at(2025, 2, 5, 15)),
        # Registered on 除夕 (a holiday): counting starts on 2月5日, so the deadline is the end of that day.
        (at(2025, 1, 28, 10), 1, at(2025, 2, 6)),
        # 7 working days from 2025-09-26 (Fri): 9/28 (Sun make-up), 9/29, 9/30, 10/9, 10/10, 10/11 (Sat), 10/13.
        (at(2025, 9, 26, 9), 7, at(2025, 10, 13, 9)),
        # 2024 春节: Friday 2月9日 + 1 → Sunday 2月18日 is a make-up working day.
        (at(2024, 2, 9, 12), 1, at(2024, 2, 18, 12)),
        # An ordinary weekend: Friday 16:00 + 1 working day = Monday 16:00.
        (at(2025, 3, 7, 16), 1, at(2025, 3, 10, 16)),
        # Saturday: the count starts Monday; 2 working days end Tuesday night.
        (at(2025, 3, 8, 11), 2, at(2025, 3, 12)),
        (at(2025, 3, 10, 9), 0, at(2025, 3, 10, 9)),
    ],
)
def test_add_working_days(start, days, due):
    assert CAL.add_working_days(start, days) == due


def test_clock_hours_calendar_days_and_months_ignore_holidays():
    start = at(2025, 1, 28, 22)
    assert CAL.add_clock_hours(start, 2) == at(2025, 1, 29, 0)
    assert CAL.add_clock_hours(start, 0.5) == at(2025, 1, 28, 22, 30)
    assert CAL.add_calendar_days(start, 7) == at(2025, 2, 4, 22)
    assert CAL.add_calendar_months(at(2025, 11, 30, 9), 3) == at(2026, 2, 28, 9)
    assert CAL.add_calendar_months(at(2025, 1, 15), 12) == at(2026, 1, 15)


def test_working_time_between_skips_the_holiday():
    assert CAL.working_time_between(at(2025, 1, 27, 12), at(2025, 2, 5, 12)) == timedelta(days=1)
    assert CAL.working_time_between(at(2025, 2, 5, 12), at(2025, 1, 27, 12)) == -timedelta(days=1)
    assert CAL.working_time_between(at(2025, 2, 1), at(2025, 2, 3)) == timedelta(0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        CAL.add_working_days(datetime(2025, 1, 1), 1)


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31)).map(
    lambda d: d.replace(tzinfo=SHANGHAI)
)


@given(start=moments, n=st.integers(min_value=1, max_value=40))
def test_adding_working_days_never_ends_on_a_non_working_day(start, n):
    due = CAL.add_working_days(start, n)
    # The instant just before the deadline lies on a working day (a deadline at midnight ends the day before).
    assert CAL.is_working_day((due - timedelta(microseconds=1)).date())


@given(start=moments, n=st.integers(min_value=0, max_value=40))
def test_adding_working_days_is_monotonic(start, n):
    assert CAL.add_working_days(start, n) <= CAL.add_working_days(start, n + 1)


@given(start=moments, n=st.integers(min_value=1, max_value=40))
def test_working_time_between_inverts_add(start, n):
    due = CAL.add_working_days(start, n)
    assert CAL.working_time_between(start, due) == timedelta(days=n)


@given(end=moments, hours=st.integers(min_value=0, max_value=24 * 20))
def test_subtracting_working_time_inverts_add(end, hours):
    start = CAL.subtract_working_time(end, timedelta(hours=hours))
    assert CAL.working_time_between(start, end) == timedelta(hours=hours)
    assert start <= end
