"""主办/协办: one lead unit, assisting units with their own parts and limits; the lead answers the caller."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from jiesu.core import clock
from jiesu.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiesu.kpi import services as kpi
from jiesu.notifications.models import Notification
from jiesu.tickets import access, services, worklists
from jiesu.tickets.models import AssistPart, Ticket
from jiesu.tickets.workflow import Action, State

TZ = ZoneInfo("Asia/Shanghai")


def _codes(user, ticket):
    return {t.action for t in access.actions_for(user, Ticket.objects.get(pk=ticket.pk))}


def _jointly(world, **over):
    ticket = world.new_ticket(kind="complaint")
    return services.perform(ticket.number, Action.DISPATCH, actor=world.dispatcher, department="A", assist=["B"],
                            **over)


def test_dispatch_with_an_assisting_unit_gives_it_a_part_with_its_own_limit(world):
    ticket = _jointly(world)
    part = AssistPart.objects.get(ticket=ticket)
    assert ticket.department == world.dept_a and part.department == world.dept_b
    assert part.status == AssistPart.Status.PENDING_SIGN and part.due_at <= ticket.reply_due_at
    # B sees the ticket (callers masked: it does not hold it), signs its part, and cannot act as the lead.
    assert Ticket.objects.visible_to(world.handler_b).filter(pk=ticket.pk).exists()
    assert access.caller_access(world.handler_b, ticket) != "full"
    assert _codes(world.handler_b, ticket) == {Action.SIGN_ASSIST, Action.SUBMIT_ASSIST}
    with pytest.raises(PermissionDenied):
        services.perform(ticket.number, Action.SIGN, actor=world.handler_b)
    services.perform(ticket.number, Action.SIGN_ASSIST, actor=world.handler_b)
    assert _codes(world.handler_b, ticket) == {Action.SUBMIT_ASSIST}
    with pytest.raises(Conflict) as excinfo:  # signed once: a 409 that says so, not a 403
        services.perform(ticket.number, Action.SIGN_ASSIST, actor=world.handler_b)
    assert excinfo.value.code == "assist_closed"
    ticket = services.perform(ticket.number, Action.SUBMIT_ASSIST, actor=world.handler_b, text="乙局：线路已检修")
    part.refresh_from_db()
    assert part.status == AssistPart.Status.SUBMITTED and part.on_time and part.text == "乙局：线路已检修"
    assert ticket.state == State.PENDING_SIGN  # the ticket's state is the lead's
    assert _codes(world.handler_b, ticket) == set()
    with pytest.raises(Conflict) as excinfo:  # sent once
        services.perform(ticket.number, Action.SUBMIT_ASSIST, actor=world.handler_b, text="再发一次")
    assert excinfo.value.code == "assist_closed"
    # The lead was told; the part is in B's 我的待办 only while open.
    assert Notification.objects.filter(user=world.handler_a, event="assist_done", ticket=ticket).exists()
    assert worklists.counts(world.handler_b)["assist"] == 0


def test_bad_assisting_units_are_refused_and_nothing_is_written(world):
    ticket = world.new_ticket(kind="complaint")
    for assist, message in ((["A"], "主办单位"), (["NOPE"], "不存在"), (["HOT"], "热线")):
        with pytest.raises(ValidationFailed) as excinfo:
            services.perform(ticket.number, Action.DISPATCH, actor=world.dispatcher, department="A", assist=assist)
        assert message in excinfo.value.fields["assist"], assist
    assert Ticket.objects.get(pk=ticket.pk).state == State.PENDING_DISPATCH
    assert not AssistPart.objects.exists()
    ticket = _jointly(world)
    with pytest.raises(Conflict) as excinfo:  # already assisting
        world.act(ticket, Action.ADD_ASSIST, assist=["B"])
    assert excinfo.value.code == "already_assisting"


def test_the_lead_answers_and_open_parts_end_unsubmitted_only_when_overdue(world):
    early = world.act(world.act(_jointly(world), Action.SIGN), Action.REPLY)  # before the part was due
    assert early.state == State.PENDING_CALLBACK
    assert AssistPart.objects.get(ticket=early).status == AssistPart.Status.NOT_NEEDED
    assert _codes(world.handler_b, early) == set()
    late = world.act(_jointly(world), Action.SIGN)
    with clock.frozen(AssistPart.objects.get(ticket=late).due_at + timedelta(minutes=1)):
        world.act(late, Action.REPLY)
    assert AssistPart.objects.get(ticket=late).status == AssistPart.Status.UNSUBMITTED


def test_withdraw_and_upheld_return_close_the_parts(world):
    ticket = _jointly(world)
    world.act(ticket, Action.WITHDRAW)
    assert AssistPart.objects.get(ticket=ticket).status == AssistPart.Status.WITHDRAWN
    ticket = _jointly(world)
    world.give_back(ticket)
    assert AssistPart.objects.get(ticket=ticket).status == AssistPart.Status.WITHDRAWN


def test_assisting_units_are_measured_on_their_parts_and_the_ticket_counts_for_the_lead(world):
    t0 = datetime(2026, 10, 12, 9, tzinfo=TZ)
    with clock.frozen(t0):
        on_time = _jointly(world)
        late = _jointly(world)
        missed = _jointly(world)
    with clock.frozen(t0 + timedelta(hours=2)):
        services.perform(on_time.number, Action.SUBMIT_ASSIST, actor=world.handler_b, text="已核实")
    with clock.frozen(t0 + timedelta(days=9)):  # past the 3 working days
        services.perform(late.number, Action.SUBMIT_ASSIST, actor=world.handler_b, text="迟到的意见")
        world.act(world.act(missed, Action.SIGN), Action.REPLY)
    with clock.frozen(t0 + timedelta(hours=3)):  # the lead did not wait for a part not yet due: not measured
        not_needed = _jointly(world)
        world.act(world.act(not_needed, Action.SIGN), Action.REPLY)
        _jointly(world)  # open, not yet due when counted below: not measured either
    october = dict(start=date(2026, 10, 1), end=date(2026, 10, 31), period="month")
    with clock.frozen(t0 + timedelta(hours=4)):
        [b] = kpi.assist_figures(kpi.Filters(**october))
    assert (b["department"], b["due"], b["submitted"], b["on_time"], b["missed"]) == ("乙局", 3, 2, 1, 1)
    assert b["rate"] == pytest.approx(1 / 3)
    assert kpi.summary(kpi.Filters(**october, department=world.dept_b))["counts"]["dispatched"] == 0
    assert kpi.summary(kpi.Filters(**october, department=world.dept_a))["counts"]["dispatched"] == 5


def test_joint_handling_over_the_api_and_pages(world):
    ticket = world.new_ticket(kind="complaint")
    centre = Client()
    centre.force_login(world.dispatcher)
    r = centre.post(f"/api/v1/tickets/{ticket.number}/dispatch", {"department": "A", "assist": ["B"]},
                    content_type="application/json")
    assert r.status_code == 200
    [part] = r.json()["assists"]
    assert part["department"]["code"] == "B" and part["status"] == "pending_sign" and part["on_time"] is None
    unit_b = Client()
    unit_b.force_login(world.handler_b)
    page = unit_b.get(f"/tickets/{ticket.number}/").content.decode()
    assert "本单位为该工单的<strong>协办单位</strong>" in page and "签收协办" in page and "提交协办意见" in page
    r = unit_b.post(f"/api/v1/tickets/{ticket.number}/submit-assist", {"text": " "}, content_type="application/json")
    assert r.status_code == 400 and "text" in r.json()["fields"]
    r = unit_b.post(f"/api/v1/tickets/{ticket.number}/submit-assist", {"text": "已核实，属实"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["assists"][0]["status"] == "submitted"
    lead = Client()
    lead.force_login(world.handler_a)
    page = lead.get(f"/tickets/{ticket.number}/").content.decode()
    assert "主办 / 协办" in page and "已核实，属实" in page
    todo = unit_b.get("/todo/").content.decode()
    assert "协办待反馈" in todo
