"""The one source of "now" and of "today" for services, so the demo seeder and tests can place events in the past.

A "day" is always a local (Asia/Shanghai) day: `today()` and `local_day(moment)` are the only ways code turns
a moment into a date. `moment.date()` on a stored (UTC) datetime gives the wrong day between 00:00 and 08:00
local time.
"""

import contextlib
import threading
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

_local = threading.local()


def now() -> datetime:
    fixed = getattr(_local, "fixed", None)
    return fixed if fixed is not None else timezone.now()


def local_day(moment: datetime) -> date:
    """The local calendar day a moment falls on."""
    return timezone.localtime(moment).date()


def today() -> date:
    """Today as a local calendar day."""
    return local_day(now())


def start_of_day(day: date) -> datetime:
    """Local midnight at the start of `day`, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """The moments from the start of `first` to the start of the day after `last` (half-open), local days."""
    return start_of_day(first), start_of_day(last + timedelta(days=1))


def from_column(value) -> datetime | None:
    """A datetime column read with raw SQL, as the driver gave it (SQLite: text in UTC; PostgreSQL: aware), aware."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


@contextlib.contextmanager
def frozen(at: datetime):
    """Within the block, `now()` returns `at` (thread-local)."""
    if timezone.is_naive(at):
        raise ValueError("frozen() needs an aware datetime")
    previous = getattr(_local, "fixed", None)
    _local.fixed = at
    try:
        yield
    finally:
        _local.fixed = previous
