"""In-process caches of slowly changing data, kept true across processes by version stamps.

Intake reads the directory, staff roles and the active routing model on every request; asking the database each
time was most of its cost (issue 15). A `Cached` value is loaded once per process and reloaded when its stamp
changes. Whatever changes the data calls `bump(name)` inside its own transaction: the new version commits with
the change, this process forgets its copy at once, and every other process sees the new version at its next check,
at most JIESU_STAMP_RECHECK_SECONDS later (one query for all stamps). Versions are random, not counters, so a
rolled-back change can never leave two different contents under one version.
"""

import secrets
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings
from django.db import connection, transaction

T = TypeVar("T")
_lock = threading.RLock()  # a loader may read another cached value
_seen: dict = {"versions": {}, "checked": float("-inf")}


def _table() -> str:
    from .models import Stamp

    return Stamp._meta.db_table


def versions() -> dict[str, str]:
    """Every stamp's version, read from the database at most once per recheck interval per process."""
    now = time.monotonic()
    if now - _seen["checked"] >= settings.JIESU_STAMP_RECHECK_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT name, version FROM {_table()}")
            _seen["versions"] = dict(cursor.fetchall())
        _seen["checked"] = now
    return _seen["versions"]


def forget() -> None:
    """Check the stamps again on the next read (after a change this process made, or between tests)."""
    _seen["checked"] = float("-inf")


def bump(name: str) -> None:
    """A new version of `name`, written in the caller's transaction; this process rereads at once and again
    after the commit (other threads may have reloaded the old data in between)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table()} ({quote('name')}, {quote('version')}) VALUES (%s, %s) "
            f"ON CONFLICT ({quote('name')}) DO UPDATE SET {quote('version')} = excluded.{quote('version')}",
            [name, secrets.token_hex(16)],
        )
    forget()
    transaction.on_commit(forget)


class Cached(Generic[T]):
    """One value built by `load()` and kept until the stamp `name` changes. Thread-safe: one thread loads while
    the others wait, and readers get a whole value, never a half-built one."""

    def __init__(self, name: str, load: Callable[[], T]):
        self.name, self.load = name, load
        self._value: T | None = None
        self._version: str | None = None
        self._loaded = False

    def get(self) -> T:
        version = versions().get(self.name, "")
        if self._loaded and version == self._version:
            return self._value  # type: ignore[return-value]
        with _lock:
            if not (self._loaded and version == self._version):
                self._value, self._version, self._loaded = self.load(), version, True
        return self._value  # type: ignore[return-value]

    def clear(self) -> None:
        self._loaded = False
