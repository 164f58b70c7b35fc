"""人大代表建议 in Chromium, from registration to the deputy's evaluation: the liaison office registers and hands
it over, the lead unit signs, records its 沟通, answers with a 答复函 and downloads it as Word, the liaison records
不满意 and sends it back once, the second answer is evaluated 满意, and the year's statement counts it."""

from io import BytesIO

from jiesu.tickets.tests.test_e2e import _login, browser  # noqa: F401 - the shared Chromium fixture


def test_a_proposal_from_registration_to_evaluation(transactional_db, live_server, browser):  # noqa: F811
    from docx import Document

    from jiesu.channels.models import Proposal
    from jiesu.core import clock
    from jiesu.directory.tests.factories import make_staff
    from jiesu.tickets.tests.world import World

    world = World.build()
    make_staff("liaison", world.hotline, username="liaison")

    liaison = _login(browser, live_server, "liaison")
    liaison.click("a:has-text('建议提案')")
    liaison.click("text=登记建议提案")
    liaison.check("input[name=body][value=npc]")
    liaison.fill("#session", "十七届三次会议")
    liaison.fill("#number", "88")
    liaison.fill("#proposer", "林代表")
    liaison.fill("#proposer_phone", "13900008888")
    liaison.fill("#subject", "关于增设社区充电桩的建议")
    liaison.fill("#content", "小区电动自行车充电难，飞线充电隐患大，建议统一规划建设社区充电设施。")
    liaison.select_option("#lead", "A")
    liaison.select_option("#joint", ["B"])
    liaison.click("button:has-text('登记')")
    assert "已登记十七届三次会议第0088号建议并交办" in liaison.inner_text(".messages")
    number = Proposal.objects.get().ticket.number

    unit = _login(browser, live_server, "handler_a")
    unit.goto(f"{live_server.url}/tickets/{number}/")
    assert unit.locator("#proposal-link").count() == 1
    unit.click("button:has-text('签收')")
    unit.goto(f"{live_server.url}/proposals/{number}/")
    unit.fill("#document_number", "甲委函〔2026〕88号")  # answering before any 沟通 is refused
    unit.fill("#signer", "赵主任")
    unit.check("input[name=answer_class][value=B]")
    unit.fill("#text", "已将社区充电设施纳入年度计划。")
    unit.click("button:has-text('答复')")
    assert "答复前须先记录与代表/委员的沟通面商" in unit.inner_text(".messages")
    unit.fill("#held_on", clock.today().isoformat())
    unit.check("input[name=form][value=meeting]")
    unit.fill("#note", "到代表所在社区实地察看并面商。")
    unit.click("button:has-text('记录沟通')")
    unit.fill("#document_number", "甲委函〔2026〕88号")
    unit.fill("#signer", "赵主任")
    unit.check("input[name=answer_class][value=B]")
    unit.fill("#text", "已将社区充电设施纳入年度计划，年内建成20处。")
    unit.click("button:has-text('答复')")
    assert "已答复" in unit.inner_text(".messages")
    with unit.expect_download() as download:
        unit.click("a:has-text('下载答复函')")
    words = "\n".join(p.text for p in Document(BytesIO(open(download.value.path(), "rb").read())).paragraphs)
    assert "甲委函〔2026〕88号" in words and "林代表代表：" in words and "年内建成20处" in words

    liaison.goto(f"{live_server.url}/proposals/{number}/")
    liaison.check("input[name=satisfaction][value=unsatisfied]")
    liaison.fill("#e-note", "建设数量偏少")
    liaison.check("input[name=redo]")
    liaison.click("button:has-text('登记评价')")
    assert "办理中" in liaison.inner_text("h1")

    unit.goto(f"{live_server.url}/proposals/{number}/")
    unit.fill("#document_number", "甲委函〔2026〕95号")
    unit.fill("#signer", "赵主任")
    unit.check("input[name=answer_class][value=A]")
    unit.fill("#text", "经再次研究，年内建成40处，已完成25处。")
    unit.click("button:has-text('答复')")
    liaison.goto(f"{live_server.url}/proposals/{number}/")
    assert liaison.locator("input[name=redo]").count() == 0  # 重办 only once
    liaison.check("input[name=satisfaction][value=satisfied]")
    liaison.click("button:has-text('登记评价')")
    assert "已办结" in liaison.inner_text("h1") and "重办后答复" in liaison.inner_text("main")
    liaison.screenshot(path="/tmp/jiesu-proposal-1366.png", full_page=True)
    liaison.goto(f"{live_server.url}/proposals/statement/")
    text = liaison.inner_text("main")
    assert "共 1 件" in text and "见面率 100.0%" in text and "满意率 100.0%" in text
