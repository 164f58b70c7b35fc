"""In a real headless Chromium: while the operator types a 咨询, the knowledge base's answer appears beside
the form, and one click records 即时办结 citing the article."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from jiesu.tickets.tests.test_e2e import _login, browser  # noqa: E402,F401 - fixture


def test_answer_a_consultation_from_the_knowledge_base(transactional_db, live_server, browser):  # noqa: F811
    from jiesu.knowledge import services
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.tests.world import World
    from jiesu.tickets.workflow import Action, State

    world = World.build()
    version = services.save_draft(actor=world.handler_a, data={
        "title": "新生儿办理医保", "questions": ["孩子刚出生怎么参加医疗保险"],
        "answer": "新生儿可在出生后三个月内，凭户口簿到社区或线上参加城乡居民医保。", "tags": "医疗保险"})
    services.submit(actor=world.handler_a, code=version.article.code)
    services.review(actor=world.supervisor, code=version.article.code, approve=True)

    page = _login(browser, live_server, "operator")
    page.goto(f"{live_server.url}/intake/")
    page.fill("#f-caller_phone", "13800138000")
    page.fill("#f-content", "孩子刚出生，想问怎么参加医疗保险")
    page.wait_for_selector(f"#kb-suggestions .kb-hit[data-code='{version.article.code}']", timeout=10_000)
    page.click(f"#kb-suggestions .kb-close[data-code='{version.article.code}']")
    # The answer is filled for the operator to read and edit; nothing is sent until 提交登记, with a category.
    assert page.input_value("#f-answer").startswith("新生儿可在出生后三个月内") and "/intake/" in page.url
    assert page.is_visible("#kb-close-hint")
    page.fill("#f-answer", page.input_value("#f-answer") + "（已电话告知）")
    page.click("text=提交登记")
    assert "引用知识即时办结时请选择诉求分类" in page.inner_text("main")
    page.select_option("#f-category", "0101")
    page.click("text=提交登记")
    page.wait_for_url("**/tickets/*/")
    assert "已办结" in page.inner_text("#ticket-state")

    ticket = Ticket.objects.get(number=page.inner_text("h1 .num"))
    assert ticket.state == State.CLOSED and ticket.kind == "consult"
    assert version.article.code in ticket.reply_text and "（已电话告知）" in ticket.reply_text
    assert ticket.events.get(action=Action.INSTANT_CLOSE).data == {"article": version.article.code}
