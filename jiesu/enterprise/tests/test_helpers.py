"""帮办代办: who a 帮办员 may see (their enterprises' 政企直通车 requests, their matters, nothing else), what they are
told, their 走访记录, the ledger, and who assigns them."""

from datetime import timedelta

import pytest
from django.test import Client

from jiesu.core import clock
from jiesu.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiesu.directory.tests.factories import make_staff
from jiesu.enterprise import helpers
from jiesu.enterprise.models import Visit
from jiesu.enterprise.tests.test_direct import CODE, OTHER, PHONE, firm  # noqa: F401 - fixture
from jiesu.notifications.models import Notification
from jiesu.tickets import access
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action


@pytest.fixture
def helper(world, firm):  # noqa: F811
    user = make_staff("helper", world.dept_b, username="bangban", first_name="周帮办")
    helpers.assign(world.supervisor, CODE, "bangban")
    return user


def _filed(world, credit_code=CODE, channel="enterprise", **data):
    return world.new_ticket(channel=channel, credit_code=credit_code, kind="help", **data)


def test_a_helper_sees_their_enterprises_requests_and_nothing_else(world, helper):
    mine = _filed(world)
    about = _filed(world, channel="phone")  # names the enterprise, not filed by it
    theirs = _filed(world, credit_code=OTHER)
    plain = world.new_ticket()
    visible = set(Ticket.objects.visible_to(helper).values_list("number", flat=True))
    assert visible == {mine.number}
    assert access.readable_among(helper, Ticket.objects.values("id", "state", "created_by_id", "channel")) == {mine.pk}
    # A matter of the other enterprise, assigned to them alone.
    helpers.assign(world.admin, OTHER, "bangban", theirs.number)
    assert set(Ticket.objects.visible_to(helper).values_list("number", flat=True)) == {mine.number, theirs.number}
    client = Client()
    client.force_login(helper)
    assert client.get(f"/tickets/{mine.number}/").status_code == 200
    for t in (about, plain):
        assert client.get(f"/tickets/{t.number}/").status_code == 404
    # They see the contact (to call them), and each look is recorded; 保密 callers never.
    assert access.caller_access(helper, mine) == "logged"
    assert access.caller_access(helper, _filed(world, caller_confidential=True)) == "masked"


def test_an_ended_assignment_takes_the_view_away(world, helper):
    mine = _filed(world)
    assignment = helper.helper_assignments.get()
    helpers.end(world.supervisor, assignment.pk)
    assert not Ticket.objects.visible_to(helper).filter(pk=mine.pk).exists()
    with pytest.raises(Conflict):
        helpers.end(world.supervisor, assignment.pk)


def test_only_the_centre_assigns_and_only_helpers_are_assigned(world, helper):
    with pytest.raises(PermissionDenied):
        helpers.assign(world.handler_a, CODE, "bangban")
    with pytest.raises(ValidationFailed):
        helpers.assign(world.supervisor, CODE, "handler_a")  # not a 帮办员
    with pytest.raises(Conflict):
        helpers.assign(world.supervisor, CODE, "bangban")  # already
    with pytest.raises(ValidationFailed):
        helpers.assign(world.supervisor, CODE, "bangban", world.new_ticket().number)  # not its matter


def test_the_helper_is_told_of_progress_of_their_enterprises_matters_only(world, helper):
    ticket = _filed(world)
    world.act(ticket, Action.DISPATCH)
    told = Notification.objects.get(user=helper, event="helped_matter")
    assert told.ticket_id == ticket.pk and "已派至甲委员会办理" in told.body
    plain = world.new_ticket()
    before = Notification.objects.filter(user=helper).count()
    world.act(plain, Action.DISPATCH)
    assert Notification.objects.filter(user=helper).count() == before


def test_visits_are_logged_by_the_enterprises_own_helper(world, helper):
    ticket = _filed(world)
    today = clock.today()
    visit = helpers.log_visit(helper, CODE, {"visited_on": today.isoformat(), "form": "visit",
                                             "note": "上门了解拖欠工程款情况，企业提供了合同和验收单。", "number": ticket.number})
    assert visit.ticket == ticket
    with pytest.raises(ValidationFailed) as bad:
        helpers.log_visit(helper, CODE, {"visited_on": (today + timedelta(days=1)).isoformat(), "form": "fax",
                                         "note": ""})
    assert set(bad.value.fields) == {"visited_on", "form", "note"}
    with pytest.raises(PermissionDenied):
        helpers.log_visit(world.handler_a, CODE, {"visited_on": today.isoformat(), "form": "phone", "note": "x"})
    with pytest.raises(PermissionDenied):
        helpers.log_visit(helper, OTHER, {"visited_on": today.isoformat(), "form": "phone", "note": "x"})
    assert Visit.objects.count() == 1


def test_the_ledger_lists_what_was_asked_who_handled_it_and_how_it_ended(world, helper):
    done = world.act(world.act(world.act(_filed(world), Action.DISPATCH), Action.SIGN), Action.REPLY)
    _filed(world)
    client = Client()
    client.force_login(helper)
    page = client.get(f"/enterprises/{CODE}/").content.decode()
    assert done.number in page and "甲委员会" in page and "已解决" in page and "周帮办" in page
    assert "全部诉求" in page and "保存走访记录" in page and "指派帮办员" not in page
    assert "138****8001" not in page and PHONE in page  # a 帮办员 calls the contact: raw
    leader = make_staff("leader", world.hotline, username="lingdao")
    seen = Client()
    seen.force_login(leader)
    page = seen.get(f"/enterprises/{CODE}/").content.decode()
    assert done.number in page and "138****8001" in page and PHONE not in page and "保存走访记录" not in page
    other = Client()
    other.force_login(world.handler_a)
    assert other.get(f"/enterprises/{CODE}/").status_code == 404
    assert other.get("/enterprises/").status_code == 403
    index = client.get("/enterprises/").content.decode()
    assert "江州明湖示范科技有限公司" in index and "江州东湖物流有限公司" not in index


def test_the_enterprise_sees_who_its_helper_is(world, helper):
    from jiesu.directory.models import Staff

    Staff.objects.filter(user=helper).update(phone="0591-12345678")
    from jiesu.enterprise.tests.test_direct import _signed_in

    page = _signed_in().get("/qiye/").content.decode()
    assert "您的帮办员" in page and "周帮办" in page and "0591-12345678" in page

