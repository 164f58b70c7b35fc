"""A transaction the database undid because of another one is tried again, then refused with a 409."""

import pytest
from django.db import OperationalError

from jiesu.core.errors import Conflict
from jiesu.core.locks import retry_on_conflict


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


def _failing(times: int, calls: list):
    @retry_on_conflict
    def service():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("deadlock detected") from _Deadlock()
        return "done"

    return service


def test_a_deadlock_is_tried_again():
    calls = []
    assert _failing(2, calls)() == "done" and len(calls) == 3


def test_a_deadlock_that_keeps_happening_is_a_409():
    calls = []
    with pytest.raises(Conflict) as refused:
        _failing(5, calls)()
    assert len(calls) == 3 and refused.value.status == 409 and refused.value.code == "concurrent_update"


def test_other_database_errors_are_not_hidden():
    @retry_on_conflict
    def service():
        raise OperationalError("no such table: x")

    with pytest.raises(OperationalError):
        service()


@pytest.mark.django_db
def test_inside_an_outer_transaction_it_is_a_409_at_once():
    calls = []
    with pytest.raises(Conflict):
        _failing(1, calls)()
    assert len(calls) == 1


@pytest.mark.parametrize("path, kind", [("/api/v1/tickets", "json"), ("/tickets/", "page")])
def test_a_conflict_that_escapes_its_service_is_a_409_not_a_500(rf, path, kind):
    from django.contrib.auth.models import AnonymousUser

    from jiesu.core.middleware import RejectUnstorableText

    request = rf.get(path)
    request.user = AnonymousUser()
    try:
        raise OperationalError("deadlock detected") from _Deadlock()
    except OperationalError as exc:
        response = RejectUnstorableText(lambda r: None).process_exception(request, exc)
    assert response.status_code == 409
    body = response.content.decode()
    assert ('"concurrent_update"' in body) if kind == "json" else ("操作冲突" in body)
