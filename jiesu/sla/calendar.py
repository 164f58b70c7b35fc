"""The Chinese working-day calendar: pure arithmetic, no database inside.

Working time is the time that falls on working days: Monday to Friday and 调休 make-up days, minus
statutory holidays; a working day counts all 24 hours (office hours are not modelled). Times are
reasoned about in Asia/Shanghai, which has had no daylight saving since 1991, so every day is 24 h.
"""

import calendar as _calendar
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = timedelta(days=1)


class WorkingCalendar:
    def __init__(self, holidays: Iterable[date] = (), makeup_workdays: Iterable[date] = (), tz=SHANGHAI):
        self.holidays = frozenset(holidays)
        self.makeup_workdays = frozenset(makeup_workdays)
        self.tz = tz

    # ------------------------------------------------------------ days

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("WorkingCalendar needs aware datetimes")
        return moment.astimezone(self.tz)

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.tz)

    def end_of_day(self, day: date) -> datetime:
        """The end of a local day, as the next midnight (an exclusive bound)."""
        return self._midnight(day + DAY)

    # ------------------------------------------------------------ adding time

    def add_clock_hours(self, start: datetime, hours: float) -> datetime:
        """Clock hours run day and night, holidays included."""
        return self._local(start) + timedelta(hours=float(hours))

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """Calendar days: the same time of day, `days` days later."""
        return self._local(start) + timedelta(days=days)

    def add_calendar_months(self, start: datetime, months: int) -> datetime:
        """Calendar months (人大建议 / 政协提案): the same day of the month, or the month's last day."""
        local = self._local(start)
        index = local.month - 1 + months
        year, month = local.year + index // 12, index % 12 + 1
        day = min(local.day, _calendar.monthrange(year, month)[1])
        return local.replace(year=year, month=month, day=day)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The moment when `amount` of working time has passed since `start`.

        Time on non-working days does not count; starting on one, counting begins at the next working
        day's midnight. The result always lies within a working day or at its end.
        """
        if amount < timedelta(0):
            raise ValueError("amount must not be negative")
        cursor = self._local(start)
        remaining = amount
        while True:
            day = cursor.date()
            day_end = self.end_of_day(day)
            if self.is_working_day(day):
                available = day_end - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            cursor = day_end

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`days` working days after `start`. Registered on a weekend or holiday, the count starts at the next
        working day, so the deadline is the end of a working day."""
        if days < 0:
            raise ValueError("days must not be negative")
        return self.add_working_time(start, timedelta(days=days))

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """The latest moment from which `amount` of working time reaches `end` (the inverse of add)."""
        if amount < timedelta(0):
            raise ValueError("amount must not be negative")
        cursor = self._local(end)
        remaining = amount
        while True:
            day_start = self._midnight(cursor.date())
            if cursor == day_start:  # at a midnight: the time before it belongs to the previous day
                day_start = self._midnight(cursor.date() - DAY)
            if self.is_working_day(day_start.date()):
                available = cursor - day_start
                if remaining <= available:
                    return cursor - remaining
                remaining -= available
            cursor = day_start

    # ------------------------------------------------------------ measuring

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); negative if end is before start."""
        a, b = self._local(start), self._local(end)
        if b < a:
            return -self.working_time_between(end, start)
        total = timedelta(0)
        cursor = a
        while cursor < b:
            day_end = min(self.end_of_day(cursor.date()), b)
            if self.is_working_day(cursor.date()):
                total += day_end - cursor
            cursor = day_end
        return total
