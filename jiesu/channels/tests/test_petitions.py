"""信访代办: the 信访办 registers a matter with its 代办员 and unit; only those who handle it see it (not the centre,
not leaders, not other units or agents; never Open311 or the public letters); the 代办员 logs visits, records 事了
and 心解 apart — which alone closes it — and the 跟踪回访 falls due; 重办 reopens it; the figures."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from jiesu.channels import petitions
from jiesu.channels.models import Petition, PetitionVisit
from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiesu.directory.tests.factories import make_staff
from jiesu.tickets import services as tickets
from jiesu.tickets import worklists
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action, State


@pytest.fixture
def office(world):
    return make_staff("petition", world.hotline, username="xinfang")


@pytest.fixture
def agent(world):
    return make_staff("petition_agent", world.dept_a, username="daiban")


def _register(office, agent_user, **data):
    return petitions.register(office, {
        "form": "visit", "kind": "complaint", "content": "反映小区加装电梯因低层住户反对停滞两年，多次反映未果。",
        "caller_name": "钱女士", "caller_phone": "13700001111", "agent": agent_user.username,
        "department": "B", "case_number": "XF2026-001", **data})


def _visit(agent, number, kind="visit", **data):
    return petitions.log_visit(agent, number, {"kind": kind, "held_on": f"{clock.today():%Y-%m-%d}",
                                               "note": "上门了解情况", **data})


def _answered(world, office, agent, **data):
    petition = _register(office, agent, **data)
    number = petition.ticket.number
    tickets.perform(number, Action.SIGN, actor=world.handler_b)
    tickets.perform(number, Action.REPLY, actor=world.handler_b, result="resolved", reply_text="已协调推进加装电梯。")
    return number


def _conclude(agent, number, settled="yes", accepted="yes"):
    return petitions.conclude(agent, number, {"settled": settled, "accepted": accepted, "settled_note": "已落实",
                                              "accepted_note": "信访人认可"})


def test_registration_hands_it_over_on_the_60_day_rule(world, office, agent):
    petition = _register(office, agent)
    ticket = petition.ticket
    assert (ticket.channel, ticket.state, ticket.department_id, ticket.sms_opt_out) == (
        "petition", State.PENDING_SIGN, world.dept_b.pk, True)
    assert (petition.agent, petition.form, petition.case_number) == (agent, "visit", "XF2026-001")
    assert ticket.sla_rule.name == "信访事项"
    assert (ticket.sla_rule.reply_limit, ticket.sla_rule.reply_unit) == (60, "calendar_days")
    assert ticket.department_id and not ticket.events.filter(actor__username="router").exists()  # never 智能派单


@pytest.mark.parametrize("data, field", [
    ({"form": "fax"}, "form"), ({"agent": "nobody"}, "agent"), ({"caller_phone": ""}, "caller_phone"),
    ({"kind": "consult"}, "kind"), ({"department": "HOT"}, "department"), ({"content": ""}, "content"),
])
def test_registration_is_checked(world, office, agent, data, field):
    with pytest.raises(ValidationFailed) as refused:
        _register(office, agent, **data)
    assert field in refused.value.fields
    assert not Ticket.objects.exists() and not Petition.objects.exists()


def test_only_the_petition_office_registers_and_nobody_files_the_channel_otherwise(world, agent):
    with pytest.raises(PermissionDenied):
        _register(world.dispatcher, agent)
    with pytest.raises(ValidationFailed) as refused:
        world.new_ticket(channel="petition")
    assert "channel" in refused.value.fields


def test_only_those_who_handle_it_see_it(world, office, agent):
    number = _register(office, agent).ticket.number
    other_agent = make_staff("petition_agent", world.dept_b, username="daiban2")
    leader = make_staff("leader", world.hotline, username="lingdao")
    for user in (office, agent, world.handler_b):
        assert Ticket.objects.visible_to(user).filter(number=number).exists(), user
    for user in (world.dispatcher, world.supervisor, world.admin, leader, world.operator, world.handler_a,
                 other_agent):
        assert not Ticket.objects.visible_to(user).filter(number=number).exists(), user
    ordinary = world.new_ticket()
    assert Ticket.objects.visible_to(world.dispatcher).filter(pk=ordinary.pk).exists()
    assert not Ticket.objects.visible_to(office).filter(pk=ordinary.pk).exists()  # the 信访办: 信访事项 only
    centre = Client()
    centre.force_login(world.dispatcher)
    assert centre.get(reverse("ticket_detail", args=[number])).status_code == 404
    assert number not in centre.get(reverse("ticket_list")).content.decode()
    assert centre.get(reverse("petition_list")).status_code == 403
    # another 代办员 on another matter
    with pytest.raises(NotFound):
        petitions.get(other_agent, number)
    # reassigned: the new 代办员 sees it, the old one no longer
    petitions.reassign(office, number, other_agent.username)
    assert Ticket.objects.visible_to(other_agent).filter(number=number).exists()
    assert not Ticket.objects.visible_to(agent).filter(number=number).exists()


def test_never_published(world, office, agent, settings):
    from jiesu.open311.services import Open311Error, one_request
    from jiesu.portal.services import letters

    settings.JIESU_PUBLIC_LETTERS = True
    number = _answered(world, office, agent)
    Ticket.objects.filter(number=number).update(public=True)
    assert number not in [letter.number for letter in letters()[0]]
    with pytest.raises(Open311Error):
        one_request(number)


def test_the_agent_visits_concludes_and_follows_up(world, office, agent):
    number = _answered(world, office, agent)
    # nobody else closes it: not an ordinary 回访, not before a visit
    with pytest.raises(Conflict) as refused:
        tickets.perform(number, Action.CALLBACK, actor=agent, status="reached", satisfaction="satisfied",
                        resolved=True)
    assert refused.value.code == "petition_not_concluded"
    with pytest.raises(Conflict) as no_visit:
        _conclude(agent, number)
    assert no_visit.value.code == "petition_no_visit"
    with pytest.raises(PermissionDenied):
        _visit(office, number)  # the 代办员's own record
    with pytest.raises(ValidationFailed):
        _visit(agent, number, held_on=f"{clock.today() + timedelta(days=1):%Y-%m-%d}")
    with pytest.raises(Conflict):
        _visit(agent, number, kind="follow_up")  # only after closing
    _visit(agent, number, kind="accompany")
    with pytest.raises(ValidationFailed) as both:
        petitions.conclude(agent, number, {"settled": "yes"})
    assert {"accepted", "settled_note", "accepted_note"} <= set(both.value.fields)
    petition = _conclude(agent, number, settled="yes", accepted="partly")
    ticket = petition.ticket
    ticket.refresh_from_db()
    assert (ticket.state, ticket.callback_status, ticket.satisfaction, ticket.resolved) == (
        State.CLOSED, "reached", "basic", True)
    assert (petition.settled, petition.accepted) == ("yes", "partly")
    assert petition.follow_up_due == clock.today() + timedelta(days=30)
    with pytest.raises(Conflict):
        _visit(agent, number)  # closed: only the 跟踪回访
    later = clock.now() + timedelta(days=31)
    with clock.frozen(later):
        assert worklists.counts(agent)["petition_follow_up"] == 1
        _visit(agent, number, kind="follow_up", note="跟踪回访：已落实，生活正常")
        assert worklists.counts(agent)["petition_follow_up"] == 0
    assert Petition.objects.get().followed_up_at is not None


def test_redo_reopens_the_conclusion(world, office, agent):
    number = _answered(world, office, agent)
    _visit(agent, number)
    _conclude(agent, number, settled="no", accepted="no")
    tickets.perform(number, Action.REDO, actor=office, note="事未了，请重新办理")
    petition = Petition.objects.get()
    assert (petition.concluded_at, petition.settled, petition.follow_up_due) == (None, "", None)
    assert Ticket.objects.get().state == State.IN_PROGRESS


def test_worklists_and_figures(world, office, agent):
    new = petitions.register(office, {"form": "letter", "content": "来信反映噪音", "caller_name": "孙先生",
                                      "caller_phone": "13700002222", "agent": agent.username})
    assert worklists.counts(office)["petition_dispatch"] == 1
    answered = _answered(world, office, agent)
    counts = worklists.counts(agent)
    assert counts["petition_visit"] == 1 and counts["petition_conclude"] == 1  # the new one is not visited yet
    _visit(agent, answered)
    _conclude(agent, answered, settled="yes", accepted="yes")
    total, lines = petitions.figures(petitions.visible(office))
    assert (total.matters, total.concluded, total.both, total.visits) == (2, 1, 1, 1)
    assert total.both_rate == 1.0 and total.on_time_rate == 1.0
    assert [line.label for line in lines] == [agent.get_full_name() or agent.username]
    assert new.ticket.state == State.PENDING_DISPATCH


def test_the_pages(world, office, agent):
    page = Client()
    page.force_login(office)
    form = page.get(reverse("petition_new")).content.decode()
    assert 'name="agent"' in form and "daiban" in form
    refused = page.post(reverse("petition_new"), {"form": "visit", "content": "x"})
    assert refused.status_code == 400 and "代办员" in refused.content.decode()
    made = page.post(reverse("petition_new"), {"form": "visit", "kind": "complaint", "content": "反映物业问题",
                                               "caller_name": "钱女士", "caller_phone": "13700001111",
                                               "agent": "daiban", "department": "B"})
    number = Petition.objects.get().ticket.number
    assert made.status_code == 302 and number in made["Location"]
    listing = page.get(reverse("petition_list")).content.decode()
    assert 'id="petition-figures"' in listing and number in listing
    mine = Client()
    mine.force_login(agent)
    detail = mine.get(reverse("petition_detail", args=[number])).content.decode()
    assert 'id="petition-visit-form"' in detail and "13700001111" in detail  # the 代办员 calls the person
    bad = mine.post(reverse("petition_action", args=[number, "visit"]), {"kind": "visit", "held_on": "x"})
    assert bad.status_code == 400 and "有效日期" in bad.content.decode()
    mine.post(reverse("petition_action", args=[number, "visit"]),
              {"kind": "visit", "held_on": f"{clock.today():%Y-%m-%d}", "note": "上门走访"})
    assert PetitionVisit.objects.count() == 1
    assert mine.post(reverse("petition_action", args=[number, "nope"])).status_code == 404
    ticket_page = mine.get(reverse("ticket_detail", args=[number])).content.decode()
    assert 'id="petition-link"' in ticket_page


def test_the_dashboard_counts_them_without_showing_them(world, office, agent):
    from jiesu.kpi import services as kpi

    number = _register(office, agent).ticket.number
    filters = kpi.parse_filters({})
    line = next(r for r in kpi.breakdown(filters, "channel") if r["member"] == "petition")
    assert line["label"] == "信访" and line["counts"]["dispatched"] == 1
    leader = make_staff("leader", world.hotline, username="lingdao")
    drill = Client()
    drill.force_login(leader)
    listed = drill.get(reverse("kpi_tickets") + "?count=dispatched&channel=petition").content.decode()
    assert number not in listed


def test_no_duplicate_look_up_merge_or_tracking_reaches_one(world, office, agent):
    from jiesu.hotspots.models import DuplicateMatch
    from jiesu.portal.services import track

    petition = _register(office, agent, content="幸福里小区3号楼加装电梯被一楼住户阻挠，工程停滞两年")
    number = petition.ticket.number
    # the same person calls the hotline about the same matter: no 疑似重复, no 重复来电 to the hidden matter
    call = world.new_ticket(content="幸福里小区3号楼加装电梯被一楼住户阻挠，工程停滞两年", caller_phone="13700001111")
    assert call.repeat_of_id is None
    assert not DuplicateMatch.objects.filter(other__number=number).exists()
    assert not DuplicateMatch.objects.filter(ticket__number=number).exists()
    # nor merged into it by number (its existence and state untold)
    with pytest.raises(ValidationFailed) as hidden:
        tickets.perform(call.number, Action.MERGE, actor=world.dispatcher, parent=number)
    assert "无权查看" in hidden.value.fields["parent"]
    # the hotline's public tracking page does not show it, code or not
    assert track(number, Ticket.objects.get(number=number).query_code) is None


def test_the_centres_part_of_notices_goes_to_the_petition_office(world, office, agent):
    from jiesu.notifications.models import Notification
    from jiesu.sla import services as sla

    leader = make_staff("leader", world.dept_b, username="leader_b")
    number = _answered(world, office, agent)
    _visit(agent, number)
    _conclude(agent, number, settled="no", accepted="no")  # 不认可: the 回访不满意 notice
    told = set(Notification.objects.filter(ticket__number=number).values_list("user__username", flat=True))
    assert "xinfang" in told and world.supervisor.username not in told
    # an escalation of a 信访事项 long overdue: the unit and the 信访办, not 督办员 or leaders
    fresh = _register(office, agent, case_number="XF2026-002").ticket
    Notification.objects.all().delete()
    sla.sweep(fresh.sign_due_at + timedelta(days=60))
    told = set(Notification.objects.filter(ticket=fresh, event="escalate").values_list("user__username", flat=True))
    assert told and world.supervisor.username not in told and leader.username not in told
    assert "xinfang" in told


def test_the_follow_up_is_not_the_day_of_closing(world, office, agent):
    number = _answered(world, office, agent)
    _visit(agent, number)
    _conclude(agent, number)
    with pytest.raises(Conflict) as early:
        _visit(agent, number, kind="follow_up")
    assert early.value.code == "petition_follow_up_early"
