"""110 ↔ 12345 联动 end to end: a simulated 110 (tests/fake110.py) on 127.0.0.1 talks to a live jiesu over HTTP
both ways, and the 派单员 works in Chromium — 110 sends a 非警务 call (twice), the 派单员 signs it on the 110联动
page and dispatches it, the unit answers, and 110 receives 签收, 派单 and the 回传 of the answer; then the 派单员
hands a 警情 to 110 from the ticket page, 110 signs it with its 接警编号 and reports its 处警结果, which the ticket
page shows."""

import pytest

from jiesu.tickets.tests.test_e2e import _login, browser  # noqa: F401 - the shared Chromium fixture

from .fake110 import Fake110

SECRET = "e2e-110-secret"


@pytest.fixture
def peer(settings):
    settings.JIESU_POLICE110_SECRET = SECRET
    with Fake110(secret=SECRET) as fake:
        settings.JIESU_POLICE110_URL = fake.url
        yield fake


def test_110_and_12345_hand_each_other_tickets(transactional_db, live_server, browser, peer):  # noqa: F811
    from jiesu.channels.models import PoliceTransfer
    from jiesu.core.tokens import create_token
    from jiesu.notifications import delivery
    from jiesu.tickets import services as tickets
    from jiesu.tickets.tests.world import World
    from jiesu.tickets.workflow import Action

    world = World.build()
    _, token = create_token(user=world.police110(), name="110联动")

    # 110 → 12345: a 非警务 call, sent twice (a retry after a timeout): one ticket.
    status, first = peer.transfer(live_server.url, token, event_number="110E2E0001")
    assert status == 201, first
    status, again = peer.transfer(live_server.url, token, event_number="110E2E0001")
    assert status == 200 and again["duplicate"] and again["ticket"] == first["ticket"]
    number = first["ticket"]

    desk = _login(browser, live_server, "dispatcher")
    desk.click("a:has-text('110联动')")
    row = desk.locator(f"#police-list tr[data-ticket='{number}']")
    assert "待签收" in row.inner_text()
    row.locator("button:has-text('签收')").click()
    assert "已签收110转办" in desk.inner_text(".messages")
    assert "待签收" not in desk.locator(f"#police-list tr[data-ticket='{number}']").inner_text()
    desk.click(f"a:has-text('{number}')")
    assert "110警情编号" in desk.inner_text("#police-link")
    desk.select_option("#a-dispatch-dept", "A")
    desk.click("button:has-text('派单')")
    assert "待签收" in desk.inner_text("#ticket-state")

    tickets.perform(number, Action.SIGN, actor=world.handler_a)
    tickets.perform(number, Action.REPLY, actor=world.handler_a, reply_text="已协调物业夜间停止施工。", result="resolved")
    delivery.deliver()
    assert [m["type"] for m in peer.received] == ["ack", "status", "status"]
    assert peer.received[2]["text"] == "已协调物业夜间停止施工。" and peer.bad_signatures == 0

    # 12345 → 110: a 警情 registered at the hotline, handed over from the ticket page.
    ticket = world.new_ticket(content="小区门口有人持棍棒打架，已经有人流血", caller_phone="13922223333")
    desk.goto(f"{live_server.url}/tickets/{ticket.number}/")
    desk.on("dialog", lambda d: d.accept())
    desk.fill("#a-110-reason", "正在发生的斗殴，有人受伤，属于警情")
    desk.click("#transfer-110 button")
    assert "已转110" in desk.inner_text("#ticket-state")
    assert "等待110签收" in desk.inner_text("#police-link")
    delivery.deliver()
    [handed] = peer.of_type("transfer")
    assert handed["caller_phone"] == "13922223333" and handed["reason"] == "正在发生的斗殴，有人受伤，属于警情"
    assert PoliceTransfer.objects.get(ticket=ticket).event_number == "JJ000001"

    status, _ = peer.message(live_server.url, token, ticket.number, "ack", receipt="JJ000001")
    assert status == 200
    status, _ = peer.message(live_server.url, token, ticket.number, "result", text="民警已到场制止，两人带回派出所")
    assert status == 200
    desk.reload()
    assert "民警已到场制止，两人带回派出所" in desk.inner_text("#police-link")
    assert "110反馈" in desk.inner_text("body")

    desk.click("a:has-text('110联动')")
    figures = desk.inner_text("#police-figures")
    assert "110转12345" in figures and "12345转110" in figures and "100.0%" in figures
