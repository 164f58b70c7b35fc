"""Idempotency-Key on registration (issue 19): a retry files nothing twice and gets the first answer back; the
same key for another request is refused; keys are per client; two copies at once make one ticket."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client

from jiesu.core import clock, idempotency
from jiesu.core.models import IdempotencyKey
from jiesu.core.tokens import create_token
from jiesu.directory.tests.factories import make_staff
from jiesu.tickets.models import Ticket, TicketEvent

BODY = {"kind": "complaint", "content": "东湖路12号门前的窨井盖缺失，晚上很危险。", "caller_phone": "13912345678",
        "region": "110"}


def _client(user) -> Client:
    _, key = create_token(user=user, name="幂等")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", raise_request_exception=False)


def _post(client, body, key):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/v1/tickets", body, content_type="application/json", headers=headers)


def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(world):
    operator = _client(world.operator)
    key = str(uuid.uuid4())
    first = _post(operator, BODY, key)
    assert first.status_code == 201, first.content
    tickets, events = Ticket.objects.count(), TicketEvent.objects.count()

    again = _post(operator, BODY, key)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (Ticket.objects.count(), TicketEvent.objects.count()) == (tickets, events)
    # Without a key every POST is a new request, as before.
    assert _post(operator, BODY, None).json()["number"] != first.json()["number"]


def test_a_lost_answer_is_built_again_from_the_ticket(world):
    operator = _client(world.operator)
    key = "retry-after-timeout-1"
    number = _post(operator, BODY, key).json()["number"]
    IdempotencyKey.objects.filter(key=key).update(status=None, response="")  # the answer never got stored
    again = _post(operator, BODY, key)
    assert again.status_code == 201 and again.json()["number"] == number
    assert Ticket.objects.filter(content=BODY["content"]).count() == 1


def test_the_same_key_for_another_request_is_refused(world):
    operator = _client(world.operator)
    assert _post(operator, BODY, "k-1").status_code == 201
    other = _post(operator, {**BODY, "content": "另一件事：新华街的路灯不亮。"}, "k-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused" and "幂等键" in other.json()["message"]
    assert not Ticket.objects.filter(content__startswith="另一件事").exists()


@pytest.mark.parametrize("key", ["", "带中文的键", "x" * 256, "has space"])
def test_a_malformed_key_is_refused(world, key):
    response = _post(_client(world.operator), BODY, key)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["fields"]
    assert not Ticket.objects.exists()


def test_keys_belong_to_one_client(world):
    """Another client's key of the same spelling is another request: it neither replays the first answer (which
    would show that client someone else's ticket) nor is refused."""
    first = _post(_client(world.operator), BODY, "shared-spelling")
    second = _post(_client(make_staff("operator", world.hotline, username="operator2")), BODY, "shared-spelling")
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] != second.json()["number"]
    assert not second.has_header("Idempotent-Replayed")


def test_keys_are_forgotten_after_the_retention(world, settings):
    settings.JIESU_IDEMPOTENCY_HOURS = 24
    _post(_client(world.operator), BODY, "old-key")
    IdempotencyKey.objects.update(created_at=clock.now() - timedelta(hours=25))
    assert idempotency.purge() == 1 and not IdempotencyKey.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_copies_at_once_make_one_ticket():
    from jiesu.tickets.tests.world import World

    world = World.build()
    clients = [_client(world.operator) for _ in range(2)]
    for n in range(5):
        key = f"race-{n}"
        barrier = threading.Barrier(2)

        def send(client, key=key, barrier=barrier):
            try:
                barrier.wait()
                return _post(client, BODY, key)
            finally:
                connections.close_all()

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, clients))
        assert [a.status_code for a in answers] == [201, 201]
        assert answers[0].json()["number"] == answers[1].json()["number"]
    assert Ticket.objects.count() == 5
