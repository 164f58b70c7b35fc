"""Sending the outbox through the real channel code: an HTTP SMS gateway and a signed webhook (fakes on 127.0.0.1),
e-mail through Django's backend; retries with backoff, dead letters, the quiet hours, 退订, editable templates."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from jiesu.core.stamps import bump
from jiesu.notifications import delivery, services, templates
from jiesu.notifications.models import MessageTemplate, SmsOptOut

from .fakes import FakeGateway

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 27, 12, 0, tzinfo=SHANGHAI)  # a moment outside the quiet hours


@pytest.fixture
def gateway(settings):
    with FakeGateway() as fake:
        settings.JIESU_SMS_BACKEND = "http"
        settings.JIESU_SMS_HTTP_URL = fake.url
        settings.JIESU_SMS_HTTP_AUTH = "Bearer gw-token"
        yield fake


def _sms(to="13800138000", template="receipt", urgent=False, at=NOON, **data):
    d = services.outbox("sms", to, template, {"number": "2026112700001", "query_code": "123456", **data},
                        urgent=urgent, now=at)
    d.save()
    return d


def test_sms_through_the_http_gateway(db, gateway, settings):
    settings.JIESU_SMS_HTTP_BODY = '{"mobile": $phone, "content": $text, "requestId": $key, "sign": "12345"}'
    d = _sms()
    result = delivery.deliver(now=NOON)
    assert result.sent == 1
    (got,) = gateway.delivered
    assert got["body"] == {"mobile": "13800138000", "requestId": d.key, "sign": "12345",
                           "content": "【12345】您的诉求已受理，工单编号2026112700001，查询码123456。我们将依规办理并答复您，"
                                      "可凭编号和查询码查询进度。回复TD退订"}
    assert got["headers"]["Authorization"] == "Bearer gw-token" and got["key"] == d.key
    d.refresh_from_db()
    assert d.status == "sent" and d.attempts == 1 and d.text.startswith("【12345】您的诉求已受理") and d.sent_at


def test_temporary_failures_back_off_then_succeed(db, gateway, settings):
    settings.JIESU_NOTIFY_BACKOFF_SECONDS = 30
    gateway.fail_next = 2
    d = _sms()
    assert delivery.deliver(now=NOON).retried == 1
    d.refresh_from_db()
    assert (d.status, d.attempts, d.next_attempt_at) == ("pending", 1, NOON + timedelta(seconds=30))
    assert "503" in d.last_error
    assert delivery.deliver(now=NOON + timedelta(seconds=29)).retried == 0  # not due yet
    assert delivery.deliver(now=NOON + timedelta(seconds=31)).retried == 1
    d.refresh_from_db()
    assert d.next_attempt_at == NOON + timedelta(seconds=31 + 60)  # doubled
    assert delivery.deliver(now=NOON + timedelta(seconds=200)).sent == 1
    assert len(gateway.delivered) == 1 and len(gateway.requests) == 3


def test_dead_letters_after_the_last_try_or_a_refusal_and_sent_again_from_the_admin(db, gateway, settings):
    settings.JIESU_NOTIFY_MAX_ATTEMPTS = 2
    gateway.fail_next = 5
    tried = _sms()
    delivery.deliver(now=NOON)
    assert delivery.deliver(now=NOON + timedelta(hours=1)).dead == 1
    gateway.fail_next, gateway.refuse = 0, True
    refused = _sms(to="13800138001")
    assert delivery.deliver(now=NOON).dead == 1  # 400: never worth another try
    for d in (tried, refused):
        d.refresh_from_db()
        assert d.status == "dead"
    assert "HTTP 400" in refused.last_error and refused.attempts == 1
    gateway.refuse = False
    assert delivery.requeue([tried.pk, refused.pk], now=NOON + timedelta(hours=2)) == 2
    assert delivery.deliver(now=NOON + timedelta(hours=2)).sent == 2


def test_quiet_hours_hold_sms_except_urgent(db, gateway):
    late = datetime(2026, 11, 27, 23, 30, tzinfo=SHANGHAI)
    held = _sms(template="sla_warning", at=late, category="路灯不亮", clock="签收", due="11月28日 09:00", link="")
    urgent = _sms(to="13800138001", template="sla_warning", urgent=True, at=late, category="路灯不亮", clock="签收",
                  due="11月28日 09:00", link="")
    result = delivery.deliver(now=late)
    assert (result.sent, result.held) == (1, 1)
    held.refresh_from_db()
    assert held.attempts == 0 and held.next_attempt_at == datetime(2026, 11, 28, 7, 0, tzinfo=SHANGHAI)
    assert [g["body"]["phone"] for g in gateway.delivered] == [urgent.to]
    assert delivery.deliver(now=datetime(2026, 11, 28, 6, 59, tzinfo=SHANGHAI)).sent == 0
    assert delivery.deliver(now=datetime(2026, 11, 28, 7, 0, tzinfo=SHANGHAI)).sent == 1


@pytest.mark.parametrize("hour,minute,until", [
    (21, 59, None), (22, 0, (28, 7)), (0, 30, (27, 7)), (6, 59, (27, 7)), (7, 0, None)])
def test_quiet_hours_across_midnight(hour, minute, until):
    moment = datetime(2026, 11, 27 if hour >= 12 else 27, hour, minute, tzinfo=SHANGHAI)
    expected = datetime(2026, 11, until[0], until[1], 0, tzinfo=SHANGHAI) if until else None
    assert delivery.quiet_until(moment) == expected


def test_numbers_that_opted_out_get_nothing(db, gateway):
    SmsOptOut.objects.create(phone="13800138000", note="回复TD")
    d = _sms()
    assert delivery.deliver(now=NOON).skipped == 1
    d.refresh_from_db()
    assert d.status == "skipped" and not gateway.requests


def test_the_webhook_is_signed(db, settings):
    with FakeGateway(secret="bridge-secret") as bridge:
        settings.JIESU_NOTIFY_WEBHOOK_URL, settings.JIESU_NOTIFY_WEBHOOK_SECRET = bridge.url, "bridge-secret"
        d = services.outbox("webhook", "handler_a", "dispatch", {
            "number": "2026112700001", "category": "路灯不亮", "department": "甲委员会", "due": "11月28日 09:00",
            "link": "http://127.0.0.1:8000/tickets/2026112700001/"}, now=NOON)
        d.save()
        assert delivery.deliver(now=NOON).sent == 1
        (got,) = bridge.delivered
        assert got["body"]["to"] == "handler_a" and got["body"]["ticket"] == "2026112700001"
        assert got["body"]["event"] == "dispatch" and "请于11月28日 09:00前签收" in got["body"]["text"]
        # A wrong secret is refused by the bridge (401): a permanent failure, a dead letter.
        settings.JIESU_NOTIFY_WEBHOOK_SECRET = "wrong"
        bad = services.outbox("webhook", "handler_a", "supervise", {"number": "1"}, now=NOON)
        bad.save()
        assert delivery.deliver(now=NOON).dead == 1 and len(bridge.delivered) == 1


def test_email_through_djangos_backend(db):
    d = services.outbox("email", "a@example.gov.cn", "urge", {
        "number": "2026112700001", "category": "路灯不亮", "clock": "答复", "link": ""}, now=NOON)
    d.save()
    assert delivery.deliver(now=NOON).sent == 1
    (message,) = mail.outbox
    assert message.to == ["a@example.gov.cn"] and message.subject == "【12345】催办"
    assert "工单2026112700001（路灯不亮）答复超期未办" in message.body and message.extra_headers["X-Jiesu-Key"] == d.key


def test_admins_edit_the_text(db, gateway):
    MessageTemplate.objects.create(code="receipt", text="【某市12345】已受理：{number}，查询码{query_code}。")
    bump(templates.STAMP)
    _sms()
    delivery.deliver(now=NOON)
    assert gateway.delivered[0]["body"]["text"] == "【某市12345】已受理：2026112700001，查询码123456。"


def test_the_template_renderer_reaches_into_nothing():
    assert templates.render("{number.__class__} {number} {missing}", {"number": "1"}) == "{number.__class__} 1 {missing}"


def test_two_deliverers_never_send_one_message_at_once(db, gateway):
    d = _sms()
    assert delivery._claim(d.pk, NOON) is True
    assert delivery._claim(d.pk, NOON) is False  # held by the first
    assert delivery.deliver(now=NOON).sent == 0
    later = NOON + timedelta(seconds=200)  # the lease ran out (the first died): taken over
    assert delivery.deliver(now=later).sent == 1
    assert json.loads(json.dumps(gateway.delivered[0]["body"]))["phone"] == "13800138000"
