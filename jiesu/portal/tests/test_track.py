"""进度查询: a citizen follows their own request by number and 查询码; nobody else learns anything from the page."""

import re

import pytest
from django.test import Client

from jiesu.core.models import RateCounter
from jiesu.portal import services
from jiesu.tickets.workflow import Action, State

NAME, PHONE = "欧阳娜娜", "13912345678"


def _post(client, number, code, **extra):
    return client.post("/track/", {"number": number, "code": code}, **extra)


def test_the_citizen_sees_their_timeline_and_answer_and_nothing_internal(world):
    ticket = world.ticket_in(State.IN_PROGRESS, caller_name=NAME, caller_phone=PHONE)
    world.act(ticket, Action.SUPERVISE, note="督办：内部意见，群众不可见")
    world.act(ticket, Action.CONTACT)
    ticket = world.act(ticket, Action.REPLY, reply_text="欧阳娜娜女士您好，路灯已修复。")
    page = _post(Client(), ticket.number, ticket.query_code)
    body = page.content.decode()
    assert page.status_code == 200
    for shown in ("已受理", "已派至甲委员会", "甲委员会已接收，正在办理", "承办单位已与您联系", "已答复", "路灯已修复"):
        assert shown in body, shown
    # No internal notes, staff names, phone or full name (the answer's salutation is masked too).
    for hidden in ("督办", "内部意见", world.dispatcher.username, world.handler_a.username, PHONE, NAME):
        assert hidden not in body, hidden


def test_a_wrong_code_and_an_unknown_number_read_the_same(world):
    ticket = world.ticket_in(State.PENDING_SIGN)
    client = Client()
    wrong = _post(client, ticket.number, "000000" if ticket.query_code != "000000" else "111111")
    missing = _post(client, "2099010100001", "123456")
    assert wrong.status_code == missing.status_code == 404
    def strip(response, number):  # the number echoed in the form, and the per-request CSRF token, aside
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode().replace(number, ""))

    assert strip(wrong, ticket.number) == strip(missing, "2099010100001")
    assert services.track(ticket.number, "") is None and services.track("", ticket.query_code) is None
    assert _post(client, "abc", "").status_code == 400


def test_lookups_are_limited_per_number_and_per_address(world, settings):
    ticket = world.ticket_in(State.PENDING_SIGN)
    settings.JIESU_TRACK_LIMITS = (100, 5)
    client = Client()
    for i in range(5):
        assert _post(client, ticket.number, f"{i:06d}").status_code in (200, 404)
    blocked = _post(client, ticket.number, ticket.query_code)  # even the right code, once the number is locked
    assert blocked.status_code == 429 and "查询过于频繁" in blocked.content.decode()
    settings.JIESU_TRACK_LIMITS = (3, 100)
    RateCounter.objects.all().delete()
    for _ in range(3):
        _post(client, "2099010100001", "123456", REMOTE_ADDR="10.0.0.9")
    assert _post(client, ticket.number, ticket.query_code, REMOTE_ADDR="10.0.0.9").status_code == 429
    assert _post(client, ticket.number, ticket.query_code, REMOTE_ADDR="10.0.0.10").status_code == 200


def test_extension_reason_and_merge_reach_the_citizen(world):
    ticket = world.act(world.ticket_in(State.IN_PROGRESS), Action.REQUEST_EXTENSION, reason="需协调产权单位")
    world.act(ticket, Action.APPROVE_EXTENSION)
    body = _post(Client(), ticket.number, ticket.query_code).content.decode()
    assert "办理期限延长" in body and "需协调产权单位" in body
    child = world.act(world.new_ticket(content="东湖路的路灯还是不亮。", caller_phone="13700137000"), Action.MERGE)
    body = _post(Client(), child.number, child.query_code).content.decode()
    assert "与相同诉求合并办理" in body and world.parent_ticket().number not in body


def test_the_page_works_without_login_and_old_links_redirect(world):
    client = Client()
    assert client.get("/track/").status_code == 200
    assert client.get("/status/?number=1").url == "/track/?number=1"
    assert client.put("/track/").status_code == 405


@pytest.mark.parametrize("number,code", [("1" * 500, "x" * 500), ("\x00", "\x00"), ("２０２６", "１２３"), ("' OR 1=1", "")])
def test_odd_input_is_a_4xx(world, number, code):
    assert _post(Client(), number, code).status_code in (400, 404)


def test_lookup_by_phone_with_an_sms_code_lists_only_that_phones_requests(world):
    from jiesu.portal.tests.test_submit import _codes_sent

    mine = world.act(world.ticket_in(State.IN_PROGRESS, caller_phone=PHONE), Action.REPLY,
                     reply_text="路灯已修复。")
    other = world.ticket_in(State.PENDING_SIGN, caller_phone="13700137000", content="别人的诉求：井盖缺失。")
    client = Client()
    assert client.get("/track/mine/").url == "/track/phone/"  # not verified yet
    client.get("/track/phone/")
    sent = client.post("/track/phone/", {"caller_phone": PHONE, "check": client.session["portal_check"],
                                         "send_code": "1"})
    assert sent.status_code == 200 and "验证码已发送至 139****5678" in sent.content.decode()
    assert client.post("/track/phone/", {"caller_phone": PHONE, "sms_code": "12"}).status_code == 400
    r = client.post("/track/phone/", {"caller_phone": PHONE, "sms_code": _codes_sent(PHONE)[-1]})
    assert r.url == "/track/mine/"
    page = client.get("/track/mine/").content.decode()
    assert mine.number in page and "路灯已修复" in page and other.number not in page and "井盖" not in page
    # Another browser, or the same phone's code guessed: nothing.
    assert Client().get("/track/mine/").url == "/track/phone/"
