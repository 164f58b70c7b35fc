"""信访代办 end to end in Chromium: the 信访干部 registers a matter with its 代办员 and unit (refused first without a
代办员); the 派单员 cannot open it; the unit answers; the 代办员 logs a visit, records 事了 and 心解 — which closes
it — and, a month later, the 跟踪回访; the 信访干部 reads the figures."""

from datetime import timedelta

from jiesu.tickets.tests.test_e2e import _login, browser  # noqa: F401 - the shared Chromium fixture


def test_a_petition_from_registration_to_follow_up(transactional_db, live_server, browser):  # noqa: F811
    from jiesu.channels.models import Petition
    from jiesu.core import clock
    from jiesu.directory.tests.factories import make_staff
    from jiesu.tickets.tests.world import World

    world = World.build()
    make_staff("petition", world.hotline, username="xinfang")
    make_staff("petition_agent", world.dept_a, username="daiban")

    office = _login(browser, live_server, "xinfang")
    office.goto(f"{live_server.url}/petitions/")
    office.click("#petition-new")
    office.select_option("#form", "visit")
    office.fill("#caller_name", "钱女士")
    office.fill("#caller_phone", "13700001111")
    office.fill("#content", "反映小区加装电梯因低层住户反对停滞两年，多次到街道反映未果。")
    office.select_option("#department", "B")
    office.click("button:has-text('登记')")
    assert "代办员" in office.inner_text("#petition-form")  # refused: no 代办员, the text kept
    assert office.input_value("#content").startswith("反映小区加装电梯")
    office.select_option("#agent", "daiban")
    office.click("button:has-text('登记')")
    assert "已登记信访事项" in office.inner_text(".messages")
    number = Petition.objects.get().ticket.number

    desk = _login(browser, live_server, "dispatcher")
    assert desk.goto(f"{live_server.url}/tickets/{number}/").status == 404  # not the centre's to read

    unit = _login(browser, live_server, "handler_b")  # the unit it was given handles it as any ticket
    unit.goto(f"{live_server.url}/tickets/{number}/")
    assert "信访事项" in unit.inner_text("#petition-link")
    unit.click("button:has-text('签收')")
    unit.fill("#a-reply-text", "已组织楼栋协商会，低层住户同意，工程下周复工。")
    unit.click("button:has-text('提交答复')")
    assert "待回访" in unit.inner_text("#ticket-state")

    agent = _login(browser, live_server, "daiban")
    agent.goto(f"{live_server.url}/todo/")
    agent.click("a:has-text('待确认事了心解')")
    agent.click(f"a:has-text('{number}')")
    agent.click("a:has-text('信访事项页面')")
    agent.select_option("#c-settled", "yes")
    agent.select_option("#c-accepted", "yes")
    agent.fill("#c-settled_note", "工程已复工")
    agent.fill("#c-accepted_note", "信访人认可，表示不再上访")
    agent.click("button:has-text('确认并办结')")
    assert "请先记录至少一次走访" in agent.inner_text(".messages")
    agent.fill("#v-note", "陪同信访人参加楼栋协商会")
    agent.select_option("#v-kind", "accompany")
    agent.click("button:has-text('保存记录')")
    assert "陪同办理" in agent.inner_text("#petition-visits")
    agent.select_option("#c-settled", "yes")
    agent.select_option("#c-accepted", "yes")
    agent.fill("#c-settled_note", "工程已复工")
    agent.fill("#c-accepted_note", "信访人认可，表示不再上访")
    agent.click("button:has-text('确认并办结')")
    assert "已办结" in agent.inner_text("#petition-state")
    assert "到期" in agent.inner_text("#petition-follow-up")

    # a month later (the 跟踪回访 is due): recorded from the same page
    Petition.objects.update(follow_up_due=clock.today() - timedelta(days=1))
    agent.reload()
    agent.fill("#v-note", "跟踪回访：电梯已投入使用，信访人满意")
    agent.click("button:has-text('保存记录')")
    assert "已于" in agent.inner_text("#petition-follow-up")

    office.goto(f"{live_server.url}/petitions/")
    assert "100.0%" in office.locator("#petition-figures tr[data-total]").inner_text()
