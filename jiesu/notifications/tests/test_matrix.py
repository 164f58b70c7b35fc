"""Who is told what: each event reaches exactly its people and no one else (the matrix: every scenario × every
user of a small organisation), and callers get their SMS."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from jiesu.directory.models import Staff
from jiesu.directory.tests.factories import make_staff
from jiesu.notifications.models import Delivery, Notification
from jiesu.sla import services as sla
from jiesu.tickets import services
from jiesu.tickets.models import ReplyReviewRule
from jiesu.tickets.workflow import Action, State


@pytest.fixture
def org(world):
    make_staff("leader", world.dept_a, username="leader_a")
    make_staff("leader", world.dept_b, username="leader_b")
    make_staff("operator", world.hotline, username="operator2")
    return world


def _told(event, ticket=None) -> set[str]:
    rows = Notification.objects.filter(event=event)
    if ticket is not None:  # the sweep also finds the other scenarios' tickets
        rows = rows.filter(ticket=ticket)
    return set(rows.values_list("user__username", flat=True))


def _reset():
    Notification.objects.all().delete()
    Delivery.objects.all().delete()


def _scenarios(w):
    """name → (make the ticket, act, the event, who must be told)."""

    def acting(state, action, **over):
        def make():
            return w.ticket_in(state)

        def act(t):
            return w.act(t, action, **over)
        return make, act

    def extension_decided(approve):
        def make():
            t = w.ticket_in(State.IN_PROGRESS)
            return w.act(t, Action.REQUEST_EXTENSION)

        def act(t):
            return w.act(t, Action.APPROVE_EXTENSION if approve else Action.REJECT_EXTENSION)
        return make, act

    def after(first, then, *, review=False):
        """`then` on a ticket in 办理中 once `first` was taken (a 退单 or an answer waiting for the centre)."""
        def make():
            if review:
                w.review_answers_of()
            return w.act(w.ticket_in(State.IN_PROGRESS), first)

        def act(t):
            t = w.act(t, then)
            ReplyReviewRule.objects.all().delete()  # the scenarios share one database
            return t
        return make, act

    def submit():
        def make():
            w.review_answers_of()
            return w.ticket_in(State.IN_PROGRESS)

        def act(t):
            t = w.act(t, Action.SUBMIT_REPLY)
            ReplyReviewRule.objects.all().delete()
            return t
        return make, act

    def merge():
        def make():
            parent = w.parent_ticket()
            w.act(parent, Action.DISPATCH)
            return w.new_ticket(content="东湖路的路灯还是不亮。", caller_phone="13700137000")

        def act(t):
            return w.act(t, Action.MERGE)
        return make, act

    def sweep(state, at_field, event):
        def make():
            return w.ticket_in(state)

        def act(t):
            t.refresh_from_db()
            moment = getattr(t, at_field)
            sla.sweep(now=moment + timedelta(seconds=1) if event != "escalate" else moment + timedelta(days=40))
        return make, act

    return {
        "派单": (*acting(State.PENDING_DISPATCH, Action.DISPATCH), "dispatch", {"handler_a"}),
        "派单并协办": (*acting(State.PENDING_DISPATCH, Action.DISPATCH, assist=["B"]), "assist", {"handler_b"}),
        "增加协办": (*acting(State.IN_PROGRESS, Action.ADD_ASSIST), "assist", {"handler_b"}),
        "协办反馈": (*after(Action.ADD_ASSIST, Action.SUBMIT_ASSIST), "assist_done", {"handler_a"}),
        "下派": (*acting(State.IN_PROGRESS, Action.SUBDISPATCH), "subdispatch", {"handler_a_sub"}),
        "撤回": (*acting(State.PENDING_SIGN, Action.WITHDRAW), "withdraw", {"handler_a"}),
        "退单": (*acting(State.IN_PROGRESS, Action.RETURN), "return", {"dispatcher"}),
        "同意退单": (*after(Action.RETURN, Action.APPROVE_RETURN), "return_decided", {"handler_a"}),
        "驳回退单": (*after(Action.RETURN, Action.REJECT_RETURN), "return_decided", {"handler_a"}),
        "提交答复审核": (*submit(), "reply_review", {"dispatcher", "supervisor"}),
        "答复审核通过": (*after(Action.SUBMIT_REPLY, Action.APPROVE_REPLY, review=True), "reply_reviewed",
                   {"handler_a"}),
        "答复退回": (*after(Action.SUBMIT_REPLY, Action.REJECT_REPLY, review=True), "reply_reviewed", {"handler_a"}),
        "申请延期": (*acting(State.IN_PROGRESS, Action.REQUEST_EXTENSION), "request_extension",
                   {"dispatcher", "supervisor"}),
        "批准延期": (*extension_decided(True), "extension_decided", {"handler_a"}),
        "驳回延期": (*extension_decided(False), "extension_decided", {"handler_a"}),
        "重办": (*acting(State.CLOSED, Action.REDO), "redo", {"handler_a"}),
        "督办": (*acting(State.IN_PROGRESS, Action.SUPERVISE), "supervise", {"handler_a"}),
        "并单": (*merge(), "merge", {"handler_a"}),
        "回访不满意": (*acting(State.PENDING_CALLBACK, Action.CALLBACK), "unsatisfied", {"supervisor"}),
        "签收临期": (*sweep(State.PENDING_SIGN, "sign_warn_at", "sla_warning"), "sla_warning", {"handler_a"}),
        "回访临期": (*sweep(State.PENDING_CALLBACK, "callback_warn_at", "sla_warning"), "sla_warning",
                   {"operator"}),
        "升级督办": (*sweep(State.PENDING_SIGN, "sign_due_at", "escalate"), "escalate",
                   {"handler_a", "leader_a", "supervisor"}),
    }


def test_each_event_reaches_exactly_its_people(org):
    everyone = set(get_user_model().objects.values_list("username", flat=True))
    assert len(everyone) == 10
    checked = 0
    for name, (make, act, event, expected) in _scenarios(org).items():
        ticket = make()
        _reset()
        act(ticket)
        told = _told(event, ticket)
        assert told == expected, (name, told, expected)
        for user in everyone:  # the matrix, cell by cell
            assert (user in told) == (user in expected), (name, user)
            checked += 1
        assert all(n.title.endswith(n.ticket.number) for n in Notification.objects.filter(event=event)), name
    assert checked == 22 * 10


def test_the_actor_is_not_told_of_their_own_action(org):
    # A dispatcher who is also a handler of A dispatches to A: the other handler hears of it, not they.
    Staff.objects.filter(user=org.dispatcher).update(department=org.dept_a)
    org.dispatcher.staff.roles.create(role="handler")
    from jiesu.directory import snapshot

    snapshot.clear()
    ticket = org.new_ticket()
    _reset()
    org.act(ticket, Action.DISPATCH)
    assert _told("dispatch") == {"handler_a"}


def test_channels_follow_preferences_and_contact_details(org):
    Staff.objects.filter(user=org.handler_a).update(phone="13911112222")
    org.handler_a.email = "a@example.gov.cn"
    org.handler_a.save()
    from jiesu.notifications import services as notify

    notify.set_preferences(org.handler_a, {"dispatch": ["sms", "email"]})
    ticket = org.new_ticket()
    _reset()
    org.act(ticket, Action.DISPATCH)
    sent = sorted(Delivery.objects.filter(notification__isnull=False).values_list("channel", "to"))
    assert sent == [("email", "a@example.gov.cn"), ("sms", "13911112222")]
    d = Delivery.objects.get(channel="sms")
    assert d.data["number"] == ticket.number and d.data["category"] == "路灯不亮" and d.data["department"] == "甲委员会"
    # Nothing personal leaves the system: the caller's name, phone and words are not in the message data.
    assert "张先生" not in str(d.data) and "13800138000" not in str(d.data) and "东湖路" not in str(d.data)


def test_the_sweep_texts_the_unit_by_default(org):
    Staff.objects.filter(user=org.handler_a).update(phone="13911112222")
    ticket = org.ticket_in(State.PENDING_SIGN)
    _reset()
    sla.sweep(now=ticket.sign_warn_at + timedelta(seconds=1))
    assert list(Delivery.objects.values_list("channel", "to", "template")) == [("sms", "13911112222", "sla_warning")]


def test_callers_get_a_receipt_and_the_answer_by_sms(org):
    ticket = org.new_ticket()
    receipt = Delivery.objects.get(ticket=ticket)
    assert (receipt.channel, receipt.to, receipt.template, receipt.urgent) == ("sms", "13800138000", "receipt", True)
    assert receipt.data == {"number": ticket.number, "query_code": ticket.query_code}
    assert len(ticket.query_code) == 6 and ticket.query_code.isdigit()
    for action in (Action.DISPATCH, Action.SIGN, Action.REPLY):
        ticket = org.act(ticket, action)
    notice = Delivery.objects.get(ticket=ticket, template="reply_notice")
    assert notice.to == "13800138000" and notice.data["gist"].startswith("已解决，已修复路灯")
    assert notice.data["department"] == "甲委员会"


def test_no_sms_for_callers_who_decline_or_have_no_mobile(org):
    declined = org.new_ticket(sms_opt_out=True)
    landline = org.new_ticket(caller_phone="010-62345678")
    answered = services.create_ticket(actor=org.operator, data={
        "kind": "consult", "content": "垃圾分类怎么分？", "caller_phone": "13800138001", "answer": "可回收物投蓝色桶。"})
    assert answered.state == State.CLOSED
    assert not Delivery.objects.filter(ticket__in=[declined, landline, answered]).exists()


def test_each_child_caller_hears_the_answer(org):
    parent = org.parent_ticket()
    child = org.new_ticket(content="东湖路路灯坏了好几天。", caller_phone="13700137000")
    org.act(child, Action.MERGE)
    for action in (Action.DISPATCH, Action.SIGN, Action.REPLY):
        parent = org.act(parent, action)
    assert set(Delivery.objects.filter(template="reply_notice").values_list("to", flat=True)) == {
        "13900139000", "13700137000"}
