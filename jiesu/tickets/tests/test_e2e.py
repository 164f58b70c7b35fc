"""End to end in a real headless Chromium: register a call, dispatch, sign, reply, call back."""

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API runs an event loop in this thread; Django's ORM in the fixtures is still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("JIESU_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} 不存在：make test 会安装 Debian 的 chromium 软件包")
        pytest.skip(f"{CHROMIUM} 不存在（apt-get install chromium），跳过浏览器测试")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def _login(browser, live_server, username):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-12345")
    page.click("button[type=submit]")
    return page


def _call_back_satisfied(browser, live_server, number):
    """话务员 records the callback: reached, satisfied, resolved; the ticket is closed. Returns the open page."""
    page = _login(browser, live_server, "operator")
    page.goto(f"{live_server.url}/tickets/{number}/")
    page.select_option("#a-cb-status", "reached")
    page.select_option("#a-cb-sat", "satisfied")
    page.select_option("#a-cb-resolved", "true")
    page.click("text=提交回访")
    assert page.inner_text("#ticket-state") == "已办结"
    return page


def test_call_to_close_in_the_browser(transactional_db, live_server, browser):
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.tests.world import World

    World.build()
    from jiesu.demo.seed import training_set
    from jiesu.routing import services as routing

    texts, labels = training_set()  # the demo's texts; 路灯不亮 is this world's category 0101
    routing.train(texts, ["0101" if label == "020201" else label for label in labels], name="e2e", source="test")

    # 话务员 registers the call.
    page = _login(browser, live_server, "operator")
    page.goto(f"{live_server.url}/intake/")
    page.select_option("#f-kind", "complaint")
    page.fill("#f-caller_name", "王先生")
    page.fill("#f-caller_phone", "138001380")  # too short: the form must say so and keep the input
    page.fill("#f-content", "东湖路88号门前路灯连续三晚不亮，夜里行人看不清路。")
    # While the operator types, the router suggests (htmx, debounced); one click takes the suggestion.
    first = page.locator("#route-suggestions .suggestions button").first
    first.wait_for(timeout=10_000)
    assert "路灯不亮" in first.inner_text()
    assert "甲委员会" in page.inner_text("#route-suggestions")
    first.click()
    assert page.input_value("#f-category") == "0101"
    page.click("text=提交登记")
    assert "联系电话格式不正确" in page.inner_text("main")
    assert page.input_value("#f-content").startswith("东湖路88号")
    page.fill("#f-caller_phone", "13800138000")
    page.click("text=提交登记")
    assert "已登记，等待派单" in page.inner_text(".messages")
    assert page.inner_text("#ticket-state") == "待派单"
    number = Ticket.objects.get().number
    page.close()

    # 派单员 sees it in the queue with the suggested department and dispatches it.
    page = _login(browser, live_server, "dispatcher")
    page.goto(f"{live_server.url}/dispatch/")
    row = page.locator("tr", has_text=number)
    assert "建议：甲委员会" in row.inner_text()
    row.locator("button", has_text="派单").click()
    assert f"已派单：{number}" in page.inner_text(".messages")
    page.close()

    # 承办人 of 甲委员会 finds it in the inbox, signs and replies.
    page = _login(browser, live_server, "handler_a")
    page.goto(f"{live_server.url}/inbox/")
    page.click(f"text={number}")
    page.click("button:has-text('签收')")
    assert page.inner_text("#ticket-state") == "办理中"
    page.fill("#a-reply-text", "已安排维修人员更换灯具，路灯恢复照明。")
    page.select_option("#a-reply-result", "resolved")
    page.click("text=提交答复")
    assert page.inner_text("#ticket-state") == "待回访"
    page.close()

    # 话务员 calls back: satisfied, resolved → closed.
    page = _call_back_satisfied(browser, live_server, number)
    timeline = page.inner_text("#timeline")
    for step in ("登记", "派单", "签收", "答复", "回访"):
        assert step in timeline
    assert "已安排维修人员更换灯具" in page.inner_text("#reply")
    page.close()


