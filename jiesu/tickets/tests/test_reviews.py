"""退单审核 and 答复审核: the unit asks, the centre decides; the ticket and its clocks do exactly what docs/workflow.md
and docs/kpi.md say, and nothing else can happen to it meanwhile."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiesu.core import clock
from jiesu.core.errors import Conflict, ValidationFailed
from jiesu.kpi import services as kpi
from jiesu.tickets import access, services, worklists
from jiesu.tickets.models import Attachment, ReplyReview, ReturnRequest, Ticket
from jiesu.tickets.workflow import Action, State

TZ = ZoneInfo("Asia/Shanghai")


def _codes(user, ticket):
    return {t.action for t in access.actions_for(user, Ticket.objects.get(pk=ticket.pk))}


def test_a_return_is_a_request_the_ticket_stays_and_the_unit_waits(world):
    ticket = world.ticket_in(State.IN_PROGRESS)
    due = ticket.reply_due_at
    evidence = SimpleUploadedFile("职责清单.pdf", b"%PDF-1.4 duties")
    ticket = world.act(ticket, Action.RETURN, reason_category="非本单位职责", file=evidence)
    assert ticket.state == State.IN_PROGRESS and ticket.department == world.dept_a and ticket.reply_due_at == due
    request = ReturnRequest.objects.get(ticket=ticket)
    assert request.status == ReturnRequest.Status.PENDING and request.reason_category == "not_ours"
    assert request.evidence.purpose == Attachment.Purpose.RETURN and request.evidence.name == "职责清单.pdf"
    # The unit can contact the caller, nothing else; the dispatcher sees the decision, not unit work.
    assert _codes(world.handler_a, ticket) == {Action.CONTACT, Action.ATTACH}
    assert {Action.APPROVE_RETURN, Action.REJECT_RETURN} <= _codes(world.dispatcher, ticket)
    for action in (Action.REPLY, Action.REQUEST_EXTENSION, Action.RETURN, Action.SUBDISPATCH):
        with pytest.raises(Conflict) as excinfo:
            world.act(ticket, action)
        assert excinfo.value.code == "return_pending", action
    world.act(ticket, Action.CONTACT)  # allowed: the caller is not kept waiting


def test_upheld_return_goes_back_to_dispatch_rejected_return_stays(world):
    upheld = world.act(world.ticket_in(State.PENDING_SIGN), Action.RETURN)
    upheld = world.act(upheld, Action.APPROVE_RETURN)
    assert upheld.state == State.PENDING_DISPATCH and upheld.department is None
    assert ReturnRequest.objects.get(ticket=upheld).status == ReturnRequest.Status.APPROVED

    rejected = world.act(world.ticket_in(State.PENDING_SIGN), Action.RETURN)
    sign_due = rejected.sign_due_at
    with pytest.raises(ValidationFailed) as excinfo:  # a rejection says why
        services.perform(rejected.number, Action.REJECT_RETURN, actor=world.dispatcher, note=" ")
    assert "note" in excinfo.value.fields
    rejected = world.act(rejected, Action.REJECT_RETURN)
    assert rejected.state == State.PENDING_SIGN and rejected.department == world.dept_a
    assert rejected.sign_due_at == sign_due  # its clocks never stopped
    assert Action.SIGN in _codes(world.handler_a, rejected)
    rejected = world.act(rejected, Action.SIGN)
    assert rejected.state == State.IN_PROGRESS
    # Nothing to decide any more.
    with pytest.raises(Conflict) as excinfo:
        world.act(rejected, Action.APPROVE_RETURN)
    assert excinfo.value.code == "no_pending_return"


def test_return_reasons_are_checked(world):
    ticket = world.ticket_in(State.IN_PROGRESS)
    with pytest.raises(ValidationFailed) as excinfo:
        world.act(ticket, Action.RETURN, reason_category="不想办")
    assert "reason_category" in excinfo.value.fields
    with pytest.raises(ValidationFailed) as excinfo:
        world.act(ticket, Action.RETURN, reason_category="")
    assert "reason_category" in excinfo.value.fields
    with pytest.raises(ValidationFailed) as excinfo:
        world.act(ticket, Action.RETURN, file=SimpleUploadedFile("x.exe", b"MZ"))
    assert "file" in excinfo.value.fields
    for name, data in (("职责.pdf", b"MZ\x90\x00 a program"), ("照片.jpg", b"%PDF-1.4"), ("说明.txt", b"\x7fELF")):
        with pytest.raises(ValidationFailed) as excinfo:  # renamed: the content says what it is
            world.act(ticket, Action.RETURN, file=SimpleUploadedFile(name, data))
        assert "文件内容与扩展名" in excinfo.value.fields["file"], name
    assert not ReturnRequest.objects.filter(ticket=ticket).exists() and not ticket.attachments.exists()


def test_withdraw_and_invalidate_close_a_pending_return(world):
    ticket = world.act(world.ticket_in(State.PENDING_SIGN), Action.RETURN)
    world.act(ticket, Action.WITHDRAW)
    assert ReturnRequest.objects.get(ticket=ticket).status == ReturnRequest.Status.WITHDRAWN
    other = world.act(world.ticket_in(State.IN_PROGRESS), Action.RETURN)
    world.act(other, Action.INVALIDATE)
    assert ReturnRequest.objects.get(ticket=other).status == ReturnRequest.Status.WITHDRAWN


def test_kpi_attribution_of_upheld_and_rejected_returns(world):
    t0 = datetime(2026, 10, 12, 9, tzinfo=TZ)

    def dispatched(unit):
        with clock.frozen(t0):
            return world.act(world.new_ticket(kind="complaint"), Action.DISPATCH, department=unit)

    upheld = dispatched("B")
    with clock.frozen(t0 + timedelta(minutes=5)):
        services.perform(upheld.number, Action.RETURN, actor=world.handler_b, reason_category="not_ours", reason="非本单位")
    with clock.frozen(t0 + timedelta(minutes=10)):
        services.perform(upheld.number, Action.APPROVE_RETURN, actor=world.dispatcher)
        world.act(upheld, Action.DISPATCH, department="A")
    rejected = dispatched("B")
    with clock.frozen(t0 + timedelta(minutes=5)):
        services.perform(rejected.number, Action.RETURN, actor=world.handler_b, reason_category="wrong_area",
                         reason="不在本辖区")
    with clock.frozen(t0 + timedelta(days=3)):  # long after B's sign limit
        services.perform(rejected.number, Action.REJECT_RETURN, actor=world.dispatcher, note="属本辖区，请办理")
        services.perform(rejected.number, Action.SIGN, actor=world.handler_b)
    october = kpi.Filters(start=date(2026, 10, 1), end=date(2026, 10, 31), period="month", department=world.dept_b)
    b = kpi.summary(october)["counts"]
    assert b["dispatched"] == 1 and b["responded"] == 0  # the rejected one only, late
    a = kpi.summary(kpi.Filters(start=date(2026, 10, 1), end=date(2026, 10, 31), period="month",
                                department=world.dept_a))["counts"]
    assert a["dispatched"] == 1
    assert kpi.verify() == []


def test_dispatcher_worklist_and_unit_lists(world):
    asked = world.act(world.ticket_in(State.PENDING_SIGN), Action.RETURN)
    world.ticket_in(State.PENDING_SIGN)
    dispatcher = worklists.counts(world.dispatcher)
    assert dispatcher["return_review"] == 1 and dispatcher["returned"] == 0
    unit = worklists.counts(world.handler_a)
    assert unit["sign"] == 1 and unit["awaiting"] == 1  # not in 待签收 while the centre decides
    world.act(asked, Action.APPROVE_RETURN)
    dispatcher = worklists.counts(world.dispatcher)
    assert dispatcher["return_review"] == 0 and dispatcher["returned"] == 1


# ---------------------------------------------------------------- 答复审核


def test_without_a_rule_answers_go_straight_on(world):
    ticket = world.ticket_in(State.IN_PROGRESS)
    codes = _codes(world.handler_a, ticket)
    assert Action.REPLY in codes and Action.SUBMIT_REPLY not in codes
    with pytest.raises(Conflict) as excinfo:
        world.act(ticket, Action.SUBMIT_REPLY)
    assert excinfo.value.code == "review_not_required"


def test_a_rule_on_a_parent_category_or_unit_applies_below_it(world):
    from jiesu.tickets.models import ReplyReviewRule

    ticket = world.ticket_in(State.IN_PROGRESS)
    ReplyReviewRule.objects.create(category=world.category.parent or world.category)
    assert services.review_rule(ticket) is not None
    ReplyReviewRule.objects.all().delete()
    at_sub = world.act(ticket, Action.SUBDISPATCH)  # A1 sits under A
    world.review_answers_of(world.dept_a)
    assert services.review_rule(at_sub) is not None
    ReplyReviewRule.objects.update(active=False)
    assert services.review_rule(at_sub) is None


def test_reviewed_answer_dated_when_submitted_and_sent_on_when_approved(world):
    world.review_answers_of()
    ticket = world.ticket_in(State.IN_PROGRESS)
    with pytest.raises(Conflict) as excinfo:
        world.act(ticket, Action.REPLY)
    assert excinfo.value.code == "review_required"
    submitted = clock.now()
    with clock.frozen(submitted):
        ticket = world.act(ticket, Action.SUBMIT_REPLY, contacted_method="phone")
    assert ticket.state == State.IN_PROGRESS and ticket.reply_text == "" and ticket.replied_at is None
    assert ticket.contacted_at == submitted  # the contact it reports stops the 响应 clock at once
    assert _codes(world.handler_a, ticket) == {Action.CONTACT, Action.ATTACH}
    assert {Action.APPROVE_REPLY, Action.REJECT_REPLY} <= _codes(world.supervisor, ticket)
    with clock.frozen(submitted + timedelta(hours=5)):
        ticket = services.perform(ticket.number, Action.APPROVE_REPLY, actor=world.supervisor)
    assert ticket.state == State.PENDING_CALLBACK and ticket.reply_text == "已修复路灯"
    assert ticket.replied_at == submitted and ticket.callback_due_at is not None
    assert ReplyReview.objects.get(ticket=ticket).status == ReplyReview.Status.APPROVED


def test_sent_back_answer_keeps_or_restarts_the_reply_limit_as_the_rule_says(world):
    rule = world.review_answers_of()
    ticket = world.act(world.ticket_in(State.IN_PROGRESS), Action.SUBMIT_REPLY)
    due = ticket.reply_due_at
    later = clock.now() + timedelta(days=7)  # a week on: a fresh limit ends later whatever the day
    with clock.frozen(later):
        ticket = world.act(ticket, Action.REJECT_REPLY)
    assert ticket.state == State.IN_PROGRESS and ticket.reply_due_at == due
    assert ticket.events.order_by("-id").first().data == {"redo": False}
    assert Action.SUBMIT_REPLY in _codes(world.handler_a, ticket)

    rule.sendback_counts_as_redo = True
    rule.save()
    ticket = world.act(world.ticket_in(State.IN_PROGRESS), Action.SUBMIT_REPLY)
    due = ticket.reply_due_at
    with clock.frozen(later):
        ticket = world.act(ticket, Action.REJECT_REPLY)
    assert ticket.reply_due_at > due and ticket.events.order_by("-id").first().data == {"redo": True}
    # Only the send-back the rule counts as 重办 is in the dashboard's 重办 figures.
    day = clock.local_day(later)
    [a] = kpi.redo_figures(kpi.Filters(start=day, end=day, period="day"))
    assert (a["department"], a["redo"], a["sent_back"], a["total"]) == (world.dept_a.name, 0, 1, 1)


def test_approved_answer_reaches_the_merged_tickets(world):
    world.review_answers_of()
    parent = world.act(world.act(world.parent_ticket(), Action.DISPATCH), Action.SIGN)
    child = world.act(world.new_ticket(content="东湖路的路灯还是不亮。", caller_phone="13700137000"), Action.MERGE)
    world.act(parent, Action.SUBMIT_REPLY)
    assert Ticket.objects.get(pk=child.pk).state == State.MERGED  # nothing reaches the callers before review
    world.act(parent, Action.APPROVE_REPLY)
    child = Ticket.objects.get(pk=child.pk)
    assert child.state == State.PENDING_CALLBACK and child.reply_text == "已修复路灯"


def test_review_over_the_api_and_pages(world):
    world.review_answers_of()
    ticket = world.ticket_in(State.IN_PROGRESS)
    unit = Client()
    unit.force_login(world.handler_a)
    page = unit.get(f"/tickets/{ticket.number}/").content.decode()
    assert "本工单的答复须经热线中心审核" in page and f"/tickets/{ticket.number}/act/submit_reply/" in page
    r = unit.post(f"/api/v1/tickets/{ticket.number}/reply", {"reply_text": "已修复", "result": "已解决"},
                  content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "review_required"
    r = unit.post(f"/api/v1/tickets/{ticket.number}/submit-reply", {"reply_text": "已修复", "result": "已解决"},
                  content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    assert r.json()["allowed_actions"] == ["contact", "attach"]
    centre = Client()
    centre.force_login(world.dispatcher)
    page = centre.get(f"/tickets/{ticket.number}/").content.decode()
    assert "答复待审核" in page and "审核通过（转回访）" in page
    r = centre.post(f"/api/v1/tickets/{ticket.number}/reject-reply", {}, content_type="application/json")
    assert r.status_code == 400 and "note" in r.json()["fields"]
    r = centre.post(f"/api/v1/tickets/{ticket.number}/approve-reply", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "pending_callback"


def test_return_over_the_api(world):
    ticket = world.ticket_in(State.PENDING_SIGN)
    unit = Client()
    unit.force_login(world.handler_a)
    r = unit.post(f"/api/v1/tickets/{ticket.number}/return", {"reason": "不归我们"}, content_type="application/json")
    assert r.status_code == 400 and "reason_category" in r.json()["fields"]
    r = unit.post(f"/api/v1/tickets/{ticket.number}/return", {"reason": "不归我们", "reason_category": "属地不符"},
                  content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "pending_sign"
    r = unit.post(f"/api/v1/tickets/{ticket.number}/sign", {}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "return_pending"
    centre = Client()
    centre.force_login(world.dispatcher)
    r = centre.post(f"/api/v1/tickets/{ticket.number}/approve-return", {"note": "同意"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "pending_dispatch"
