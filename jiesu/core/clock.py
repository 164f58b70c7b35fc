"""The one source of "now" for services, so the demo seeder and tests can place events in the past."""

import contextlib
import threading
from datetime import datetime

from django.utils import timezone

_local = threading.local()


def now() -> datetime:
    fixed = getattr(_local, "fixed", None)
    return fixed if fixed is not None else timezone.now()


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
