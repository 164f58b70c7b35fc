"""Deadlines on tickets: rule matching, the clocks each action starts or stops, SLA status and its filter."""

from datetime import date, datetime, timedelta

import pytest
from django.test import Client

from jiesu.core import clock
from jiesu.directory.tests.factories import make_staff
from jiesu.sla import services as sla
from jiesu.sla.calendar import SHANGHAI
from jiesu.sla.models import CalendarDay, TimeLimitRule
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action, State


def at(y, m, d, h=0, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


@pytest.fixture
def spring_festival_2025(db):
    for d in [date(2025, 1, 28 + i) for i in range(4)] + [date(2025, 2, i) for i in range(1, 5)]:
        CalendarDay.objects.create(day=d, type=CalendarDay.Type.HOLIDAY, name="春节")
    for d in (date(2025, 1, 26), date(2025, 2, 8)):
        CalendarDay.objects.create(day=d, type=CalendarDay.Type.MAKEUP, name="春节")
    sla.invalidate()
    yield
    sla.invalidate()


def _rule_name(world, **data):
    ticket = world.new_ticket(**data)
    return sla.rule_for(ticket).name


def test_default_rules_and_the_most_specific_wins(world):
    assert _rule_name(world, kind="complaint") == "一般诉求"
    assert _rule_name(world, kind="consult") == "咨询"
    assert _rule_name(world, kind="complaint", urgency="urgent") == "紧急（水电气热等时效性强）"
    assert _rule_name(world, kind="consult", urgency="critical") == "特急（突发、危及生命财产安全）"
    assert _rule_name(world, by=make_staff("liaison", world.hotline), kind="suggestion", channel="npc", caller_phone="") == "人大代表建议"
    # A rule for one category beats the general ones; it applies to sub-categories too.
    TimeLimitRule.objects.create(
        name="路灯", category=world.category.parent, sign_limit=1, sign_unit="clock_hours", contact_limit=1,
        contact_unit="clock_hours", reply_limit=3, reply_unit="working_days", callback_limit=1,
        callback_unit="working_days",
    )
    sla.invalidate()
    assert _rule_name(world, kind="complaint") == "路灯"


def test_enterprise_requests_get_the_stricter_rule_unless_their_own_is_more_specific(world):
    enterprise = {"enterprise_name": "江州明湖示范科技有限公司", "credit_code": "91350100M000100Y43"}
    assert _rule_name(world, kind="complaint", **enterprise) == "涉企诉求"
    assert _rule_name(world, kind="help", channel="enterprise") == "涉企诉求"  # 政企直通车 without a code
    assert _rule_name(world, kind="consult", **enterprise) == "咨询"  # one working day is stricter still
    assert _rule_name(world, kind="complaint", urgency="urgent", **enterprise) == "紧急（水电气热等时效性强）"
    ticket = world.new_ticket(kind="complaint", **enterprise)
    world.act(ticket, Action.DISPATCH)
    ticket.refresh_from_db()
    assert ticket.sla_rule.name == "涉企诉求"
    cal = sla.working_calendar()
    assert ticket.reply_due_at == cal.add_working_days(ticket.dispatched_at, 5)
    assert ticket.sign_due_at == ticket.dispatched_at + timedelta(hours=1)
    # A rule may also say 非涉企 (enterprise=False): then it passes enterprise requests by.
    TimeLimitRule.objects.create(
        name="投诉（非涉企）", kind="complaint", enterprise=False, priority=9, sign_limit=2, sign_unit="clock_hours",
        contact_limit=24, contact_unit="clock_hours", reply_limit=10, reply_unit="working_days", callback_limit=2,
        callback_unit="working_days")
    sla.invalidate()
    assert _rule_name(world, kind="complaint") == "投诉（非涉企）"
    assert _rule_name(world, kind="complaint", **enterprise) == "涉企诉求"


def test_dispatch_sets_deadlines_on_the_working_day_calendar(world, spring_festival_2025):
    with clock.frozen(at(2025, 1, 27, 15)):  # the afternoon before 除夕
        ticket = world.new_ticket(kind="complaint")
        ticket = world.act(ticket, Action.DISPATCH)
    assert ticket.sla_rule.name == "一般诉求"
    assert ticket.sign_due_at == at(2025, 1, 27, 17)  # 2 clock hours
    assert ticket.contact_due_at == at(2025, 1, 28, 15)  # 24 clock hours, holiday or not
    # 7 working days: 1/27 (rest of day), then 2/5, 2/6, 2/7, 2/8 (Saturday, make-up), 2/10, 2/11, 2/12 15:00.
    assert ticket.reply_due_at == at(2025, 2, 12, 15)
    # 临期 20% before the end (1.4 working days), earlier than the 4-working-hour mark.
    assert ticket.reply_warn_at == at(2025, 2, 11, 5, 24)


def test_complex_flag_on_dispatch_gives_fifteen_working_days(world):
    with clock.frozen(at(2025, 3, 3, 10)):
        ticket = world.act(world.new_ticket(kind="complaint"), Action.DISPATCH, is_complex=True)
    assert ticket.is_complex and ticket.sla_rule.name == "复杂疑难"
    assert ticket.reply_due_at == at(2025, 3, 24, 10)


def test_subdispatch_restarts_only_the_sign_clock_and_contact_stops_the_response_clock(world):
    ticket = world.ticket_in(State.IN_PROGRESS)
    reply_due, contact_due = ticket.reply_due_at, ticket.contact_due_at
    ticket = world.act(ticket, Action.SUBDISPATCH)
    assert (ticket.reply_due_at, ticket.contact_due_at) == (reply_due, contact_due)
    assert ticket.sign_due_at > ticket.dispatched_at
    from jiesu.tickets import services

    ticket = services.perform(ticket.number, Action.SIGN, actor=world.handler_a_sub)
    ticket = services.perform(ticket.number, Action.CONTACT, actor=world.handler_a_sub, method="电话")
    first = ticket.contacted_at
    ticket = services.perform(ticket.number, Action.CONTACT, actor=world.handler_a_sub, method="visit")
    assert ticket.contacted_at == first  # the first contact is what counts
    assert [s.clock for s in sla.running_clocks(ticket, clock.now())] == ["reply"]


def test_reply_starts_the_callback_clock_and_redo_restarts_the_reply_clock(world):
    ticket = world.ticket_in(State.PENDING_CALLBACK)
    assert ticket.callback_due_at is not None
    ticket = world.act(ticket, Action.CALLBACK)
    ticket = world.act(ticket, Action.REDO)
    assert ticket.callback_due_at is None and ticket.reply_due_at > ticket.dispatched_at


def test_approved_extension_moves_the_deadline_and_its_warning(world):
    ticket = world.ticket_in(State.IN_PROGRESS)
    ticket = world.act(ticket, Action.REQUEST_EXTENSION, due_at="2099-01-31")
    ticket = world.act(ticket, Action.APPROVE_EXTENSION)
    assert ticket.reply_due_at.astimezone(SHANGHAI).date() == date(2099, 1, 31)
    assert ticket.reply_warn_at < ticket.reply_due_at


def test_extension_refused_after_the_deadline(world):
    ticket = world.ticket_in(State.IN_PROGRESS)
    with clock.frozen(ticket.reply_due_at + timedelta(minutes=1)):
        from jiesu.core.errors import Conflict

        with pytest.raises(Conflict) as excinfo:
            world.act(ticket, Action.REQUEST_EXTENSION, due_at="2099-01-31")
    assert excinfo.value.code == "deadline_passed"


def test_status_in_python_and_in_the_database_agree(world):
    tickets = [world.ticket_in(State.PENDING_SIGN), world.ticket_in(State.IN_PROGRESS),
               world.ticket_in(State.PENDING_CALLBACK), world.ticket_in(State.CLOSED),
               world.ticket_in(State.PENDING_DISPATCH)]
    base = tickets[0].created_at
    for hours in (0, 1, 3, 20, 30, 60, 24 * 5):
        now = base + timedelta(hours=hours)
        for status in ("normal", "warning", "overdue"):
            in_db = set(Ticket.objects.filter(sla.status_q(status, now)).values_list("pk", flat=True))
            in_python = {
                t.pk for t in Ticket.objects.all()
                if (w := sla.worst_clock(t, now)) is not None and w.status == status
            }
            assert in_db - {tickets[3].pk, tickets[4].pk} == in_python, (hours, status)


def test_list_filter_and_api_field(world):
    pending = world.ticket_in(State.PENDING_SIGN)
    with clock.frozen(pending.sign_due_at + timedelta(minutes=5)):
        client = Client()
        client.force_login(world.dispatcher)
        rows = client.get("/api/v1/tickets?sla=overdue").json()["results"]
        assert [(r["number"], r["sla_status"], r["sla_clock"]) for r in rows] == [(pending.number, "overdue", "sign")]
        assert client.get("/api/v1/tickets?sla=late").status_code == 400
        page = client.get("/tickets/?sla=overdue").content.decode()
        assert pending.number in page and "签收·超期" in page
        detail = client.get(f"/tickets/{pending.number}/").content.decode()
        assert "办理时限" in detail and "超期 5分" in detail
