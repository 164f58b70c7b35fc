"""欠薪线索 end to end in Chromium: the 话务员 picks the 欠薪 category and the form asks for the 欠薪信息 (refused
without it), registers the clue; the 派单员 dispatches it; the unit tries to answer without a 处理结果 (refused),
records what was recovered and answers; the 话务员 cannot close it as 未接通, reaches the worker; the 台账 and the
dashboard line count it."""


from jiesu.tickets.tests.test_e2e import _login, browser  # noqa: F401 - the shared Chromium fixture


def test_a_wage_clue_from_call_to_callback(transactional_db, live_server, browser):  # noqa: F811
    from jiesu.directory.tests.factories import CategoryFactory
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.tests.world import World

    world = World.build()
    labour = CategoryFactory(code="0501", name="劳动关系", wage_arrears=True)
    CategoryFactory(code="050101", name="拖欠工资", parent=labour, default_department=world.dept_b)

    page = _login(browser, live_server, "operator")
    page.goto(f"{live_server.url}/intake/")
    assert page.locator("#wage-fields").is_hidden()
    page.select_option("#f-kind", "help")
    page.fill("#f-caller_name", "刘师傅")
    page.fill("#f-caller_phone", "13800138011")
    page.fill("#f-content", "在滨江路工地干了三个月，包工头拖欠我们五个人的工资，一直不给。")
    page.select_option("#f-category", "050101")
    assert page.locator("#wage-fields").is_visible()
    page.click("button:has-text('提交登记')")
    assert "欠薪信息有误" in page.inner_text(".messages")  # the facts are asked for, the call's text kept
    assert page.input_value("#f-content").startswith("在滨江路工地")
    page.fill("#f-wage_employer", "江州某某劳务有限公司")
    page.fill("#f-wage_amount", "56000")
    page.fill("#f-wage_workers", "5")
    page.click("button:has-text('提交登记')")
    ticket = Ticket.objects.get()
    assert ticket.wage_clue.workers == 5

    desk = _login(browser, live_server, "dispatcher")
    desk.goto(f"{live_server.url}/tickets/{ticket.number}/")
    assert "江州某某劳务有限公司" in desk.inner_text("#wage-clue")
    desk.select_option("#a-dispatch-dept", "B")
    desk.click("button:has-text('派单')")
    assert "待签收" in desk.inner_text("#ticket-state")

    unit = _login(browser, live_server, "handler_b")
    unit.goto(f"{live_server.url}/tickets/{ticket.number}/")
    unit.click("button:has-text('签收')")
    unit.fill("#a-reply-text", "已责令用人单位支付。")
    unit.click("button:has-text('提交答复')")
    assert "处理结果" in unit.inner_text(".messages") and "办理中" in unit.inner_text("#ticket-state")
    unit.fill("#w-recovered_amount", "56000")
    unit.fill("#w-workers_paid", "5")
    unit.fill("#w-outcome_note", "经劳动保障监察约谈，用人单位已足额支付5人工资。")
    unit.click("button:has-text('保存处理结果')")
    assert "56000" in unit.inner_text("#wage-outcome")
    unit.fill("#a-reply-text", "经核查拖欠属实，已追回工资56000元，5人全部结清。")
    unit.click("button:has-text('提交答复')")
    assert "待回访" in unit.inner_text("#ticket-state")

    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    page.select_option("#a-cb-status", "unreachable")
    page.click("text=提交回访")
    assert "回访到劳动者本人" in page.inner_text(".messages") and "待回访" in page.inner_text("#ticket-state")
    page.select_option("#a-cb-status", "reached")
    page.select_option("#a-cb-sat", "satisfied")
    page.select_option("#a-cb-resolved", "true")
    page.click("text=提交回访")
    assert page.inner_text("#ticket-state") == "已办结"

    desk.goto(f"{live_server.url}/wages/")
    total = desk.locator("#wage-figures tr[data-total]").inner_text()
    assert "100.0%" in total and "56000.00" in total
    desk.goto(f"{live_server.url}/kpi/")
    assert "100.0%" in desk.inner_text("#wage-figures")


