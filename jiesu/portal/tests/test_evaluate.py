"""网上评价: the citizen rates a website request's answer; it is its 回访, counted once; phone requests get a call."""

from datetime import timedelta

import pytest
from django.test import Client

from jiesu.core import clock
from jiesu.kpi import services as kpi
from jiesu.notifications.models import Notification
from jiesu.tickets import worklists
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action, State


def _answered(world, **data):
    ticket = world.ticket_in(State.IN_PROGRESS, by=world.website(), channel="web", **data)
    return world.act(ticket, Action.REPLY)


def _rate(ticket, **data):
    return Client().post("/track/rate/", {"number": ticket.number, "code": ticket.query_code, **data})


def test_a_citizen_rates_once_and_it_counts_as_the_callback(world):
    ticket = _answered(world)
    page = Client().post("/track/", {"number": ticket.number, "code": ticket.query_code}).content.decode()
    assert "请对办理结果进行评价" in page
    assert worklists.counts(world.operator)["callback"] == 0  # the citizen rates first: no call yet
    r = _rate(ticket, satisfaction="satisfied", resolved="true", note="很及时")
    assert r.status_code == 200 and "感谢您的评价" in r.content.decode() and "请对办理结果进行评价" not in r.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED and ticket.satisfaction == "satisfied" and ticket.resolved is True
    event = ticket.events.order_by("-id").first()
    assert event.action == Action.EVALUATE and event.data["online"] is True and event.note == "很及时"
    again = _rate(ticket, satisfaction="unsatisfied", resolved="false")
    assert again.status_code == 409
    ticket.refresh_from_db()
    assert ticket.satisfaction == "satisfied"
    today = clock.today()
    counts = kpi.raw_sums(kpi.Filters(start=today - timedelta(days=40), end=today + timedelta(days=40)))
    assert counts["callbacks"] == counts["callbacks_valid"] == counts["satisfied"] == 1


def test_unsatisfied_goes_to_the_supervisors_redo_decision(world):
    ticket = _answered(world)
    assert _rate(ticket, satisfaction="unsatisfied", resolved="false").status_code == 200
    assert Notification.objects.filter(user=world.supervisor, event="unsatisfied", ticket=ticket).exists()
    assert worklists.counts(world.supervisor)["redo_decision"] == 1


def test_bad_ratings_and_wrong_codes_change_nothing(world):
    ticket = _answered(world)
    assert _rate(ticket, satisfaction="", resolved="true").status_code == 400
    assert _rate(ticket, satisfaction="great", resolved="true").status_code == 400
    wrong = Client().post("/track/rate/", {"number": ticket.number, "code": "000000" if ticket.query_code != "000000"
                                           else "111111", "satisfaction": "satisfied", "resolved": "true"})
    assert wrong.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).state == State.PENDING_CALLBACK


def test_after_the_window_an_operator_calls_and_phone_requests_never_rate_online(world, settings):
    ticket = _answered(world)
    with clock.frozen(clock.now() + timedelta(days=settings.JIESU_EVALUATION_DAYS, hours=1)):
        page = Client().post("/track/", {"number": ticket.number, "code": ticket.query_code}).content.decode()
        assert "请对办理结果进行评价" not in page
        r = _rate(ticket, satisfaction="satisfied", resolved="true")
        assert r.status_code == 409 and "评价期已过" in r.content.decode()
        assert worklists.counts(world.operator)["callback"] == 1  # now it is a call to make
    phone = world.ticket_in(State.PENDING_CALLBACK)
    page = Client().post("/track/", {"number": phone.number, "code": phone.query_code}).content.decode()
    assert "请对办理结果进行评价" not in page
    assert _rate(phone, satisfaction="satisfied", resolved="true").status_code in (403, 404)


@pytest.mark.parametrize("resolved", ["maybe", "", "\x00"])
def test_odd_ratings_are_4xx(world, resolved):
    assert _rate(_answered(world), satisfaction="basic", resolved=resolved).status_code in (400, 409)