def test_an_announced_call_pops_up_on_the_operators_intake_page(transactional_db, live_server, browser):
    import json
    import time
    import urllib.request

    from playwright.sync_api import expect

    from jiesu.core.tokens import create_token
    from jiesu.directory.tests.factories import make_staff
    from jiesu.tickets.tests.world import World

    world = World.build()
    earlier = world.new_ticket()
    _, key = create_token(user=make_staff("telephony", world.hotline, username="cti"), name="CTI")

    page = _login(browser, live_server, "operator")
    page.goto(f"{live_server.url}/intake/")
    assert page.locator("#incoming-call").inner_text() == ""
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/calls/incoming", method="POST",
        data=json.dumps({"phone": "13800138000", "agent": "operator"}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    started = time.monotonic()
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
    popup = page.locator(".incoming-card")
    expect(popup).to_be_visible(timeout=3_000)
    shown_after = time.monotonic() - started
    print(f"来电弹屏 shown {shown_after:.2f} s after the announcement")
    assert shown_after < 2.0  # polled every 0.7 s: within a second but for a noisy machine
    assert earlier.number in popup.inner_text() and "13800138000" in popup.inner_text()
    page.screenshot(path=os.path.join(os.environ.get("JIESU_SHOTS", "/tmp"), "e2e-incoming-call.png"))
    page.click("button.take-call")
    expect(popup).to_have_count(0)
    assert page.input_value("#f-caller_phone") == "13800138000" and page.input_value("#f-caller_name") == "张先生"
    expect(page.locator("#caller-history-count")).to_contain_text("共有 1 次历史来电", timeout=5_000)
    page.close()


def test_return_review_then_reassign_and_reply_review_in_the_browser(transactional_db, live_server, browser, tmp_path):
    """退单 → 审核 → 改派, then 答复审核 → 回访, each step by its own role in the browser."""
    from jiesu.tickets import services
    from jiesu.tickets.models import ReplyReviewRule, Ticket
    from jiesu.tickets.tests.world import World
    from jiesu.tickets.workflow import Action

    world = World.build()
    ticket = world.act(world.new_ticket(kind="complaint"), Action.DISPATCH, department="A")
    number = ticket.number
    ReplyReviewRule.objects.create(department=world.dept_b)
    evidence = tmp_path / "职责清单.pdf"
    evidence.write_bytes(b"%PDF-1.4 duties")

    # 承办人 of 甲 asks to return it, with a reason category and evidence; it waits for review.
    page = _login(browser, live_server, "handler_a")
    page.goto(f"{live_server.url}/tickets/{number}/")
    page.click("text=申请退单")  # nothing chosen: the browser keeps the form (required fields)
    assert page.inner_text("#ticket-state") == "待签收" and not page.locator("#pending-return").count()
    page.select_option("#a-ret-cat", "not_ours")
    page.fill("#a-ret", "路段属乙委员会养护")
    page.set_input_files("#a-ret-file", str(evidence))
    page.click("text=申请退单")
    assert "退单申请待审核" in page.inner_text("#pending-return")
    assert "职责清单.pdf" in page.inner_text("#pending-return")
    assert page.inner_text("#ticket-state") == "待签收" and not page.locator("button:has-text('签收')").count()
    page.close()

    # 派单员 finds it under 我的待办 → 退单待审核, upholds it, and sends it to 乙 from the queue.
    page = _login(browser, live_server, "dispatcher")
    page.goto(f"{live_server.url}/todo/")
    page.click("a:has-text('退单待审核')")
    page.click(f"text={number}")
    page.fill("#a-ret-note", "同意，改派乙委员会")
    page.click("button:has-text('同意退单')")
    assert page.inner_text("#ticket-state") == "待派单"
    page.goto(f"{live_server.url}/dispatch/")
    row = page.locator("tr", has_text=number)
    assert "已被甲委员会退回（非本单位职责）" in row.inner_text()
    assert row.locator("select[name=department]").input_value() != "A"  # never back to the unit that returned it
    row.locator("select[name=department]").select_option("B")
    row.locator("button", has_text="派单").click()
    assert f"已派单：{number}" in page.inner_text(".messages")
    page.close()
    assert Ticket.objects.get(number=number).department == world.dept_b

    # 承办人 of 乙 signs and answers: the answer goes to the centre first.
    page = _login(browser, live_server, "handler_b")
    page.goto(f"{live_server.url}/tickets/{number}/")
    page.click("button:has-text('签收')")
    assert "须经热线中心审核" in page.inner_text(".actions")
    page.fill("#a-reply-text", "已安排养护队修复路灯。")
    page.click("button:has-text('提交审核')")
    assert page.inner_text("#ticket-state") == "办理中" and "答复待审核" in page.inner_text("#pending-review")
    page.close()

    # 督办员 sends it back once, then 乙 answers again and 派单员 lets it through to the callback.
    page = _login(browser, live_server, "supervisor")
    page.goto(f"{live_server.url}/tickets/{number}/")
    page.click("button:has-text('退回修改')")
    assert "请填写" in page.inner_text(".messages")  # a send-back says why
    page.fill("#a-rv-note", "请写明修复时间")
    page.click("button:has-text('退回修改')")
    assert not page.locator("#pending-review").count()
    page.close()
    services.perform(number, Action.SUBMIT_REPLY, actor=world.handler_b, reply_text="已于今日下午修复路灯。",
                     result="resolved")
    page = _login(browser, live_server, "dispatcher")
    page.goto(f"{live_server.url}/tickets/{number}/")
    page.click("button:has-text('审核通过')")
    assert page.inner_text("#ticket-state") == "待回访"
    assert "已于今日下午修复路灯" in page.inner_text("#reply")
    page.close()


def test_joint_handling_lead_reply_and_callback_in_the_browser(transactional_db, live_server, browser):
    """主办/协办 → the assisting unit's part → the lead's answer → 回访, each role in the browser."""
    from jiesu.tickets.models import AssistPart, Ticket
    from jiesu.tickets.tests.world import World

    world = World.build()
    number = world.new_ticket(kind="complaint").number

    # 派单员 sends it to 甲 (lead) with 乙 assisting, from the ticket page.
    page = _login(browser, live_server, "dispatcher")
    page.goto(f"{live_server.url}/tickets/{number}/")
    page.select_option("#a-dispatch-dept", "A")
    page.select_option("#a-dispatch-assist", ["B"])
    page.click("form[action$='/act/dispatch/'] button:has-text('派单')")
    assert page.inner_text("#ticket-state") == "待签收"
    assert "乙局" in page.inner_text("#assists") and "待签收" in page.inner_text("#assists")
    page.close()

    # 乙's handler finds it in 我的待办 → 协办待反馈, signs and sends its part.
    page = _login(browser, live_server, "handler_b")
    page.goto(f"{live_server.url}/todo/")
    page.click("a:has-text('协办待反馈')")
    page.click(f"text={number}")
    assert "协办单位" in page.inner_text("#my-part")
    page.click("button:has-text('签收协办')")
    page.fill("#a-assist-text", "乙局已核实：该处电缆由乙局维护，已于昨日更换。")
    page.click("button:has-text('提交协办意见')")
    assert "已反馈" in page.inner_text("#assists")
    assert not page.locator("button:has-text('签收')").count()  # the lead's actions are not 乙's
    page.close()
    assert AssistPart.objects.get().status == AssistPart.Status.SUBMITTED

    # 甲 (lead) reads the part and answers the caller.
    page = _login(browser, live_server, "handler_a")
    page.goto(f"{live_server.url}/tickets/{number}/")
    assert "乙局已核实" in page.inner_text("#assists")
    page.click("button:has-text('签收')")
    page.fill("#a-reply-text", "经甲委员会会同乙局处理，电缆已更换，路灯恢复照明。")
    page.click("text=提交答复")
    assert page.inner_text("#ticket-state") == "待回访"
    page.close()

    # 话务员 calls back: closed.
    _call_back_satisfied(browser, live_server, number).close()
    assert Ticket.objects.get(number=number).department == world.dept_a
