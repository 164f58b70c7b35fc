"""进度查询 in a real headless Chromium, as a citizen on a phone (390×844) and on a desktop: without JavaScript too."""

import pytest

from jiesu.tickets.tests.test_e2e import browser  # noqa: F401 - the shared Chromium fixture
from jiesu.tickets.workflow import Action, State


@pytest.mark.parametrize(("width", "height", "javascript"), [(390, 844, True), (1366, 768, False)])
def test_a_citizen_looks_up_their_request(transactional_db, live_server, browser, width, height, javascript):  # noqa: F811
    from jiesu.tickets.tests.world import World

    world = World.build()
    ticket = world.act(world.ticket_in(State.IN_PROGRESS, caller_name="王小明"), Action.REPLY,
                       reply_text="王小明先生您好，路灯已于今日修复。")
    context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server.url}/track/")
    # Every field has a label; the page fits the screen without sideways scrolling.
    for field in ("#t-number", "#t-code"):
        assert page.locator(f"label[for={field[1:]}]").count() == 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.fill("#t-number", ticket.number)
    page.fill("#t-code", "999999" if ticket.query_code != "999999" else "888888")
    page.click("button:has-text('查询')")
    assert "未查到" in page.inner_text("[role=alert]")
    page.fill("#t-code", ticket.query_code)
    page.click("button:has-text('查询')")
    result = page.inner_text("#result")
    assert "已答复" in result and "路灯已于今日修复" in result and "已派至甲委员会" in result
    assert "王小明" not in result and "王*" in result  # the name masked even to its owner's screen
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"/tmp/jiesu-track-{width}.png", full_page=True)
    context.close()
