"""我的待办: each role's lists, their counts in one query, and each count a link to exactly its tickets."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiesu.core import clock
from jiesu.tickets import worklists
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action, State


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def busy(world):
    """A spread of tickets: some for A, one for B, one returned, one asking for an extension, one supervised."""
    w = world
    w.ticket_in(State.PENDING_DISPATCH)
    w.ticket_in(State.PENDING_SIGN)
    w.ticket_in(State.PENDING_SIGN)
    progress = w.ticket_in(State.IN_PROGRESS)
    w.act(progress, Action.CONTACT)
    w.act(w.ticket_in(State.IN_PROGRESS), Action.REQUEST_EXTENSION)
    w.act(w.ticket_in(State.IN_PROGRESS), Action.SUPERVISE)
    w.give_back(w.ticket_in(State.IN_PROGRESS))
    w.ticket_in(State.PENDING_CALLBACK)
    w.ticket_in(State.CLOSED)  # the world's callback is 不满意
    b = w.new_ticket()
    w.act(b, Action.DISPATCH, department="B")
    return w


def test_each_role_sees_its_lists(busy):
    w = busy
    codes = {name: [x.code for x in worklists.worklists_for(getattr(w, name))]
             for name in ("operator", "dispatcher", "handler_a", "supervisor", "admin")}
    assert codes == {
        "operator": ["callback", "unsatisfied"],
        "dispatcher": ["police_accept", "dispatch", "return_review", "returned", "reply_review", "extension", "duplicate"],
        "handler_a": ["sign", "contact", "reply", "supervised", "assist", "awaiting"],
        "supervisor": ["escalated", "redo_decision"],
        "admin": [],
    }


def test_counts_are_one_query_and_each_link_lists_exactly_its_tickets(busy, settings):
    w = busy
    settings.JIESU_STAMP_RECHECK_SECONDS = 3600  # as in production: the directory and roles are in memory
    for name in ("operator", "dispatcher", "handler_a", "handler_b", "supervisor"):
        user = getattr(w, name)
        worklists.counts(user)  # the in-memory copies loaded
        with CaptureQueriesContext(connection) as queries:
            found = worklists.counts(user)
        assert len(queries) == 1, (name, [q["sql"] for q in queries])
        client = _client(user)
        for key, count in found.items():
            code, _, split = key.partition(".")
            url = f"/tickets/?todo={code}" + (f"&sla={split}" if split else "")
            response = client.get(url)
            assert response.status_code == 200
            assert response.context["page"].paginator.count == count, (name, key)
    handler = worklists.counts(w.handler_a)
    assert (handler["sign"], handler["contact"], handler["reply"], handler["supervised"]) == (2, 2, 1, 1)
    assert worklists.counts(w.handler_b)["sign"] == 1  # B's own, not A's
    dispatcher = worklists.counts(w.dispatcher)
    assert (dispatcher["dispatch"], dispatcher["returned"], dispatcher["extension"]) == (2, 1, 1)
    assert worklists.counts(w.operator)["callback"] == 1 and worklists.counts(w.supervisor)["redo_decision"] == 1


def _due(tickets, due, warn):
    now = clock.now()
    tickets.update(sign_due_at=now + due, sign_warn_at=now + warn, contact_due_at=now + timedelta(days=9),
                   contact_warn_at=now + timedelta(days=8), reply_due_at=now + timedelta(days=9),
                   reply_warn_at=now + timedelta(days=8))


def test_splits_follow_the_time_limits(busy):
    w = busy
    signing = Ticket.objects.filter(state=State.PENDING_SIGN, department=w.dept_a).order_by("pk")
    first, second = signing
    _due(Ticket.objects.filter(pk=first.pk), timedelta(hours=5), timedelta(hours=4))  # 正常
    _due(Ticket.objects.filter(pk=second.pk), timedelta(hours=-1), timedelta(hours=-2))  # 超期
    found = worklists.counts(w.handler_a)
    assert (found["sign.normal"], found["sign.warning"], found["sign.overdue"]) == (1, 0, 1)
    _due(Ticket.objects.filter(pk=first.pk), timedelta(hours=1), timedelta(hours=-1))  # 临期
    found = worklists.counts(w.handler_a)
    assert (found["sign.normal"], found["sign.warning"], found["sign.overdue"]) == (0, 1, 1)
    assert worklists.badge(w.handler_a, found) == 2 + 1  # all 待签收, and the supervised one


def test_a_list_that_is_not_yours_is_refused(busy):
    response = _client(busy.handler_a).get("/tickets/?todo=dispatch")
    assert response.status_code == 200 and response.context["page"].paginator.count == 0
    assert "没有这个待办" in response.content.decode()
    assert _client(busy.handler_a).get("/api/v1/tickets?todo=returned").status_code == 400


def test_the_page_and_the_api(busy):
    w = busy
    page = _client(w.handler_a).get("/todo/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "待签收" in html and 'href="/tickets/?todo=sign&amp;sla=warning"' in html
    api = _client(w.handler_a).get("/api/v1/todo").json()
    assert api["badge"] == worklists.badge(w.handler_a)
    sign = next(x for x in api["lists"] if x["code"] == "sign")
    assert (sign["count"], sign["link"]) == (2, "/tickets/?todo=sign")
    assert sign["normal"] + sign["warning"] + sign["overdue"] == 2
    supervisor = _client(w.supervisor).get("/todo/").content.decode()
    assert "不满意待重办研判" in supervisor
