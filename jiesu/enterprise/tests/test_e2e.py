"""政企直通车 and 帮办代办 in a real headless Chromium: an enterprise's contact opens an account with an SMS code
(from a fake gateway on 127.0.0.1) and files on a phone; its 帮办员 follows the request on a desktop; the unit
answers; the enterprise rates it; a policy it meets appears in its portal and it applies. The enterprise pages
pass axe."""

import re
from datetime import timedelta

from jiesu.tickets.tests.test_e2e import browser  # noqa: F401 - the shared Chromium fixture
from jiesu.tickets.workflow import Action

CODE = "91350100M000100Y43"
PHONE = "13800000100"
PASSWORD = "Mh-2026-qiye"


def _registry(world):
    from jiesu.directory.models import Staff
    from jiesu.directory.tests.factories import make_staff
    from jiesu.enterprise import helpers
    from jiesu.enterprise.models import Contact, Enterprise

    enterprise = Enterprise.objects.create(credit_code=CODE, name="江州明湖示范科技有限公司", industry="65",
                                           scale="small", region=world.region, address="明湖路1号")
    Contact.objects.create(enterprise=enterprise, name="陈立", phone=PHONE, title="行政经理")
    helper = make_staff("helper", world.dept_b, username="bangban", first_name="周帮办")
    Staff.objects.filter(user=helper).update(phone="0591-12345678")
    helpers.assign(world.supervisor, CODE, "bangban")
    return helper


def test_an_enterprise_files_its_helper_follows_the_unit_answers_and_it_rates(
        transactional_db, live_server, browser, settings):  # noqa: F811
    from jiesu.notifications.models import Notification
    from jiesu.notifications.tests.fakes import FakeGateway
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.tests.world import World

    world = World.build()
    helper = _registry(world)
    with FakeGateway() as gateway:
        settings.JIESU_SMS_BACKEND, settings.JIESU_SMS_HTTP_URL = "http", gateway.url
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        page.goto(f"{live_server.url}/qiye/")
        page.click("a:has-text('用登记的联系人手机号开通账号')")
        page.fill("#a-code", CODE.lower())
        page.fill("#a-phone", PHONE)
        a, b = map(int, re.search(r"(\d) \+ (\d)", page.inner_text("label[for=a-check]")).groups())
        page.fill("#a-check", str(a + b))
        page.click("button:has-text('获取短信验证码')")
        assert "验证码已发送" in page.inner_text("[role=status]")
        code = re.search(r"验证码为(\d{6})", gateway.delivered[-1]["body"]["text"]).group(1)
        page.fill("#a-code", CODE)
        page.fill("#a-phone", PHONE)
        page.fill("[name=sms_code]", code)
        page.fill("#a-password", PASSWORD)
        page.fill("#a-password2", PASSWORD)
        page.click("button:has-text('开通并登录')")
        home = page.inner_text("main")
        assert "您的帮办员" in home and "周帮办" in home and "0591-12345678" in home

        page.click("a.button:has-text('提交涉企诉求')")
        page.check("input[name=category][value=QY06]")
        page.check("input[name=kind][value=help]")
        page.fill("#q-content", "我公司承建的明湖路改造项目已竣工验收一年，工程款仍有120万元未结算，请协调支付。")
        page.click("button:has-text('提交')")
        assert "已受理，工单编号" in page.inner_text("[role=status]")
        ticket = Ticket.objects.get()
        assert ticket.channel == "enterprise" and ticket.credit_code == CODE
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.screenshot(path="/tmp/jiesu-qiye-filed-390.png", full_page=True)

    # The 帮办员 follows it on a desktop: the ledger lists it, the ticket opens, its progress is told.
    desk = browser.new_context(viewport={"width": 1366, "height": 768})
    staff = desk.new_page()
    staff.goto(f"{live_server.url}/accounts/login/")
    staff.fill("input[name=username]", "bangban")
    staff.fill("input[name=password]", "pw-12345")
    staff.click("button[type=submit]")
    assert staff.url.endswith("/enterprises/")
    staff.click("a:has-text('江州明湖示范科技有限公司')")
    assert ticket.number in staff.inner_text("main")
    ticket = world.act(world.act(world.act(ticket, Action.DISPATCH), Action.SIGN), Action.REPLY,
                       reply_text="已协调建设单位，工程款将于本月底前结清。")
    assert Notification.objects.filter(user=helper, ticket=ticket, event="helped_matter").count() == 3
    staff.reload()
    assert "已解决" in staff.inner_text("main")
    staff.fill("#note", "电话联系企业，确认建设单位已承诺月底前结清。")
    staff.select_option("#form", "phone")
    staff.click("button:has-text('保存走访记录')")
    assert "走访记录已保存" in staff.inner_text("main") and "月底前结清" in staff.inner_text("main")
    staff.screenshot(path="/tmp/jiesu-ledger-1366.png", full_page=True)
    desk.close()

    # The enterprise reads the answer and rates it.
    page.goto(f"{live_server.url}/qiye/")
    page.click(f"a.row-link:has-text('{ticket.number}')")
    assert "已协调建设单位" in page.inner_text("main")
    page.check("input[name=satisfaction][value=satisfied]")
    page.check("input[name=resolved][value=true]")
    page.click("button:has-text('提交评价')")
    assert "感谢您的评价" in page.inner_text("[role=status]")
    ticket.refresh_from_db()
    assert ticket.state == "closed" and ticket.satisfaction == "satisfied"

    # A policy it meets is published and pushed: it appears among the enterprise's policies, marked new.
    from jiesu.enterprise import policies

    policy = policies.save(world.supervisor, {"department": "A", "title": "软件企业研发费用补助", "summary": "按研发投入给予补助。",
                                              "benefit_form": "subsidy", "industries": ["I"]})
    policies.submit(world.supervisor, policy.code)
    policies.review(world.supervisor, policy.code, approve=True)
    assert policies.push(world.supervisor, policy.code) == 1
    page.click("nav >> text=政策")
    assert "软件企业研发费用补助" in page.inner_text("main") and "新推送" in page.inner_text("main")
    page.click("a.row-link:has-text('软件企业研发费用补助')")
    page.click("button:has-text('我已申报')")
    assert "已记录您的申报" in page.inner_text("[role=status]")
    assert policies.figures(policy) == {"matching": 1, "pushed": 1, "read": 1, "applied": 1, "granted": 0}
    page.screenshot(path="/tmp/jiesu-qiye-policy-390.png", full_page=True)
    phone.close()


