"""In a real headless Chromium: the operator sees the earlier request while typing a repeat call, the
dispatcher merges it from the dispatch queue, and the hotspot page shows the matter."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from jiesu.tickets.tests.test_e2e import _login, browser  # noqa: E402,F401 - fixture


def test_repeat_call_is_seen_at_intake_and_merged_at_dispatch(transactional_db, live_server, browser):  # noqa: F811
    from jiesu.hotspots.tests.test_duplicates import BASE, NEAR
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.tests.world import World
    from jiesu.tickets.workflow import State

    world = World.build()
    first = world.new_ticket(content=BASE, category="", caller_phone="13811112222")
    world.new_ticket(content=NEAR[1], category="", caller_phone="13833334444")

    # 话务员: the earlier request appears beside the form while the call is typed.
    page = _login(browser, live_server, "operator")
    page.goto(f"{live_server.url}/intake/")
    page.fill("#f-caller_phone", "13811112222")
    page.fill("#f-content", NEAR[0])
    page.wait_for_selector("#similar-requests .dup-flag", timeout=10_000)
    panel = page.inner_text("#similar-requests")
    assert first.number in panel and "疑似重复" in panel and "同一来电人" in panel
    page.click("#intake-form button[type=submit]")
    page.wait_for_selector("#repeat-flag")  # 重复来电 on the new ticket
    number = page.inner_text("h1 .num")
    assert Ticket.objects.get(number=number).repeat_of_id == first.pk

    # 派单员: the queue shows the candidates; one click merges into the earlier ticket.
    page = _login(browser, live_server, "dispatcher")
    page.goto(f"{live_server.url}/dispatch/")
    row = page.locator("tr", has_text=number)
    assert "疑似重复" in row.inner_text()
    row.locator(".dup-flag", has_text=first.number).get_by_role("button", name="并入此单").click()
    page.wait_for_url("**/dispatch/")
    assert f"已并单：{number}" in page.content()
    assert number not in page.inner_text("table")  # no longer waiting for dispatch
    child = Ticket.objects.get(number=number)
    assert child.state == State.MERGED and child.merged_into_id == first.pk

    page.goto(f"{live_server.url}/tickets/{first.number}/")
    assert number in page.inner_text("#merge")

    # The hotspot page, after a detection.
    page.goto(f"{live_server.url}/hotspots/")
    page.click("text=重新检测")
    page.wait_for_selector("#trailing tr[data-topic]")
    assert "枫林苑" in page.inner_text("#trailing")
