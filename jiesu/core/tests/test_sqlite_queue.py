"""The SQLite backend queues write transactions in order (jiesu.core.sqlite): a writer waits for the one before it
without SQLite's sleep-and-retry, readers never wait, and a failed transaction leaves the queue."""

import threading
import time

import pytest
from django.db import connection

from jiesu.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite 专用的写事务排队")


@pytest.fixture
def database_file(tmp_path, django_db_blocker):
    """Connections of the jiesu SQLite backend to a database file of its own (not the suite's database)."""
    settings = {**connection.settings_dict, "NAME": str(tmp_path / "queue.sqlite3")}
    # No busy timeout: without the queue, a second writer's BEGIN IMMEDIATE fails at once ("database is locked").
    settings["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 0, "init_command": "PRAGMA journal_mode=WAL;"}
    opened = []

    def connect() -> DatabaseWrapper:
        wrapper = DatabaseWrapper(settings, alias=f"queue{len(opened)}")
        wrapper.inc_thread_sharing()  # made here, used in the writer threads
        opened.append(wrapper)
        return wrapper

    with django_db_blocker.unblock():
        setup = connect()
        with setup.cursor() as cursor:
            cursor.execute("CREATE TABLE counter (n INTEGER)")
            cursor.execute("INSERT INTO counter VALUES (0)")
        yield connect
        for wrapper in opened:
            wrapper.close()


def _write(wrapper, hold: float, log: list, name: str) -> None:
    """One write transaction, begun and ended as transaction.atomic() does it on SQLite."""
    wrapper.ensure_connection()
    wrapper._start_transaction_under_autocommit()
    log.append(("begin", name))
    with wrapper.cursor() as cursor:
        cursor.execute("UPDATE counter SET n = n + 1")
    time.sleep(hold)
    log.append(("commit", name))
    wrapper.commit()


def test_writers_take_turns_and_readers_do_not_wait(database_file):
    a, b, reader = database_file(), database_file(), database_file()
    log: list = []
    first = threading.Thread(target=_write, args=(a, 0.3, log, "a"))
    first.start()
    time.sleep(0.05)
    second = threading.Thread(target=_write, args=(b, 0.0, log, "b"))
    second.start()
    time.sleep(0.05)
    started = time.monotonic()
    with reader.cursor() as cursor:  # WAL: a reader sees the last commit at once
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone()[0] == 0
    assert time.monotonic() - started < 0.1
    first.join(5)
    second.join(5)

    assert log == [("begin", "a"), ("commit", "a"), ("begin", "b"), ("commit", "b")]
    with reader.cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone()[0] == 2


def test_a_failed_transaction_leaves_the_queue(database_file):
    a, b = database_file(), database_file()
    a.ensure_connection()
    a._start_transaction_under_autocommit()
    with a.cursor() as cursor:
        cursor.execute("UPDATE counter SET n = n + 1")
    a.rollback()
    log: list = []
    writer = threading.Thread(target=_write, args=(b, 0.0, log, "b"))
    writer.start()
    writer.join(5)
    assert log == [("begin", "b"), ("commit", "b")]
