"""来电弹屏 at intake: as the operator types the number, the caller's earlier tickets (how many, the latest five,
open ones first, 重复来电 marked); only for those who may see callers."""

from django.test import Client


def _panel(user, phone: str):
    client = Client()
    client.force_login(user)
    return client.get("/tickets/caller-history/", {"caller_phone": phone})


def test_the_operator_sees_the_callers_earlier_tickets_open_first(world):
    from jiesu.tickets.workflow import State

    phone = "13700001234"
    waiting = [world.new_ticket(content=f"第{i}次来电：东湖路路灯不亮。", caller_phone=phone) for i in range(5)]
    closed = world.ticket_in(State.CLOSED, caller_phone=phone)  # the newest, but settled
    world.new_ticket(content="别的号码。", caller_phone="13700009999")

    response = _panel(world.operator, "137 0000 1234")  # typed with spaces
    page = response.content.decode()
    assert response.status_code == 200
    assert "共有 <strong>6</strong> 次历史来电" in page and "最近 5 件" in page
    assert all(t.number in page for t in waiting) and closed.number not in page  # open ones first
    assert page.index(waiting[4].number) < page.index(waiting[0].number)  # newest first among them
    assert "别的号码" not in page


def test_a_first_call_and_a_short_number(world):
    assert "首次来电" in _panel(world.operator, "13700005678").content.decode()
    assert "输入联系电话后" in _panel(world.operator, "137").content.decode()


def test_a_unit_or_a_leader_may_not_look_a_caller_up(world):
    from jiesu.directory.tests.factories import make_staff

    world.new_ticket(caller_phone="13700001234")
    assert _panel(world.handler_a, "13700001234").status_code == 403
    assert _panel(make_staff("leader", world.hotline, username="leader"), "13700001234").status_code == 403


def test_the_intake_page_asks_for_the_history(world):
    client = Client()
    client.force_login(world.operator)
    assert 'hx-get="/tickets/caller-history/"' in client.get("/intake/").content.decode()
