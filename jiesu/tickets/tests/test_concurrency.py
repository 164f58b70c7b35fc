"""Two people acting at once on the same ticket or on a 母单/子单 pair: one consistent outcome, never a 5xx.

PostgreSQL only: SQLite serialises writers (IMMEDIATE transactions), so it has no deadlocks to prove absent.
Each race runs 20 times through the API, two threads released together by a barrier.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client

from jiesu.core.tokens import create_token
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.tickets.workflow import Action, State

TRIES = 20

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers; the races are run on PostgreSQL"
)


@pytest.fixture
def world(transactional_db):
    from jiesu.tickets.tests.world import World

    return World.build()


def _client(user) -> Client:
    _, key = create_token(user=user, name="并发")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", raise_request_exception=False)


def _race(*calls) -> list[int]:
    """Run the calls at the same moment, each in its own thread and database connection; their status codes."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        client, url, data = call
        try:
            barrier.wait()
            return client.post(url, data, content_type="application/json").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_opposite_merges_leave_one_merged(world):
    dispatcher = _client(world.dispatcher), _client(world.dispatcher)
    for _ in range(TRIES):
        a, b = world.new_ticket(), world.new_ticket(content="东湖路的路灯晚上不亮", caller_phone="13700137000")
        codes = _race((dispatcher[0], f"/api/v1/tickets/{a.number}/merge", {"parent": b.number}),
                      (dispatcher[1], f"/api/v1/tickets/{b.number}/merge", {"parent": a.number}))
        assert sorted(codes) == [200, 409], codes
        a.refresh_from_db()
        b.refresh_from_db()
        merged = [t for t in (a, b) if t.state == State.MERGED]
        assert len(merged) == 1 and merged[0].merged_into_id == ({a.pk, b.pk} - {merged[0].pk}).pop()


def test_unmerge_racing_the_parents_reply(world):
    dispatcher, handler = _client(world.dispatcher), _client(world.handler_a)
    for _ in range(TRIES):
        parent = world.ticket_in(State.IN_PROGRESS)
        child = world.new_ticket(content="东湖路的路灯晚上不亮", caller_phone="13700137000")
        world.act(child, Action.MERGE, parent=parent.number)
        unmerge, reply = _race(
            (dispatcher, f"/api/v1/tickets/{child.number}/unmerge", {"note": "并非同一事项"}),
            (handler, f"/api/v1/tickets/{parent.number}/reply", {"reply_text": "已修复路灯", "result": "resolved"}),
        )
        assert reply == 200 and unmerge in (200, 409), (unmerge, reply)
        child.refresh_from_db()
        if unmerge == 200:  # unmerged first: the child waits for its own dispatch
            assert (child.state, child.merged_into_id, child.reply_text) == (State.PENDING_DISPATCH, None, "")
        else:  # answered first: the child followed its 母单
            assert (child.state, child.merged_into_id) == (State.PENDING_CALLBACK, parent.pk)
            assert child.reply_text == "已修复路灯"


def test_two_dispatchers_one_dispatch(world):
    first, second = _client(world.dispatcher), _client(world.dispatcher)
    for _ in range(TRIES):
        ticket = world.new_ticket()
        codes = _race((first, f"/api/v1/tickets/{ticket.number}/dispatch", {"department": "A"}),
                      (second, f"/api/v1/tickets/{ticket.number}/dispatch", {"department": "B"}))
        assert sorted(codes) == [200, 409], codes
        assert TicketEvent.objects.filter(ticket=ticket, action=Action.DISPATCH).count() == 1
        assert Ticket.objects.get(pk=ticket.pk).state == State.PENDING_SIGN


def test_two_replies_one_answer(world):
    first, second = _client(world.handler_a), _client(world.handler_a)
    for _ in range(TRIES):
        ticket = world.ticket_in(State.IN_PROGRESS)
        codes = _race((first, f"/api/v1/tickets/{ticket.number}/reply", {"reply_text": "甲", "result": "resolved"}),
                      (second, f"/api/v1/tickets/{ticket.number}/reply", {"reply_text": "乙", "result": "resolved"}))
        assert sorted(codes) == [200, 409], codes
        assert TicketEvent.objects.filter(ticket=ticket, action=Action.REPLY).count() == 1
