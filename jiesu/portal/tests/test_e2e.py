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


@pytest.mark.parametrize(("width", "height", "javascript"), [(390, 844, True), (1366, 768, False)])
def test_a_citizen_submits_follows_and_rates_online(transactional_db, live_server, browser, settings, width, height,  # noqa: F811
                                                    javascript):
    """The whole citizen side in the browser: an SMS code from a fake gateway on 127.0.0.1, the 受理回执, the city
    dispatching and answering, the citizen's 满意, and the KPI counting it once."""
    import re
    from datetime import timedelta

    from jiesu.core import clock
    from jiesu.kpi import services as kpi
    from jiesu.notifications.tests.fakes import FakeGateway
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.tests.world import World

    world = World.build()
    with FakeGateway() as gateway:
        settings.JIESU_SMS_BACKEND, settings.JIESU_SMS_HTTP_URL = "http", gateway.url
        context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript,
                                      user_agent="Mozilla/5.0 (iPhone) Mobile" if width < 500 else None)
        page = context.new_page()
        page.goto(f"{live_server.url}/submit/")
        page.check("input[name=kind][value=help]")
        page.fill("#s-content", "幸福里小区3号楼东侧的路灯连续三晚不亮，晚上很黑，请尽快维修。")
        if javascript:  # the counter follows the text; the knowledge base is asked (nothing matches a broken lamp)
            assert page.inner_text("#s-content-count") == "已输入 31 / 5000 字"
        page.fill("#s-address", "幸福里小区3号楼东侧")
        page.fill("#s-phone", "13912345678")
        a, b = map(int, re.search(r"(\d) \+ (\d)", page.inner_text("label[for=s-check]")).groups())
        page.fill("#s-check", str(a + b))
        page.click("button:has-text('获取短信验证码')")
        assert "验证码已发送至 139****5678" in page.inner_text("[role=status]")
        assert page.input_value("#s-content").startswith("幸福里小区")  # nothing typed is lost
        code = re.search(r"验证码为(\d{6})", gateway.delivered[-1]["body"]["text"]).group(1)
        page.fill("#s-code", code)
        page.click("button:has-text('提交诉求')")
        receipt = page.inner_text("#receipt")
        ticket = Ticket.objects.get()
        assert ticket.number in receipt and ticket.query_code in receipt
        assert ticket.channel == ("mobile" if width < 500 else "web")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"/tmp/jiesu-receipt-{width}.png", full_page=True)

        # The city dispatches, the unit answers.
        ticket = world.act(world.act(world.act(ticket, Action.DISPATCH), Action.SIGN), Action.REPLY,
                           reply_text="已更换路灯灯具，恢复照明。")

        page.click("#receipt-track")
        assert page.input_value("#t-number") == ticket.number
        page.fill("#t-code", ticket.query_code)
        page.click("button:has-text('查询')")
        assert "已更换路灯灯具" in page.inner_text("#result")
        page.check("input[name=satisfaction][value=satisfied]")
        page.check("input[name=resolved][value=true]")
        page.click("button:has-text('提交评价')")
        assert "感谢您的评价" in page.inner_text("[role=status]") and "已办结" in page.inner_text("#result")
        page.screenshot(path=f"/tmp/jiesu-rated-{width}.png", full_page=True)
        context.close()
    today = clock.today()
    counts = kpi.raw_sums(kpi.Filters(start=today - timedelta(days=40), end=today + timedelta(days=40)))
    assert counts["callbacks_valid"] == counts["satisfied"] == 1
    assert kpi.sums(kpi.Filters(start=today - timedelta(days=40), end=today + timedelta(days=40)))["satisfied"] == 1


def test_a_published_answer_settles_a_question_while_typing(transactional_db, live_server, browser):  # noqa: F811
    from jiesu.knowledge import services as knowledge
    from jiesu.portal.models import Deflection
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.tests.world import World

    world = World.build()
    draft = knowledge.save_draft(actor=world.handler_a, data={
        "title": "灵活就业人员如何缴纳社会保险", "questions": ["自由职业怎么交社保"],
        "answer": "灵活就业人员可携带身份证到区社保经办大厅登记，按月缴纳。", "tags": "社保"})
    knowledge.submit(actor=world.handler_a, code=draft.article.code)
    knowledge.review(actor=world.supervisor, code=draft.article.code, approve=True)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/submit/")
    page.fill("#s-content", "我是自由职业，社保怎么交")
    answer = page.locator("#kb-answers button:has-text('问题已解决')")
    answer.wait_for(timeout=10_000)
    assert "区社保经办大厅" in page.inner_text("#kb-answers")
    answer.click()
    assert "很高兴您的问题已解决" in page.inner_text("main")
    assert Deflection.objects.count() == 1 and not Ticket.objects.exists()
    page.close()


def test_the_citizen_pages_pass_axe(transactional_db, live_server, browser):  # noqa: F811
    """axe-core (bundled with axe-playwright-python; nothing downloaded): no serious or critical violations —
    labels, contrast, names of controls, landmarks — on every citizen page, on a phone."""
    from axe_playwright_python.sync_playwright import Axe

    from jiesu.tickets.tests.world import World

    world = World.build()
    ticket = world.act(world.ticket_in(State.IN_PROGRESS, by=world.website(), public=True), Action.REPLY)
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)  # to inject axe
    page = context.new_page()
    axe = Axe()
    pages = ["/submit/", "/track/", "/track/phone/", "/letters/"]
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        found = axe.run(page).response["violations"]
        serious = [(v["id"], v["impact"], len(v["nodes"])) for v in found if v["impact"] in ("serious", "critical")]
        assert not serious, (path, serious)
    page.goto(f"{live_server.url}/track/")
    page.fill("#t-number", ticket.number)
    page.fill("#t-code", ticket.query_code)
    page.click("button:has-text('查询')")
    found = axe.run(page).response["violations"]
    assert not [v["id"] for v in found if v["impact"] in ("serious", "critical")]
    context.close()
