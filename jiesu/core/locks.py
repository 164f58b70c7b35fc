"""A process-wide named lock for periodic jobs, so two runs of the same job never overlap.

PostgreSQL: a session advisory lock (works across machines sharing the database).
SQLite: an flock on a file beside the database (one machine is all SQLite serves anyway).
"""

import contextlib
import fcntl
import hashlib

from django.conf import settings
from django.db import connection


def advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def exclusive(name: str):
    """Yields True if the lock was taken, False if another run holds it. Never waits."""
    if connection.vendor == "postgresql":
        key = advisory_key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            taken = cursor.fetchone()[0]
        try:
            yield taken
        finally:
            if taken:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(settings.VAR_DIR / f"{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------- row locks and their conflicts

CONFLICT_MESSAGE = "其他人正在同时处理相关工单，操作未生效，请刷新后重试"


def is_lock_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure on PostgreSQL, or SQLite's "database is locked": the database undid
    this transaction because of another one, and the same request may well succeed when tried again."""
    from django.db import OperationalError

    cause = exc.__cause__
    if cause is not None and getattr(cause, "sqlstate", None) in ("40P01", "40001", "55P03"):
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


def retry_on_conflict(func=None, *, attempts: int = 3):
    """Run a transactional service again (up to `attempts` times, with a short random pause) when the database
    undid it because of a concurrent one; then refuse it with a 409 instead of a server error. Inside an outer
    transaction nothing can be retried (the outer one is already undone), so the 409 comes at once."""
    import functools
    import random
    import time

    from django.db import DatabaseError

    from .errors import Conflict

    def decorate(service):
        @functools.wraps(service)
        def wrapper(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                try:
                    return service(*args, **kwargs)
                except DatabaseError as exc:
                    if not is_lock_conflict(exc):
                        raise
                    if connection.in_atomic_block or attempt == attempts:
                        raise Conflict(CONFLICT_MESSAGE, code="concurrent_update") from exc
                    time.sleep(random.uniform(0.01, 0.05) * attempt)
            raise AssertionError("unreachable")

        return wrapper

    return decorate(func) if func is not None else decorate
