"""How many SQL statements the busiest requests take (issue 15): registering a request through the API with routing
and the duplicate look-up on, and 派单, 签收, 答复. Each extra statement is paid thousands of times an hour on a
bad day; benchmarks/intake.py measures the time. The counts are SQLite's, BEGIN and COMMIT included (PostgreSQL
sends neither as a statement)."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiesu.core.tokens import create_token
from jiesu.demo.seed import training_set
from jiesu.routing import services as routing
from jiesu.routing.models import Prediction
from jiesu.tickets.models import Ticket

# Registering: token, duplicate candidates (one query), then BEGIN, number, ticket, history, look-up keys,
# 疑似重复, prediction, the caller's 受理回执 in the outbox, COMMIT. The answer is built from what was written.
# 派单 tells the unit's handlers (who they are and how they want it: one query; the notifications: one insert; their
# SMS and e-mails: one more when any); 答复 puts the caller's SMS in the outbox. 签收 and 答复 first ask, in one query,
# what waits on the ticket (a 退单 or an answer for the centre, whether any 答复审核 rule is on, a 延期 request,
# open 协办 parts, 子单); the answer of 签收 asks it again for the actions it offers. 答复 writes the 延期 it
# withdraws, the 协办 parts it closes and the 子单 it answers only when that query found some; on PostgreSQL it first
# locks the ticket and its 子单 in one statement (SQLite's BEGIN IMMEDIATE has serialized the writers: 15 there).
# The answers list the 协办 parts (one query).
LIMITS = {"create": 11, "dispatch": 17, "sign": 14, "reply": 16}

TEXT = "幸福里小区3号楼前的路灯已经一周不亮，晚上很黑，老人出行不便，请尽快维修。"


@pytest.fixture
def busy(world, settings):
    settings.JIESU_STAMP_RECHECK_SECONDS = 3600  # as in production: the in-memory copies are trusted between checks
    texts, labels = training_set()  # the demo's texts, with 路灯不亮 as the world's category 0101
    routing.train(texts, ["0101" if label == "020201" else label for label in labels], name="测试")

    def client(user):
        _, key = create_token(user=user, name="测试")
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    return world, client(world.operator), client(world.dispatcher), client(world.handler_a)


def _post(client, path, payload):
    return client.post(path, json.dumps(payload, ensure_ascii=False), content_type="application/json")


def _register(operator, n):
    return _post(operator, "/api/v1/tickets", {
        "kind": "complaint", "content": f"{TEXT}（第{n}次来电）", "caller_phone": f"1390000{n:04d}", "region": "110",
    })


def test_the_busiest_requests_stay_within_their_statements(busy):
    world, operator, dispatcher, handler = busy
    for n in range(3):  # earlier calls about the same matter: the look-up finds them; caches warm up
        number = _register(operator, n).json()["number"]
        for client, path, payload in ((dispatcher, "dispatch", {"department": "A"}), (handler, "sign", {}),
                                      (handler, "reply", {"reply_text": "已修复。", "result": "resolved"})):
            assert _post(client, f"/api/v1/tickets/{number}/{path}", payload).status_code == 200

    counts = {}
    with CaptureQueriesContext(connection) as queries:
        response = _register(operator, 9)
    assert response.status_code == 201, response.content
    counts["create"] = len(queries)
    body = response.json()
    number = body["number"]
    ticket = Ticket.objects.get(number=number)
    # The answer built from what was written is the answer read back.
    assert len(body["duplicates"]) == 3 and ticket.duplicate_matches.count() == 3
    assert [e["action"] for e in body["events"]] == ["create"] and Prediction.objects.filter(ticket=ticket).exists()
    read_back = operator.get(f"/api/v1/tickets/{number}").json()
    assert {k: v for k, v in body.items() if k != "allowed_actions"} == \
        {k: v for k, v in read_back.items() if k != "allowed_actions"}

    for client, path, payload in ((dispatcher, "dispatch", {"department": "A"}), (handler, "sign", {}),
                                  (handler, "reply", {"reply_text": "已修复。", "result": "resolved"})):
        with CaptureQueriesContext(connection) as queries:
            response = _post(client, f"/api/v1/tickets/{number}/{path}", payload)
        assert response.status_code == 200, response.content
        counts[path] = len(queries)

    assert all(counts[name] <= limit for name, limit in LIMITS.items()), (counts, LIMITS)
