"""In a real headless Chromium: a dispatcher dispatches; the handler's bell rises without reloading; the handler
opens the notification and signs; later the sweep makes the ticket 临期: it shows in 我的待办 and the handler gets
an SMS through the fake gateway (the real HTTP gateway client)."""

import os
from datetime import timedelta

import time_machine
from playwright.sync_api import expect

from jiesu.tickets.tests.test_e2e import _login, browser  # noqa: F401 (the fixture)

from .fakes import FakeGateway

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_dispatch_bell_sign_warning_sms(transactional_db, live_server, browser, settings):  # noqa: F811
    from jiesu.directory.models import Staff
    from jiesu.notifications import delivery
    from jiesu.sla import services as sla
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.tests.world import World

    settings.JIESU_BELL_POLL_SECONDS = 1
    settings.JIESU_QUIET_HOURS = ""  # the wall clock may be in them; they have their own tests
    world = World.build()
    Staff.objects.filter(user=world.handler_a).update(phone="13911112222")
    number = world.new_ticket().number

    handler = _login(browser, live_server, "handler_a")
    handler.goto(f"{live_server.url}/todo/")
    expect(handler.locator("#bell-count")).to_have_attribute("data-unread", "0", timeout=10_000)
    assert handler.inner_text("#bell-count") == ""

    dispatcher = _login(browser, live_server, "dispatcher")
    dispatcher.goto(f"{live_server.url}/dispatch/")
    dispatcher.locator("tr", has_text=number).locator("button", has_text="派单").click()
    assert f"已派单：{number}" in dispatcher.inner_text(".messages")
    dispatcher.close()

    # The handler's page was never reloaded: the bell and 我的待办 count rise by themselves.
    expect(handler.locator("#bell-count")).to_have_text("1", timeout=10_000)
    expect(handler.locator("#todo-badge")).to_have_text("1", timeout=10_000)
    handler.screenshot(path=os.path.join(os.environ.get("JIESU_SHOTS", "/tmp"), "e2e-bell.png"))
    handler.click("a.bell")
    handler.click(f"text=新派单：工单{number}")
    assert handler.url.endswith(f"/tickets/{number}/")
    handler.click("button:has-text('签收')")
    assert handler.inner_text("#ticket-state") == "办理中"
    handler.goto(f"{live_server.url}/notifications/")
    assert "未读" not in handler.inner_text(".notice-list")

    # Later (the clock moved on, for the server too): the sweep finds the response deadline near (临期).
    ticket = Ticket.objects.get(number=number)
    later = time_machine.travel(ticket.contact_warn_at + timedelta(minutes=1), tick=True)
    later.start()
    try:
        sla.sweep()
        handler.goto(f"{live_server.url}/todo/")
        assert handler.inner_text("[data-todo='contact.warning']") == "1"
        expect(handler.locator("#bell-count")).to_have_text("1", timeout=10_000)  # the 临期提醒, unread
        handler.screenshot(path=os.path.join(os.environ.get("JIESU_SHOTS", "/tmp"), "e2e-todo-warning.png"))
        handler.click("[data-todo='contact.warning']")
        assert number in handler.inner_text("table")
        handler.close()
        with FakeGateway() as gateway:
            settings.JIESU_SMS_BACKEND, settings.JIESU_SMS_HTTP_URL = "http", gateway.url
            delivery.deliver()
    finally:
        later.stop()
    texts = [d["body"]["text"] for d in gateway.delivered if d["body"]["phone"] == "13911112222"]
    assert len(texts) == 1 and texts[0].startswith(f"【12345】临期提醒：工单{number}（路灯不亮）响应时限将于")
    # The caller had the 受理回执 with the 查询码.
    receipt = [d["body"]["text"] for d in gateway.delivered if d["body"]["phone"] == "13800138000"]
    assert receipt == [f"【12345】您的诉求已受理，工单编号{number}，查询码{ticket.query_code}。我们将依规办理并答复您，"
                       "可凭编号和查询码查询进度。回复TD退订"]
