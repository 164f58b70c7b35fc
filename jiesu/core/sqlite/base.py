"""SQLite, with write transactions queued in order (the embedded default's one writer at a time).

SQLite lets one transaction write at a time; the others wait in its busy handler, which sleeps and retries with
growing pauses (up to 100 ms) and no order, so under load an unlucky writer loses the race again and again: on
intake that made a p99 of over a second while the median was 40 ms (issue 15). Here each write transaction
first takes an exclusive flock() on a file beside the database, in every process and thread; the kernel hands it
to the waiters as it is released, without polling, then BEGIN IMMEDIATE takes SQLite's own lock at once. Reads
(WAL) take neither. A database in memory (the test suite's) has one connection and needs no queue.
"""

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _queue_fd: int | None = None

    def _queue_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}.writers"

    def _start_transaction_under_autocommit(self):
        path = self._queue_path()
        if path is not None:
            if self._queue_fd is None:
                self._queue_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX)  # blocks, without the GIL, until it is this writer's turn
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave_queue()
            raise

    def _leave_queue(self) -> None:
        if self._queue_fd is not None:
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

    def _commit(self):
        try:
            super()._commit()
        finally:
            self._leave_queue()

    def _rollback(self):
        try:
            super()._rollback()
        finally:
            self._leave_queue()

    def _close(self):
        try:
            super()._close()
        finally:
            if self._queue_fd is not None:
                os.close(self._queue_fd)  # releases the lock too
                self._queue_fd = None
