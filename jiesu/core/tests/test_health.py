"""/healthz, /readyz, /metrics and the request id in answers and JSON logs (issue 19)."""

import json
import logging

from django.test import Client

from jiesu.core.health import JsonLogFormatter, RequestContext
from jiesu.notifications import services as notifications
from jiesu.notifications.models import Delivery
from jiesu.sla import services as sla


def test_healthz_answers_without_the_database(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_needs_a_recent_sweep_and_a_small_outbox(world, client, settings):
    settings.JIESU_READY_SWEEP_MINUTES, settings.JIESU_READY_OUTBOX_LIMIT = 10, 3
    response = client.get("/readyz")
    assert response.status_code == 503 and response["Retry-After"]
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert checks["sweep"] == {"ok": False, "last_finished_at": None, "within_minutes": 10}

    sla.sweep()
    assert client.get("/readyz").json() == {"status": "ready", "checks": client.get("/readyz").json()["checks"]}
    assert client.get("/readyz").status_code == 200

    Delivery.objects.bulk_create([notifications.outbox("sms", f"1380013800{i}", "receipt",
                                                       {"number": str(i), "query_code": "000000"}) for i in range(3)])
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["outbox"] == {"ok": False, "pending": 3, "limit": 3}

    settings.JIESU_READY_SWEEP_MINUTES = settings.JIESU_READY_OUTBOX_LIMIT = 0  # not checked
    assert set(client.get("/readyz").json()["checks"]) == {"database", "migrations"}


def test_metrics_for_prometheus_from_allowed_addresses_only(world, settings):
    world.new_ticket()
    sla.sweep()
    local = Client(REMOTE_ADDR="127.0.0.1")
    local.get("/healthz")
    text = local.get("/metrics").content.decode()
    assert 'jiesu_tickets{state="pending_dispatch"} 1.0' in text
    assert 'jiesu_request_seconds_count{method="GET",status="200",view="healthz"}' in text
    assert "jiesu_sweep_last_duration_seconds" in text and "jiesu_outbox_messages" in text
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404


def test_every_answer_carries_a_request_id(client):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "nginx-abc-1"})["X-Request-ID"] == "nginx-abc-1"


def test_json_logs_name_the_request_user_and_ticket(world, rf):
    ticket = world.new_ticket()
    lines = []

    def view(request, number):
        record = logging.LogRecord("jiesu.tickets", logging.WARNING, __file__, 1, "答复失败 %s", (number,), None)
        lines.append(JsonLogFormatter().format(record))
        from django.http import HttpResponse

        return HttpResponse()

    request = rf.get(f"/tickets/{ticket.number}/", HTTP_X_REQUEST_ID="req-42")
    request.user = world.operator
    middleware = RequestContext(lambda r: middleware.process_view(r, view, (), {"number": ticket.number})
                                or view(r, ticket.number))
    middleware(request)
    entry = json.loads(lines[0])
    assert entry["request_id"] == "req-42" and entry["ticket"] == ticket.number
    assert entry["user"] == world.operator.username and entry["message"] == f"答复失败 {ticket.number}"
    assert entry["level"] == "WARNING" and entry["time"].endswith("Z")