def test_the_enterprise_pages_pass_axe(transactional_db, live_server, browser):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    from django.contrib.auth import get_user_model

    from jiesu.enterprise import accounts
    from jiesu.enterprise.models import Contact
    from jiesu.tickets.tests.world import World

    world = World.build()
    _registry(world)
    user = get_user_model().objects.create(username=accounts.username(CODE, PHONE))
    user.set_password(PASSWORD)
    user.save()
    Contact.objects.filter(phone=PHONE).update(user=user)
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)  # to inject axe
    page = context.new_page()
    axe = Axe()
    for path in ("/qiye/login/", "/qiye/activate/"):
        page.goto(f"{live_server.url}{path}")
        serious = [v["id"] for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, (path, serious)
    page.goto(f"{live_server.url}/qiye/login/")
    page.fill("#l-code", CODE)
    page.fill("#l-phone", PHONE)
    page.fill("#l-password", PASSWORD)
    page.click("button:has-text('登录')")
    for path in ("/qiye/", "/qiye/submit/", "/qiye/policies/?q=研发补助"):
        page.goto(f"{live_server.url}{path}")
        serious = [v["id"] for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, (path, serious)
    context.close()


def test_a_campaign_from_setting_up_to_the_agencys_own_result(transactional_db, live_server, browser):  # noqa: F811
    """百企评机关 in Chromium: the centre sets up and opens a campaign, the enterprise rates on a phone (the page
    passes axe), two more answer, the centre closes it and sees the ranking; a unit reads only its own line."""
    from axe_playwright_python.sync_playwright import Axe
    from django.contrib.auth import get_user_model

    from jiesu.core import clock
    from jiesu.enterprise import accounts, evaluations
    from jiesu.enterprise.models import Contact, Enterprise, Evaluation
    from jiesu.enterprise.tests.test_registry import code
    from jiesu.tickets.tests.test_e2e import _login
    from jiesu.tickets.tests.world import World

    world = World.build()
    _registry(world)
    user = get_user_model().objects.create(username=accounts.username(CODE, PHONE))
    user.set_password(PASSWORD)
    user.save()
    Contact.objects.filter(phone=PHONE).update(user=user)
    others = []
    for n in (1, 2):
        e = Enterprise.objects.create(credit_code=code(f"91350100M0000{n:03d}9"), name=f"另一企业{n}", industry="14",
                                      scale="large")
        Contact.objects.create(enterprise=e, name="联系人", phone=f"1390000000{n}")
        others.append(e)
    today = clock.today()

    centre = _login(browser, live_server, "supervisor")
    centre.on("dialog", lambda dialog: dialog.accept())  # 发布 and 结束 ask first
    centre.goto(f"{live_server.url}/evaluations/")
    centre.click("text=新建评议")
    centre.fill("#title", "测试季度百企评机关")
    centre.fill("#period_start", f"{today.year - 1}-01-01")
    centre.fill("#period_end", f"{today.year - 1}-12-31")
    centre.fill("#closes_on", (today + timedelta(days=30)).isoformat())
    centre.check("input[name=agencies][value=A]")
    centre.check("input[name=agencies][value=B]")
    centre.click("button:has-text('保存')")
    assert "目前符合条件（有联系人）的企业 3 家" in centre.inner_text("main")
    centre.click("button:has-text('发布并邀请企业')")
    assert "已发布，邀请 3 家企业参评" in centre.inner_text(".messages")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = phone.new_page()
    page.goto(f"{live_server.url}/qiye/login/")
    page.fill("#l-code", CODE)
    page.fill("#l-phone", PHONE)
    page.fill("#l-password", PASSWORD)
    page.click("button:has-text('登录')")
    page.click("a:has-text('参与评价')")
    serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    page.click("summary:has-text('甲委员会')")
    for name in ("attitude", "efficiency", "policy"):
        page.check(f"details[open] input[name$=_{name}][value='5']")
    page.click("button:has-text('提交评价')")
    assert "四项都选择" in page.inner_text("[role=alert] >> nth=1")
    page.check("details[open] input[name$=_integrity][value='4']")
    page.fill("details[open] textarea", "审批很快，专人跟进。")
    page.click("button:has-text('提交评价')")
    assert "感谢贵企业参与评价" in page.inner_text("main")
    page.screenshot(path="/tmp/jiesu-qiye-evaluation-390.png", full_page=True)
    phone.close()

    evaluation = Evaluation.objects.get()
    for e in others:
        form = {f"a{world.dept_a.pk}_{n}": "3" for n, _ in evaluations.DIMENSIONS}
        form |= {f"a{world.dept_b.pk}_{n}": "2" for n, _ in evaluations.DIMENSIONS}
        evaluations.rate(e, evaluation.pk, form)

    centre.reload()
    centre.click("button:has-text('结束评议')")
    text = centre.inner_text("main")
    assert "参评率 100.0%" in text and "审批很快，专人跟进。" in text
    first = centre.locator("#rank-h + table tbody tr").first.inner_text()
    assert first.startswith("1") and "甲委员会" in first and "3.67" in first  # 服务态度 (5 + 3 + 3) / 3
    assert "另一企业" not in text and "江州明湖示范" not in text
    centre.screenshot(path="/tmp/jiesu-evaluation-result-1366.png", full_page=True)

    unit = _login(browser, live_server, "handler_a")
    unit.goto(f"{live_server.url}/evaluations/")
    unit.click("text=测试季度百企评机关")
    text = unit.inner_text("main")
    # 乙局 had 2 raters: not ranked, so 甲 is first of one.
    assert "甲委员会的评议结果" in text and "第 1 名（共 1 个单位）" in text and "审批很快" in text
    assert "乙局" not in text and "参评情况" not in text
