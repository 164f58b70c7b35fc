"""The rates computed by hand on a crafted set of tickets, and the rollup checked against raw tickets."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiesu.core import clock
from jiesu.core.errors import ValidationFailed
from jiesu.kpi import services
from jiesu.kpi.definitions import COUNTS, RATES, target
from jiesu.kpi.models import KpiDaily, KpiTarget
from jiesu.tickets import services as ticket_services
from jiesu.tickets.workflow import Action

TZ = ZoneInfo("Asia/Shanghai")
MINUTE = timedelta(minutes=1)


def at(*args):
    return datetime(*args, tzinfo=TZ)


def october(world, **kw):
    return services.Filters(start=date(2026, 10, 1), end=date(2026, 10, 31), period="month", **kw)


def _do(world, ticket, action, when, **overrides):
    with clock.frozen(when):
        return world.act(ticket, action, **overrides)


def _dispatched(world, when, department="A", **data):
    with clock.frozen(when):
        ticket = world.new_ticket(kind="complaint", **data)
        return world.act(ticket, Action.DISPATCH, department=department)


@pytest.fixture
def crafted(world):
    return make_crafted(world)


def make_crafted(world):
    """Seven tickets dispatched on Monday 2026-10-12, each exercising one rule (see the comments)."""
    t0 = at(2026, 10, 12, 9)
    tickets = {}

    # 1: signed and contacted in time, replied in time, reached: resolved and 满意.
    t = _dispatched(world, t0)
    t = _do(world, t, Action.SIGN, t.sign_due_at - MINUTE)
    t = _do(world, t, Action.CONTACT, t.contact_due_at - MINUTE)
    t = _do(world, t, Action.REPLY, t.reply_due_at - MINUTE)
    tickets[1] = _do(world, t, Action.CALLBACK, t.replied_at + MINUTE, satisfaction="satisfied", resolved=True)

    # 2: signed one minute late (not responded); replied late; reached: not resolved, 基本满意.
    t = _dispatched(world, t0)
    t = _do(world, t, Action.SIGN, t.sign_due_at + MINUTE)
    t = _do(world, t, Action.CONTACT, t.signed_at + MINUTE)
    t = _do(world, t, Action.REPLY, t.reply_due_at + MINUTE)
    tickets[2] = _do(world, t, Action.CALLBACK, t.replied_at + MINUTE, satisfaction="basic", resolved=False)

    # 3: signed in time but the caller never contacted: not responded; still open.
    t = _dispatched(world, t0)
    tickets[3] = _do(world, t, Action.SIGN, t.sign_due_at - MINUTE)

    # 4: sent to B, which returned it (upheld: the dispatcher sent it on to A). Counts for A only.
    t = _dispatched(world, t0, department="B")
    with clock.frozen(t0 + MINUTE):
        ticket_services.perform(t.number, Action.RETURN, actor=world.handler_b, reason_category="not_ours",
                                reason="不属于本单位")
        t = ticket_services.perform(t.number, Action.APPROVE_RETURN, actor=world.dispatcher)
    with clock.frozen(t0 + 2 * MINUTE):
        t = world.act(t, Action.DISPATCH, department="A")
    t = _do(world, t, Action.SIGN, t.sign_due_at - MINUTE)
    t = _do(world, t, Action.CONTACT, t.contact_due_at - MINUTE)
    tickets[4] = _do(world, t, Action.REPLY, t.reply_due_at - MINUTE)  # awaiting callback

    # 5: dispatched, then 作废: counts nowhere.
    t = _dispatched(world, t0)
    tickets[5] = _do(world, t, Action.INVALIDATE, t0 + MINUTE)

    # 6: handled in time, but the callback could not reach the caller: no valid callback.
    t = _dispatched(world, t0)
    t = _do(world, t, Action.SIGN, t.sign_due_at - MINUTE)
    t = _do(world, t, Action.CONTACT, t.contact_due_at - MINUTE)
    t = _do(world, t, Action.REPLY, t.reply_due_at - MINUTE)
    tickets[6] = _do(world, t, Action.CALLBACK, t.replied_at + MINUTE, status="unreachable", satisfaction="",
                     resolved="")

    # 7: A sub-dispatched it to its sub-unit A1, which handled it: rolls up to A; reached, 不满意, unresolved.
    t = _dispatched(world, t0)
    t = _do(world, t, Action.SIGN, t.sign_due_at - 2 * MINUTE)
    t = _do(world, t, Action.CONTACT, t.contact_due_at - 2 * MINUTE)
    with clock.frozen(t.contact_due_at - MINUTE):
        t = world.act(t, Action.SUBDISPATCH, department="A1")
    with clock.frozen(t.sign_due_at - MINUTE):
        t = ticket_services.perform(t.number, Action.SIGN, actor=world.handler_a_sub)
        t = ticket_services.perform(t.number, Action.REPLY, actor=world.handler_a_sub, reply_text="已修复",
                                    result="resolved")
    tickets[7] = _do(world, t, Action.CALLBACK, t.replied_at + MINUTE, satisfaction="unsatisfied", resolved=False)
    return tickets


def test_rates_by_hand(world, crafted):
    for t in crafted.values():  # the scenario only means something if everything happened in October
        assert t.reply_due_at is None or t.reply_due_at.month == 10
    a = services.summary(october(world, department=world.dept_a))
    # Dispatched to A: 1, 2, 3, 4, 6, 7 (5 is 作废). Responded: 1, 4, 6, 7.
    assert a["counts"]["dispatched"] == 6
    assert a["counts"]["responded"] == 4
    assert a["rates"]["response"] == pytest.approx(4 / 6)
    # Callbacks: 1, 2, 6, 7; valid (reached): 1, 2, 7. Resolved: 1. 满意 1, 基本满意 1.
    assert a["counts"]["callbacks"] == 4
    assert a["counts"]["callbacks_valid"] == 3
    assert a["rates"]["resolution"] == pytest.approx(1 / 3)
    assert a["rates"]["satisfaction"] == pytest.approx((1 + 0.8 * 1) / 3)
    # Due in October: 1, 2, 3, 4, 6, 7; 办结 (replied): all but 3. Closed on time: 1, 4, 6, 7 (2 was late).
    assert a["counts"]["due"] == 6
    assert a["rates"]["completion"] == pytest.approx(5 / 6)
    assert a["counts"]["closed"] == 5
    assert a["rates"]["on_time"] == pytest.approx(4 / 5)
    # Composite: 30/35/35 of the three rates, on 100.
    expected = 100 * (0.30 * 4 / 6 + 0.35 * 1 / 3 + 0.35 * 1.8 / 3)
    assert a["rates"]["score"] == pytest.approx(expected)

    b = services.summary(october(world, department=world.dept_b))
    assert b["counts"]["dispatched"] == 0  # the upheld 退单 does not count against B
    assert b["rates"]["response"] is None  # nothing to rate is not 0 %

    sub = services.summary(october(world, department=world.dept_a_sub))
    assert sub["counts"]["dispatched"] == 1 and sub["counts"]["callbacks_valid"] == 1


def test_rollup_equals_raw_recomputation(world, crafted):
    assert services.verify() == []
    for filters in (october(world), october(world, department=world.dept_a), october(world, channel="phone"),
                    october(world, region=world.region, category=world.category.parent)):
        assert services.sums(filters) == services.raw_sums(filters)
    nonzero = Q()
    for name in COUNTS:
        nonzero |= ~Q(**{name: 0})
    rows = KpiDaily.objects.filter(nonzero).count()  # a change can leave a row at zero (B after the 退单)
    assert services.rebuild() == rows and services.verify() == []


def test_every_number_lists_its_tickets(world, crafted):
    filters = october(world, department=world.dept_a)
    counts = services.sums(filters)
    for name in COUNTS:
        assert services.tickets_for(name, filters).count() == counts[name], name
    responded = {t.number for t in services.tickets_for("responded", filters)}
    assert responded == {crafted[i].number for i in (1, 4, 6, 7)}


def test_ranking_rolls_sub_units_up_and_ranks_by_score(world, crafted):
    rows = services.ranking(october(world))
    assert [r["label"] for r in rows] == ["甲委员会", "乙局"]
    assert rows[0]["rank"] == 1 and rows[1]["rank"] is None  # B had nothing to score
    assert rows[0]["counts"]["dispatched"] == 6


def test_period_and_filter_parsing(world):
    f = services.parse_filters({"period": "month", "at": "2026-10"})
    assert (f.start, f.end) == (date(2026, 10, 1), date(2026, 10, 31))
    f = services.parse_filters({"period": "quarter", "at": "2026-11-22"})
    assert (f.start, f.end) == (date(2026, 10, 1), date(2026, 12, 31))
    f = services.parse_filters({"period": "week", "at": "2026-11-22"})
    assert (f.start, f.end) == (date(2026, 11, 16), date(2026, 11, 22))
    assert services.previous_period(date(2026, 3, 1), date(2026, 3, 31), "month") == (date(2026, 2, 1),
                                                                                         date(2026, 2, 28))
    for bad in ({"period": "fortnight"}, {"from": "2026-10-05", "to": "2026-10-01"}, {"from": "10/1", "to": "x"},
                {"department": "NOPE"}, {"channel": "fax"}, {"from": "2026-01-01"}):
        with pytest.raises(ValidationFailed):
            services.parse_filters(bad)


def test_targets_fall_back_from_unit_to_parent_to_default(world):
    assert target("resolution") == 0.9
    KpiTarget.objects.create(rate="resolution", department=None, value="0.85")
    KpiTarget.objects.create(rate="resolution", department=world.dept_a, value="0.95")
    assert target("resolution") == 0.85
    assert target("resolution", world.dept_a_sub) == 0.95
    assert target("resolution", world.dept_b) == 0.85


# A random walk through the workflow, at random times: whatever happens, the rollup equals the raw
# recomputation and no numerator exceeds its denominator.
STEPS = st.lists(
    st.tuples(
        st.sampled_from([Action.DISPATCH, Action.SIGN, Action.CONTACT, Action.REPLY, Action.CALLBACK, Action.RETURN,
                         Action.REDO, Action.INVALIDATE, Action.SUBDISPATCH, Action.REQUEST_EXTENSION,
                         Action.APPROVE_EXTENSION, Action.WITHDRAW, Action.APPROVE_RETURN, Action.REJECT_RETURN]),
        st.integers(min_value=1, max_value=60 * 24 * 12),  # minutes after the previous step
        st.sampled_from(["satisfied", "basic", "unsatisfied", "unreachable"]),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(walks=st.lists(STEPS, min_size=1, max_size=4))
def test_rollup_stays_exact_under_any_history(world, walks):
    from jiesu.core.errors import ServiceError

    # Examples share the test's database: tickets from earlier examples stay, and the check is global.
    when = at(2026, 9, 25, 9)
    for walk in walks:
        with clock.frozen(when):  # every other one 涉企 (the rollup's enterprise dimension)
            ticket = world.new_ticket(kind="complaint", enterprise_name="江州明湖示范科技有限公司" if len(walk) % 2 else "")
        for action, minutes, outcome in walk:
            when += timedelta(minutes=minutes)
            overrides = {}
            if action == Action.CALLBACK:
                overrides = ({"status": "unreachable", "satisfaction": "", "resolved": ""} if outcome == "unreachable"
                             else {"satisfaction": outcome, "resolved": outcome == "satisfied"})
            try:
                with clock.frozen(when):
                    ticket = world.act(ticket, action, **overrides)
            except ServiceError:
                pass  # not allowed from this state: nothing changes, which is also checked
    assert services.verify() == []
    filters = services.Filters(start=date(2026, 9, 1), end=date(2027, 3, 31))
    counts = services.sums(filters)
    assert counts == services.raw_sums(filters)
    for rate in RATES.values():
        value = rate.value(counts)
        assert value is None or 0 <= value <= 1
    assert counts["responded"] <= counts["dispatched"] and counts["callbacks_valid"] <= counts["callbacks"]


def test_routing_quality_in_production(world, crafted):
    from jiesu.routing.models import Prediction

    # The router had suggested B for ticket 4, which B returned and the dispatcher sent to A; A for ticket 1.
    Prediction.objects.create(ticket=crafted[4], department=world.dept_b, confidence=0.7,
                              created_at=crafted[4].created_at, final_department=world.dept_a)
    Prediction.objects.create(ticket=crafted[1], department=world.dept_a, confidence=0.9,
                              created_at=crafted[1].created_at, final_department=world.dept_a,
                              source=Prediction.Source.AUTO)
    quality = services.routing_quality(october(world))
    assert quality == {"predictions": 2, "auto": 1, "decided": 2, "correct": 1, "accuracy": 0.5, "returns": 1,
                       "wrong_route_returns": 1}
    assert services.routing_quality(october(world, department=world.dept_b))["wrong_route_returns"] == 1
    assert services.routing_quality(october(world, department=world.dept_a))["returns"] == 0
