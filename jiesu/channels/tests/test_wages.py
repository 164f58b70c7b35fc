"""欠薪线索: a ticket of a category marked 欠薪线索 carries its 欠薪信息 from the 来电登记, runs on the 5-working-day
rule, is answered only with the unit's 处理结果, is called back to the worker, and is counted and listed in the
台账 (线索数, 办结率, 追回金额)."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse

from jiesu.channels import wages
from jiesu.channels.models import WageClue
from jiesu.core import clock
from jiesu.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiesu.core.tokens import create_token
from jiesu.directory.tests.factories import CategoryFactory, make_staff
from jiesu.portal.services import portal_user
from jiesu.tickets import services as tickets
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action, State

FROM, TO = "2025-11", "2026-01"  # months owed: before any moment the suite's clock is pinned at
FACTS = {"wage_employer": "江州某某建筑劳务有限公司", "wage_project": "滨江路住宅项目", "wage_amount": "23,500",
         "wage_workers": "3", "wage_from": FROM, "wage_to": TO}


@pytest.fixture
def wage(world):
    """劳动关系 (marked 欠薪线索) › 拖欠工资, handled by 乙局."""
    parent = CategoryFactory(code="0501", name="劳动关系", wage_arrears=True)
    return CategoryFactory(code="050101", name="拖欠工资", parent=parent, default_department=world.dept_b)


def _clue(world, wage, by=None, **data):
    return world.new_ticket(by=by, kind="help", category=wage.code, content="工地老板拖欠三个月工资", **{**FACTS, **data})


def _answered(world, number):
    tickets.perform(number, Action.DISPATCH, actor=world.dispatcher, department="B")
    tickets.perform(number, Action.SIGN, actor=world.handler_b)
    owed = WageClue.objects.get(ticket__number=number).amount_owed  # all of it back, for 3 workers
    wages.settle(world.handler_b, number, {"recovered_amount": str(owed), "workers_paid": "3",
                                           "outcome_note": "约谈用人单位后已足额支付"})
    return tickets.perform(number, Action.REPLY, actor=world.handler_b, result="resolved", reply_text="已足额支付")


def test_a_clue_is_registered_with_its_facts_on_the_wage_rule(world, wage):
    ticket = _clue(world, wage, wage_credit_code="91350100M000100Y43")
    clue = ticket.wage_clue
    assert (clue.employer, clue.amount_owed, clue.workers, clue.project) == (
        "江州某某建筑劳务有限公司", Decimal("23500.00"), 3, "滨江路住宅项目")
    assert (f"{clue.period_from:%Y-%m}", f"{clue.period_to:%Y-%m}", clue.credit_code) == (
        FROM, TO, "91350100M000100Y43")
    dispatched = tickets.perform(ticket.number, Action.DISPATCH, actor=world.dispatcher, department="B")
    assert dispatched.sla_rule.name == "欠薪线索"
    assert (dispatched.sla_rule.reply_limit, dispatched.sla_rule.reply_unit) == (5, "working_days")
    # a question about the rules in the same category is a 咨询: no clue, the 咨询 limit
    consult = world.new_ticket(kind="consult", category=wage.code, content="欠薪了应该去哪里投诉？")
    assert not WageClue.objects.filter(ticket=consult).exists()
    assert tickets.perform(consult.number, Action.DISPATCH, actor=world.dispatcher,
                           department="B").sla_rule.name == "咨询"


@pytest.mark.parametrize("data, field", [
    ({"wage_employer": ""}, "wage_employer"), ({"wage_amount": "两万"}, "wage_amount"),
    ({"wage_amount": "-5"}, "wage_amount"), ({"wage_amount": "0"}, "wage_amount"),
    ({"wage_amount": "1.234"}, "wage_amount"), ({"wage_amount": "1e12"}, "wage_amount"),
    ({"wage_amount": "NaN"}, "wage_amount"), ({"wage_workers": "0"}, "wage_workers"),
    ({"wage_workers": "2.5"}, "wage_workers"), ({"wage_credit_code": "123"}, "wage_credit_code"),
    ({"wage_from": "2026-13"}, "wage_from"), ({"wage_from": "2025-12", "wage_to": "2025-10"}, "wage_to"),
    ({"wage_to": "2099-01"}, "wage_to"), ({"wage_employer": "x\x00"}, "wage_employer"),
])
def test_the_facts_are_checked_and_nothing_is_written(world, wage, data, field):
    with pytest.raises(ValidationFailed) as refused:
        _clue(world, wage, **data)
    assert field in refused.value.fields
    assert not Ticket.objects.exists() and not WageClue.objects.exists()


def test_staff_must_give_the_facts_a_citizen_need_not(world, wage):
    with pytest.raises(ValidationFailed) as refused:
        world.new_ticket(kind="help", category=wage.code)
    assert {"wage_employer", "wage_amount", "wage_workers"} <= set(refused.value.fields)
    web = world.new_ticket(by=portal_user(), channel="web", kind="help", category=wage.code)
    assert not WageClue.objects.filter(ticket=web).exists()
    # the hotline completes it; answering without it is refused
    tickets.perform(web.number, Action.DISPATCH, actor=world.dispatcher, department="B")
    tickets.perform(web.number, Action.SIGN, actor=world.handler_b)
    with pytest.raises(Conflict) as missing:
        tickets.perform(web.number, Action.REPLY, actor=world.handler_b, result="resolved", reply_text="已处理")
    assert missing.value.code == "wage_clue_missing"
    wages.record(world.dispatcher, web.number, FACTS)
    assert WageClue.objects.get(ticket=web).recorded_by == world.dispatcher
    with pytest.raises(PermissionDenied):  # a reader without the permission
        wages.record(world.supervisor, web.number, FACTS)


def test_no_answer_without_the_outcome_and_only_the_unit_records_it(world, wage):
    number = _clue(world, wage).number
    tickets.perform(number, Action.DISPATCH, actor=world.dispatcher, department="B")
    tickets.perform(number, Action.SIGN, actor=world.handler_b)
    with pytest.raises(Conflict) as refused:
        tickets.perform(number, Action.REPLY, actor=world.handler_b, result="resolved", reply_text="已支付")
    assert refused.value.code == "wage_outcome_missing"
    with pytest.raises(Exception) as other:  # another unit does not even see it
        wages.settle(world.handler_a, number, {"recovered_amount": "1", "workers_paid": "1", "outcome_note": "x"})
    assert getattr(other.value, "status", None) in (403, 404)
    with pytest.raises(PermissionDenied):  # the centre does not record the unit's outcome
        wages.settle(world.dispatcher, number, {"recovered_amount": "1", "workers_paid": "1", "outcome_note": "x"})
    with pytest.raises(ValidationFailed) as bad:
        wages.settle(world.handler_b, number, {"recovered_amount": "1", "workers_paid": "4", "outcome_note": ""})
    assert {"workers_paid", "outcome_note"} <= set(bad.value.fields)
    wages.settle(world.handler_b, number, {"recovered_amount": "12000", "workers_paid": "2",
                                           "outcome_note": "已支付部分，余款月底前付清"})
    replied = tickets.perform(number, Action.REPLY, actor=world.handler_b, result="partial", reply_text="已追回部分")
    assert replied.state == State.PENDING_CALLBACK
    with pytest.raises(Conflict):  # answered: the facts are settled with it
        wages.settle(world.handler_b, number, {"recovered_amount": "1", "workers_paid": "1", "outcome_note": "x"})


def test_the_callback_must_reach_the_worker_while_its_time_runs(world, wage):
    ticket = _answered(world, _clue(world, wage).number)
    assert (ticket.sla_rule.callback_limit, ticket.sla_rule.callback_unit) == (1, "working_days")  # stricter
    with pytest.raises(Conflict) as refused:
        tickets.perform(ticket.number, Action.CALLBACK, actor=world.operator, status="unreachable")
    assert refused.value.code == "wage_callback_unreached"
    assert Ticket.objects.get(pk=ticket.pk).state == State.PENDING_CALLBACK
    with clock.frozen(ticket.callback_due_at + timedelta(minutes=1)):  # tried all along: now it may close so
        closed = tickets.perform(ticket.number, Action.CALLBACK, actor=world.operator, status="unreachable")
    assert closed.state == State.CLOSED
    other = _answered(world, _clue(world, wage, caller_phone="13900000001").number)
    reached = tickets.perform(other.number, Action.CALLBACK, actor=world.operator, status="reached",
                              satisfaction="satisfied", resolved=True)
    assert reached.state == State.CLOSED


def test_figures_and_the_ledger(world, wage):
    from openpyxl import load_workbook

    closed = _answered(world, _clue(world, wage).number)
    tickets.perform(closed.number, Action.CALLBACK, actor=world.operator, status="reached", satisfaction="satisfied",
                    resolved=True)
    _answered(world, _clue(world, wage, caller_phone="13900000002", wage_amount="10000", wage_workers="5").number)
    world.new_ticket(by=portal_user(), channel="web", kind="help", category=wage.code)  # 待补录
    voided = _clue(world, wage, caller_phone="13900000003")
    tickets.perform(voided.number, Action.INVALIDATE, actor=world.dispatcher, reason="test", note="测试")
    world.new_ticket(kind="consult", category=wage.code)  # not a clue
    today = clock.today()
    rows = wages.period_tickets(world.dispatcher, today - timedelta(days=1), today)
    total, lines = wages.figures(rows)
    assert (total.clues, total.counted, total.closed, total.missing) == (4, 3, 1, 1)
    assert total.closed_rate == pytest.approx(1 / 3)
    assert (total.owed, total.recovered, total.workers, total.workers_paid) == (
        Decimal("57000.00"), Decimal("33500.00"), 11, 6)
    assert {line.label for line in lines} == {"乙局", "未派单"}
    book = load_workbook(BytesIO(wages.ledger_workbook(rows, today, today)))
    assert book.sheetnames == ["汇总", "明细"]
    detail = [[c.value for c in row] for row in book["明细"].iter_rows(min_row=2)]
    assert len(detail) == 4 and closed.number in [r[0] for r in detail]
    assert "（待补录）" in [r[2] for r in detail]
    assert not any("1380013" in str(v) for r in detail for v in r)  # no caller phone in the 台账


def test_the_pages(world, wage):
    number = _clue(world, wage).number
    tickets.perform(number, Action.DISPATCH, actor=world.dispatcher, department="B")
    tickets.perform(number, Action.SIGN, actor=world.handler_b)
    unit = Client()
    unit.force_login(world.handler_b)
    page = unit.get(reverse("ticket_detail", args=[number])).content.decode()
    assert 'id="wage-clue"' in page and 'id="wage-settle"' in page and "江州某某建筑劳务有限公司" in page
    refused = unit.post(reverse("wage_action", args=[number, "settle"]), {"recovered_amount": "abc"}, follow=True)
    assert "处理结果有误" in refused.content.decode() and not WageClue.objects.get().settled
    unit.post(reverse("wage_action", args=[number, "settle"]), {"recovered_amount": "23500", "workers_paid": "3",
                                                               "outcome_note": "已足额支付"})
    assert WageClue.objects.get().settled
    own = unit.get(reverse("wage_list")).content.decode()  # the unit's own 台账
    assert number in own and 'href="/wages/"' in own  # 乙局 handles 拖欠工资: the menu entry
    other = Client()
    other.force_login(world.handler_a)
    assert number not in other.get(reverse("wage_list")).content.decode()
    assert 'href="/wages/"' not in other.get(reverse("ticket_list")).content.decode()
    centre = Client()
    centre.force_login(world.dispatcher)
    listing = centre.get(reverse("wage_list")).content.decode()
    assert 'id="wage-figures"' in listing and number in listing
    ledger = centre.get(reverse("wage_list") + "?format=xlsx")
    assert ledger.status_code == 200 and "spreadsheetml" in ledger["Content-Type"]
    assert centre.post(reverse("wage_action", args=[number, "nonsense"])).status_code == 404
    # the 来电登记 shows the 欠薪信息 for the marked categories
    operator = Client()
    operator.force_login(world.operator)
    intake = operator.get(reverse("intake")).content.decode()
    assert 'id="wage-fields"' in intake and 'value="050101" data-wage="1"' in intake


def test_the_api_takes_the_facts(world, wage):
    import json

    token = create_token(user=world.operator, name="op")[1]
    body = {"channel": "phone", "kind": "help", "category": wage.code, "content": "老板欠薪", "caller_phone":
            "13800001111", "wage_employer": "某公司", "wage_amount": 8800, "wage_workers": 2}
    answer = Client().post("/api/v1/tickets", json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 201, answer.content
    assert WageClue.objects.get().amount_owed == Decimal("8800.00")
    body.pop("wage_employer")
    refused = Client().post("/api/v1/tickets", json.dumps(body), content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 400 and "wage_employer" in refused.json()["fields"]


def test_who_may_do_what(world, wage):
    leader = make_staff("leader", world.hotline, username="leader_x")
    assert wages.visible(leader).count() == 0
    with pytest.raises(PermissionDenied):
        wages.visible(world.operator)
    number = _clue(world, wage).number
    tickets.perform(number, Action.DISPATCH, actor=world.dispatcher, department="B")
    assert list(wages.visible(world.handler_b).values_list("number", flat=True)) == [number]
    assert not wages.visible(world.handler_a).exists()


def test_amounts_and_when_the_facts_may_change(world, wage):
    for raw in ("1e5", "+5", "NaN", "Infinity", "1,0.5.5", "0"):
        with pytest.raises(ValidationFailed):
            _clue(world, wage, wage_amount=raw)
    number = _clue(world, wage, wage_amount="10000").number
    tickets.perform(number, Action.DISPATCH, actor=world.dispatcher, department="B")
    tickets.perform(number, Action.SIGN, actor=world.handler_b)
    with pytest.raises(ValidationFailed) as over:  # more back than owed: the facts first
        wages.settle(world.handler_b, number, {"recovered_amount": "99999", "workers_paid": "1", "outcome_note": "x"})
    assert "recovered_amount" in over.value.fields
    wages.settle(world.handler_b, number, {"recovered_amount": "0", "workers_paid": "0", "outcome_note": "企业已注销"})
    wages.record(world.handler_b, number, {**FACTS, "wage_amount": "12000"})  # the unit corrects the amount
    clue = WageClue.objects.get()
    assert clue.amount_owed == Decimal("12000.00") and clue.recorded_by == world.handler_b
    tickets.perform(number, Action.REPLY, actor=world.handler_b, result="explained", reply_text="企业已注销，已告知途径")
    with pytest.raises(Conflict) as answered:
        wages.record(world.dispatcher, number, FACTS)
    assert answered.value.code == "wage_answered"


def test_a_control_character_does_not_break_the_ledger(world, wage):
    from openpyxl import load_workbook

    _clue(world, wage, wage_employer="江州\x1b宏达\x0b劳务公司")
    today = clock.today()
    rows = wages.period_tickets(world.dispatcher, today, today)
    book = load_workbook(BytesIO(wages.ledger_workbook(rows, today, today)))
    assert book["明细"]["C2"].value == "江州宏达劳务公司"
