from io import StringIO

import pytest
from django.core.management import call_command

from jiesu.demo.data import DIRECT_TEXTS, PETITIONS, POLICE_IN, POLICE_OUT, PROPOSALS, REPEATS, WAGES
from jiesu.directory.models import Category, Department, Region, Role, StaffRole
from jiesu.hotspots.models import HotspotRun
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import State

SPECIAL = len(POLICE_IN) + len(POLICE_OUT) + len(WAGES) + len(PETITIONS)  # 110联动, 欠薪线索, 信访代办


@pytest.mark.django_db
def test_seed_demo_builds_a_district_with_tickets_in_every_state_and_is_idempotent():
    out = StringIO()
    call_command("seed_demo", tickets=160, stdout=out)
    assert Department.objects.count() >= 20
    assert Region.objects.filter(level=Region.Level.STREET).count() == 10
    assert Category.objects.count() >= 60
    assert {r for r in StaffRole.objects.values_list("role", flat=True)} == set(Role.values)
    assert set(Ticket.objects.values_list("state", flat=True)) == set(State.values)
    assert "huawu" in out.getvalue() and "jiesu12345" in out.getvalue()
    call_command("seed_demo", stdout=StringIO())
    assert Ticket.objects.count() == 160 + len(REPEATS) + len(DIRECT_TEXTS) + len(PROPOSALS) + SPECIAL
    assert Ticket.objects.filter(repeat_of__isnull=False).exists()
    from jiesu.channels.models import Proposal
    from jiesu.enterprise.models import Evaluation

    assert set(Proposal.objects.values_list("ticket__state", flat=True)) >= {"pending_dispatch", "closed"}
    assert Evaluation.objects.filter(status="closed").count() == 1  # one finished 百企评机关
    assert HotspotRun.objects.filter(kind="trailing").get().hotspots.filter(topic__contains="滨江一号小区").exists()


@pytest.mark.django_db
def test_seed_demo_as_make_demo_runs_it_with_auto_dispatch(settings):
    settings.JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD = 0.8
    call_command("seed_demo", tickets=60, stdout=StringIO())
    auto = Ticket.objects.filter(events__action="dispatch", events__actor__username="router").distinct()
    assert auto.exists()
    assert Ticket.objects.count() == 60 + len(REPEATS) + len(DIRECT_TEXTS) + len(PROPOSALS) + SPECIAL
