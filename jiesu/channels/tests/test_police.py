"""110 ↔ 12345 联动: 110's 非警务 transfers in (one ticket per 警情编号, the urgent limit, signed requests only),
the centre's 签收 and every step told back to 110 through the outbox (to a simulated 110 on 127.0.0.1: retries, a
peer that is down), 转110 of a 警情 and 110's answers (签收, 处警结果, 退回), who sees what, and the figures."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from jiesu.channels import police
from jiesu.channels.models import PoliceMessage, PoliceTransfer
from jiesu.core import clock
from jiesu.core.errors import Conflict, PermissionDenied
from jiesu.core.tokens import create_token
from jiesu.directory.tests.factories import make_staff
from jiesu.kpi.definitions import counts_of
from jiesu.notifications import delivery
from jiesu.notifications.models import Channel, Delivery
from jiesu.tickets import services as tickets
from jiesu.tickets import worklists
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.tickets.workflow import Action, State

from .fake110 import Fake110, sign

SECRET = "s3cret-110"
REPORTED = (clock.now() - timedelta(minutes=20)).replace(microsecond=0).isoformat()  # one value: one body


@pytest.fixture
def peer(settings):
    settings.JIESU_POLICE110_SECRET = SECRET
    settings.JIESU_NOTIFY_BACKOFF_SECONDS = 30
    with Fake110(secret=SECRET) as fake:
        settings.JIESU_POLICE110_URL = fake.url
        yield fake


@pytest.fixture
def account(world):
    return world.police110()


@pytest.fixture
def token(account):
    return create_token(user=account, name="110联动")[1]


def _post(token, path, payload, *, key=None, secret=SECRET, stamp=None, raw=None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    stamp = stamp or str(int(time.time()))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_X_JIESU_TIMESTAMP": stamp,
               "HTTP_X_JIESU_SIGNATURE": sign(secret, stamp, body)}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return Client().post(f"/api/v1/police110/{path}", body, content_type="application/json", **headers)


def _transfer(token, **fields):
    payload = {"event_number": "110202611280001", "content": "楼上装修噪音持续到深夜，多次沟通无果",
               "caller_phone": "13800001111", "caller_name": "赵先生", "address": "幸福路8号3单元",
               "category": "噪音扰民", "urgency": "urgent",
               "reported_at": REPORTED, **fields}
    key = payload.pop("key", None)
    return _post(token, "transfers", payload, key=key)


def _deliver(at=None):
    """Send what is due (the caller's SMS 受理回执 too); the figures returned are the messages to 110."""
    before = {s: Delivery.objects.filter(channel=Channel.PEER, status=s).count() for s in ("sent", "dead")}
    result = delivery.deliver(now=at or clock.now())
    sent, dead = (Delivery.objects.filter(channel=Channel.PEER, status=s).count() - before[s] for s in ("sent", "dead"))
    pending = Delivery.objects.filter(channel=Channel.PEER, status="pending", attempts__gt=0).count()
    return type(result)(sent=sent, dead=dead, retried=pending)


def test_a_transfer_from_110_is_one_ticket_on_the_urgent_limit(world, peer, token):
    answer = _transfer(token, key="k-1")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    ticket = Ticket.objects.get(number=body["ticket"])
    link = ticket.police
    assert (ticket.channel, ticket.urgency, ticket.state, ticket.caller_phone) == ("110", "urgent", "pending_dispatch",
                                                                                  "13800001111")
    assert ticket.content.startswith("【110转办】（噪音扰民）楼上装修") and ticket.kind == "help"
    assert (link.direction, link.event_number, link.acked_at) == ("in", "110202611280001", None)
    assert link.ack_due_at - link.transferred_at == timedelta(minutes=5)
    # 回传 due by the channel's urgent rule (答复 within 24 hours), counted from the transfer.
    assert link.result_due_at - link.transferred_at == timedelta(hours=24)
    assert ticket.department_id is None  # never 智能派单: the centre signs it first
    dispatched = tickets.perform(ticket.number, Action.DISPATCH, actor=world.dispatcher, department="A")
    assert dispatched.sla_rule.name == "110转办"
    assert dispatched.sign_due_at - dispatched.dispatched_at == timedelta(minutes=30)
    # The same key: the first answer again; the same 警情编号 with another key: the same ticket, said so.
    again = _transfer(token, key="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true" and again.json() == body
    other = _transfer(token, key="k-2")
    assert other.status_code == 200 and other.json()["duplicate"] is True and other.json()["ticket"] == ticket.number
    assert _transfer(token).json()["ticket"] == ticket.number
    assert Ticket.objects.count() == 1 and PoliceTransfer.objects.count() == 1


def test_only_110s_account_with_a_good_signature_is_heard(world, peer, token, settings):
    payload = {"event_number": "E1", "content": "x", "caller_phone": "13800001111"}
    assert _post(token, "transfers", payload, secret="wrong").json()["code"] == "bad_signature"
    stale = str(int(time.time()) - 3600)
    refused = _post(token, "transfers", payload, stamp=stale)
    assert refused.status_code == 401 and refused.json()["code"] == "bad_signature"
    body = json.dumps(payload).encode()
    unsigned = Client().post("/api/v1/police110/transfers", body, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {token}")
    assert unsigned.status_code == 401
    other = create_token(user=world.dispatcher, name="x")[1]  # a person's token, even signed: not 110
    assert _post(other, "transfers", payload).status_code == 403
    assert _post("nonsense", "transfers", payload).status_code == 401
    settings.JIESU_POLICE110_SECRET = ""
    off = _post(token, "transfers", payload)
    assert off.status_code == 403 and off.json()["code"] == "police110_not_configured"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("fields, name", [
    ({"content": ""}, "content"), ({"event_number": ""}, "event_number"), ({"urgency": "asap"}, "urgency"),
    ({"caller_phone": "12"}, "caller_phone"), ({"reported_at": "2026-11-28T10:00:00"}, "reported_at"),
    ({"kind": "表扬"}, "kind"), ({"event_number": "x" * 41}, "event_number"),
    ({"reported_at": "0001-01-01T00:00:00+14:00"}, "reported_at"),
    ({"reported_at": "2001-01-01T00:00:00+08:00"}, "reported_at"),
])
def test_a_bad_transfer_is_refused_by_field(world, peer, token, fields, name):
    answer = _transfer(token, **fields)
    assert answer.status_code == 400 and name in answer.json()["fields"], answer.content
    assert not Ticket.objects.exists()


def test_the_centre_signs_and_110_hears_every_step(world, peer, token):
    number = _transfer(token).json()["ticket"]
    assert worklists.counts(world.dispatcher)["police_accept"] == 1
    tickets.perform(number, Action.ACCEPT_110, actor=world.dispatcher)
    with pytest.raises(Conflict):
        tickets.perform(number, Action.ACCEPT_110, actor=world.dispatcher)  # once
    assert worklists.counts(world.dispatcher)["police_accept"] == 0
    tickets.perform(number, Action.DISPATCH, actor=world.dispatcher, department="A")
    tickets.perform(number, Action.SIGN, actor=world.handler_a)
    tickets.perform(number, Action.CONTACT, actor=world.handler_a, method="phone")
    tickets.perform(number, Action.REPLY, actor=world.handler_a, reply_text="已联系物业，装修限定在8:00-18:00。",
                    result="resolved")
    tickets.perform(number, Action.CALLBACK, actor=world.operator, status="reached", satisfaction="satisfied",
                    resolved=True)
    assert _deliver().sent == 4
    got = peer.received
    assert [(m["type"], m.get("status")) for m in got] == [
        ("ack", None), ("status", "dispatched"), ("status", "replied"), ("status", "closed")]
    assert [m["seq"] for m in got] == [1, 2, 3, 4]
    assert {m["event_number"] for m in got} == {"110202611280001"} and peer.bad_signatures == 0
    assert got[0]["on_time"] is True and got[1]["unit"] == "甲委员会"
    assert got[2]["text"] == "已联系物业，装修限定在8:00-18:00。"
    link = PoliceTransfer.objects.get()
    assert link.acked_by == world.dispatcher and link.result_at is not None and link.result_due_at is not None
    [inbound, _] = police.statistics(PoliceTransfer.objects.all())
    assert (inbound.transfers, inbound.ack_rate, inbound.result_rate) == (1, 1.0, 1.0)


def test_dispatching_an_unsigned_transfer_signs_it(world, peer, token):
    number = _transfer(token).json()["ticket"]
    tickets.perform(number, Action.DISPATCH, actor=world.dispatcher, department="A")
    _deliver()
    assert [m["type"] for m in peer.received] == ["ack", "status"]
    assert PoliceTransfer.objects.get().acked_at is not None


def test_a_transfer_that_is_a_police_matter_goes_back_to_110(world, peer, token):
    number = _transfer(token).json()["ticket"]
    ticket = tickets.perform(number, Action.TRANSFER_110, actor=world.dispatcher, reason="现场有人持械斗殴，属于警情")
    assert ticket.state == State.TRANSFERRED and counts_of(ticket) == {}
    _deliver()
    assert [(m["type"], m.get("reason")) for m in peer.received] == [("return", "现场有人持械斗殴，属于警情")]
    link = PoliceTransfer.objects.get()
    assert link.returned_at is not None and link.acked_at is not None and link.direction == "in"
    [inbound, _] = police.statistics(PoliceTransfer.objects.all(), now=clock.now() + timedelta(days=5))
    assert (inbound.returned, inbound.ack_counted, inbound.result_counted) == (1, 1, 0)  # no result owed


def test_a_police_matter_is_handed_to_110_and_110_answers(world, peer, token):
    ticket = world.new_ticket(content="小区门口有人打架，已经有人受伤", caller_phone="13911112222")
    ticket = tickets.perform(ticket.number, Action.TRANSFER_110, actor=world.dispatcher, reason="正在发生的斗殴")
    assert ticket.state == State.TRANSFERRED
    with pytest.raises(Conflict):  # no 派单 of a ticket 110 holds
        tickets.perform(ticket.number, Action.DISPATCH, actor=world.dispatcher, department="A")
    assert _deliver().sent == 1
    [sent] = peer.received
    assert (sent["type"], sent["caller_phone"], sent["reason"]) == ("transfer", "13911112222", "正在发生的斗殴")
    link = PoliceTransfer.objects.get()
    assert (link.direction, link.event_number) == ("out", "JJ000001")  # 110's receipt, kept
    # 110's system: 签收 (the same message twice is taken once), then its 处警结果.
    ack = {"id": "m-1", "type": "ack", "ticket": ticket.number, "receipt": "JJ000001"}
    first, again = _post(token, "messages", ack), _post(token, "messages", ack)
    assert first.status_code == 200 and first.json()["duplicate"] is False and again.json()["duplicate"] is True
    result = _post(token, "messages", {"id": "m-2", "type": "result", "ticket": ticket.number,
                                       "text": "民警到场制止，双方带回派出所处理"})
    assert result.json()["state"] == "transferred"
    link.refresh_from_db()
    assert link.acked_at is not None and link.result_text == "民警到场制止，双方带回派出所处理"
    assert TicketEvent.objects.filter(ticket=ticket, action=Action.POLICE_FEEDBACK).count() == 2
    assert PoliceMessage.objects.count() == 2
    [_, outbound] = police.statistics(PoliceTransfer.objects.all())
    assert (outbound.transfers, outbound.acked, outbound.results) == (1, 1, 1)
    assert _post(token, "messages", {"id": "m-3", "type": "result", "ticket": ticket.number}).status_code == 400


def test_110_sends_a_non_police_matter_back_to_the_dispatch_desk(world, peer, token):
    ticket = world.new_ticket(content="邻居家狗叫扰民")
    tickets.perform(ticket.number, Action.TRANSFER_110, actor=world.dispatcher, reason="疑似纠纷")
    back = _post(token, "messages", {"id": "r-1", "type": "return", "ticket": ticket.number,
                                     "text": "不属于警情，请12345协调处理"})
    assert back.json()["state"] == "pending_dispatch"
    link = PoliceTransfer.objects.get()
    assert link.returned_at is not None and link.return_reason == "不属于警情，请12345协调处理"
    ticket = tickets.perform(ticket.number, Action.DISPATCH, actor=world.dispatcher, department="A")
    assert ticket.state == State.PENDING_SIGN


def test_messages_for_tickets_110_does_not_hold_are_refused(world, peer, token):
    ticket = world.new_ticket()
    answer = _post(token, "messages", {"id": "x-1", "type": "ack", "ticket": ticket.number})
    assert answer.status_code == 404 and answer.json()["code"] == "transfer_not_found"
    assert _post(token, "messages", {"id": "x-2", "type": "done", "ticket": ticket.number}).status_code == 400
    with pytest.raises(Conflict):  # 签收110转办 is for 110's transfers only
        tickets.perform(ticket.number, Action.ACCEPT_110, actor=world.dispatcher)


def test_a_busy_or_down_peer_is_tried_again_and_a_message_is_taken_once(world, peer, token, settings):
    settings.JIESU_NOTIFY_MAX_ATTEMPTS = 3
    number = _transfer(token).json()["ticket"]
    tickets.perform(number, Action.ACCEPT_110, actor=world.dispatcher)
    peer.fail_next = 1
    now = clock.now()
    assert _deliver(now).retried == 1 and peer.received == []
    assert _deliver(now + timedelta(seconds=31)).sent == 1
    assert len(peer.of_type("ack")) == 1
    # The same message sent again (a deliverer that died before marking it): 110 takes it once.
    ack = Delivery.objects.get(channel=Channel.PEER, template="police_ack")
    Delivery.objects.filter(pk=ack.pk).update(status=Delivery.Status.PENDING, next_attempt_at=now)
    _deliver(now + timedelta(seconds=32))
    assert len(peer.of_type("ack")) == 1 and len(peer.requests) == 3
    # 110 down: tried again with backoff, then a dead letter the admin can send again.
    peer.down()
    tickets.perform(number, Action.DISPATCH, actor=world.dispatcher, department="A")
    later = now + timedelta(minutes=1)
    assert _deliver(later).retried == 1
    assert _deliver(later + timedelta(minutes=1)).retried == 1
    assert _deliver(later + timedelta(minutes=5)).dead == 1
    dead = Delivery.objects.get(channel=Channel.PEER, status=Delivery.Status.DEAD)
    assert dead.to == "110" and "Connection refused" in dead.last_error


def test_without_an_address_messages_wait_as_dead_letters(world, peer, token, settings):
    number = _transfer(token).json()["ticket"]
    settings.JIESU_POLICE110_URL = ""
    tickets.perform(number, Action.ACCEPT_110, actor=world.dispatcher)
    assert _deliver().dead == 1
    assert "JIESU_POLICE110_URL" in Delivery.objects.get(channel=Channel.PEER).last_error


def test_on_time_figures(world, peer, token):
    start = clock.now()
    late = _transfer(token, event_number="E-late").json()["ticket"]
    fast = _transfer(token, event_number="E-fast").json()["ticket"]
    _transfer(token, event_number="E-waiting")
    tickets.perform(fast, Action.ACCEPT_110, actor=world.dispatcher)
    with clock.frozen(start + timedelta(minutes=9)):
        tickets.perform(late, Action.ACCEPT_110, actor=world.dispatcher)
    [inbound, outbound] = police.statistics(PoliceTransfer.objects.all(), now=start + timedelta(minutes=2))
    assert (inbound.transfers, inbound.ack_counted, inbound.ack_on_time) == (3, 2, 1)
    [inbound, _] = police.statistics(PoliceTransfer.objects.all(), now=start + timedelta(minutes=20))
    assert (inbound.ack_counted, inbound.ack_on_time, inbound.acked) == (3, 1, 2)  # the waiting one is late now
    # 回传: nothing owed before the 答复 deadline; late after it.
    assert inbound.result_counted == 0
    [inbound, _] = police.statistics(PoliceTransfer.objects.all(), now=start + timedelta(days=3))
    assert (inbound.result_counted, inbound.result_on_time, inbound.result_rate) == (3, 0, 0.0)
    assert outbound.transfers == 0 and outbound.ack_rate is None


def test_who_sees_what(world, peer, token, account):
    inbound = _transfer(token).json()["ticket"]
    outbound = world.new_ticket(content="有人在路边砸车")
    tickets.perform(outbound.number, Action.TRANSFER_110, actor=world.dispatcher, reason="正在发生的违法行为")
    other = world.new_ticket(content="路灯不亮")
    seen = set(Ticket.objects.visible_to(account).values_list("number", flat=True))
    assert seen == {inbound, outbound.number} and other.number not in seen
    leader = make_staff("leader", world.hotline, username="leader")
    for user, status in ((world.dispatcher, 200), (leader, 200), (world.supervisor, 200), (world.handler_a, 403),
                         (world.operator, 403), (account, 403)):
        client = Client()
        client.force_login(user)
        assert client.get("/police110/").status_code == status, user.username
    with pytest.raises(PermissionDenied):  # an operator cannot hand a ticket to 110 (the centre's 派单员 does)
        tickets.perform(other.number, Action.TRANSFER_110, actor=world.operator, reason="x")


def test_the_page_lists_both_ways_and_signs(world, peer, token):
    number = _transfer(token).json()["ticket"]
    out = world.new_ticket(content="有人在路边砸车")
    tickets.perform(out.number, Action.TRANSFER_110, actor=world.dispatcher, reason="正在发生的违法行为")
    client = Client()
    client.force_login(world.dispatcher)
    page = client.get("/police110/").content.decode()
    assert number in page and out.number in page and "待签收，剩" in page and "110转12345" in page
    detail = client.get(f"/tickets/{number}/").content.decode()
    assert 'id="police-link"' in detail and 'id="accept-110"' in detail and "退回110" in detail
    answer = client.post(f"/tickets/{number}/act/accept_110/", {"next": "police110_list"})
    assert answer.status_code == 302 and answer["Location"].endswith("/police110/")
    assert PoliceTransfer.objects.get(ticket__number=number).acked_at is not None
    detail = client.get(f"/tickets/{number}/").content.decode()
    assert 'id="accept-110"' not in detail and "已于" in detail
    assert 'id="accept-110"' not in client.get(f"/tickets/{out.number}/").content.decode()
    bad = client.get("/police110/?from=2026-13-45&to=x&direction=zz")
    assert bad.status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_transfer_twice_at_once_makes_one_ticket(settings):
    """110 retries while its first request is still being written: the unique 警情编号 lets one in."""
    from jiesu.tickets.tests.world import World

    settings.JIESU_POLICE110_SECRET = SECRET
    world = World.build()
    token = create_token(user=world.police110(), name="110联动")[1]
    for n in range(5):
        barrier = threading.Barrier(2)

        def send(_, n=n, barrier=barrier):
            try:
                barrier.wait()
                return _transfer(token, event_number=f"RACE{n}")
            finally:
                connections.close_all()

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, range(2)))
        assert sorted(a.status_code for a in answers) == [200, 201], [a.content for a in answers]
        assert answers[0].json()["ticket"] == answers[1].json()["ticket"]
    assert Ticket.objects.count() == 5 and PoliceTransfer.objects.count() == 5


@pytest.mark.parametrize("path, raw", [
    ("transfers", b"[1, 2]"), ("transfers", b"{not json"), ("transfers", b'{"event_number": null}'),
    ("transfers", b'{"event_number": 12, "content": 3, "caller_phone": 13800001111}'),
    ("transfers", b'{"event_number": "E\\u0000", "content": "x", "caller_phone": "13800001111"}'),
    ("transfers", json.dumps({"event_number": "E9", "content": "长" * 5000, "caller_phone": "13800001111"}).encode()),
    ("transfers", json.dumps({"event_number": "E9", "content": "x", "caller_phone": "13800001111",
                              "reported_at": "yesterday"}).encode()),
    ("messages", b"{}"), ("messages", b'{"id": "", "type": "ack", "ticket": ""}'),
    ("messages", json.dumps({"id": "m" * 101, "type": "ack", "ticket": "1"}).encode()),
    ("transfers", b"[" * 5000 + b"]" * 5000), ("messages", b'{"a":' * 3000 + b"1" + b"}" * 3000),
])
def test_odd_bodies_are_refused_with_a_4xx(world, peer, token, path, raw):
    answer = _post(token, path, None, raw=raw)
    assert 400 <= answer.status_code < 500 and answer.json()["code"], answer.content
    assert not Ticket.objects.exists()


def test_an_attachment_or_a_supervision_does_not_sign_a_transfer(world, peer, token):
    from django.core.files.uploadedfile import SimpleUploadedFile

    number = _transfer(token).json()["ticket"]
    tickets.perform(number, Action.SUPERVISE, actor=world.supervisor, note="请尽快签收")
    tickets.perform(number, Action.ATTACH, actor=world.dispatcher, file=SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff x"))
    assert PoliceTransfer.objects.get().acked_at is None
    assert worklists.counts(world.dispatcher)["police_accept"] == 1


def test_a_警情_sent_again_after_110_sent_it_back_gets_a_new_receipt(world, peer, token):
    ticket = world.new_ticket(content="有人在楼道里点火")
    tickets.perform(ticket.number, Action.TRANSFER_110, actor=world.dispatcher, reason="纵火嫌疑")
    _deliver()
    _post(token, "messages", {"id": "r-9", "type": "return", "ticket": ticket.number, "text": "已灭，非警情"})
    tickets.perform(ticket.number, Action.TRANSFER_110, actor=world.dispatcher, reason="再次起火，有人受伤")
    _deliver()
    link = PoliceTransfer.objects.get()
    assert link.event_number == "JJ000002" and link.returned_at is None and link.acked_at is None
    assert [m["reason"] for m in peer.of_type("transfer")] == ["纵火嫌疑", "再次起火，有人受伤"]


def test_a_signature_of_any_characters_is_refused_not_a_fault(world, peer, token):
    body = json.dumps({"event_number": "E1", "content": "x", "caller_phone": "13800001111"}).encode()
    for given in ("sha256=签名", "sha256=\u00e9\u00e9", ""):
        answer = Client().post("/api/v1/police110/transfers", body, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_JIESU_TIMESTAMP=str(int(time.time())),
                               HTTP_X_JIESU_SIGNATURE=given)
        assert answer.status_code == 401 and answer.json()["code"] == "bad_signature"
    assert Client().get("/api/v1/police110/transfers").json()["code"] == "method_not_allowed"


def test_110s_token_opens_only_the_signed_interface(world, peer, token):
    world.new_ticket()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    listed = Client().get("/api/v1/tickets", **headers)
    assert listed.status_code == 403 and listed.json()["code"] == "peer_only"
    filed = Client().post("/api/v1/tickets", json.dumps({"channel": "phone", "content": "x", "caller_phone":
                                                         "13800001111"}), content_type="application/json", **headers)
    assert filed.status_code == 403 and Ticket.objects.count() == 1
    # and no one else files on channel 110转办 (nor is it offered at the 来电登记)
    operator = create_token(user=world.operator, name="op")[1]
    other = Client().post("/api/v1/tickets", json.dumps({"channel": "110", "content": "x", "caller_phone":
                                                        "13800001111"}), content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {operator}")
    assert other.status_code == 400 and "channel" in other.json()["fields"]
    client = Client()
    client.force_login(world.operator)
    page = client.get(reverse("intake")).content.decode()
    assert 'value="110"' not in page and 'value="phone"' in page


def test_keys_and_message_ids_name_one_request(world, peer, token):
    first = _transfer(token).json()["ticket"]
    # a key first used on a 警情编号 sent before is kept with it: another body under that key is refused
    assert _transfer(token, key="late-key").json()["duplicate"] is True
    reused = _transfer(token, key="late-key", event_number="110202611280002")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1
    ticket = world.new_ticket(content="有人持刀威胁")
    tickets.perform(ticket.number, Action.TRANSFER_110, actor=world.dispatcher, reason="持刀")
    ack = {"id": "m-1", "type": "ack", "ticket": ticket.number, "receipt": "JJ1"}
    assert _post(token, "messages", ack).json()["duplicate"] is False
    assert _post(token, "messages", ack).json()["duplicate"] is True
    other = _post(token, "messages", {"id": "m-1", "type": "result", "ticket": ticket.number, "text": "已处置"})
    assert other.status_code == 422 and other.json()["code"] == "message_id_reused"
    assert PoliceMessage.objects.count() == 1 and first


def test_110_may_send_back_a_transfer_the_centre_sent_back(world, peer, token):
    number = _transfer(token).json()["ticket"]
    tickets.perform(number, Action.TRANSFER_110, actor=world.dispatcher, reason="有人打架，属警情")
    assert Ticket.objects.get(number=number).state == State.TRANSFERRED
    answer = _post(token, "messages", {"id": "b-1", "type": "return", "ticket": number, "text": "已到场，系邻里纠纷"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == State.PENDING_DISPATCH
    link = PoliceTransfer.objects.get()
    assert (link.direction, link.returned_at, link.acked_at is not None) == ("in", None, True)
    # the centre's again: dispatched as any 转入
    assert tickets.perform(number, Action.DISPATCH, actor=world.dispatcher, department="A").state == State.PENDING_SIGN
