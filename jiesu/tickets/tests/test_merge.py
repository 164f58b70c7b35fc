"""并单: a 子单 follows its 母单, the answer reaches every caller, each caller gets their own 回访, the work
counts once in the rates, and every merge and unmerge is in both tickets' history."""

from datetime import timedelta

import pytest

from jiesu.core import clock
from jiesu.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiesu.kpi import services as kpi
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action, LinkEvent, State


def _merge(world, child, parent, **extra):
    return services.perform(child.number, Action.MERGE, actor=world.dispatcher, parent=parent.number, **extra)


def _second_caller(world, phone="13700137000"):
    return world.new_ticket(content="东湖路的路灯好几天晚上都不亮", caller_phone=phone, caller_name="李女士")


def test_merge_moves_the_child_and_writes_both_histories(world):
    parent, child = world.new_ticket(), _second_caller(world)

    child = _merge(world, child, parent, note="同一路段路灯故障")

    assert child.state == State.MERGED and child.merged_into_id == parent.pk
    event = child.events.order_by("id").last()
    assert (event.action, event.from_state, event.to_state) == (Action.MERGE, State.PENDING_DISPATCH, State.MERGED)
    assert event.data == {"parent": parent.number} and event.note == "同一路段路灯故障"
    side = parent.events.order_by("id").last()
    assert side.action == LinkEvent.CHILD_MERGED and side.action_label == "并入子单"
    assert side.from_state == side.to_state == State.PENDING_DISPATCH
    assert side.data == {"child": child.number}
    assert Ticket.objects.get(pk=parent.pk).state == State.PENDING_DISPATCH


def test_the_answer_reaches_every_child_and_each_caller_gets_a_callback(world):
    parent = world.new_ticket()
    children = [_merge(world, _second_caller(world, phone), parent) for phone in ("13700137000", "13600136000")]
    for action in (Action.DISPATCH, Action.SIGN, Action.REPLY):
        parent = world.act(parent, action)

    assert parent.state == State.PENDING_CALLBACK
    assert parent.events.order_by("id").last().data["children"] == [c.number for c in children]
    for child in children:
        child.refresh_from_db()
        assert child.state == State.PENDING_CALLBACK
        assert (child.reply_text, child.reply_result) == ("已修复路灯", "resolved")
        assert child.department_id == world.dept_a.pk and child.callback_due_at is not None
        event = child.events.order_by("id").last()
        assert (event.action, event.actor_id, event.data) == (Action.FOLLOW_REPLY, world.handler_a.pk,
                                                              {"parent": parent.number})

    # Each caller is called back on their own ticket, with their own answer.
    first, second = children
    services.perform(first.number, Action.CALLBACK, actor=world.operator, status="reached", satisfaction="satisfied",
                     resolved=True)
    services.perform(second.number, Action.CALLBACK, actor=world.operator, status="reached",
                     satisfaction="unsatisfied", resolved=False)
    world.act(parent, Action.CALLBACK, satisfaction="basic", resolved=True)
    states = dict(Ticket.objects.filter(pk__in=[c.pk for c in children]).values_list("number", "satisfaction"))
    assert states == {first.number: "satisfied", second.number: "unsatisfied"}

    # The work counts once (on the 母单); every caller's 回访 counts.
    today = clock.today()
    counts = kpi.sums(kpi.Filters(start=today - timedelta(days=1), end=today + timedelta(days=1)))
    assert counts["dispatched"] == 1 and counts["closed"] == 1
    assert counts["callbacks_valid"] == 3 and counts["resolved"] == 2 and counts["satisfied"] == 1
    assert kpi.verify() == []


def test_unmerge_returns_the_child_to_the_dispatch_queue(world):
    parent, child = world.new_ticket(), _second_caller(world)
    _merge(world, child, parent)

    child = services.perform(child.number, Action.UNMERGE, actor=world.dispatcher, note="不是同一路段")

    assert child.state == State.PENDING_DISPATCH and child.merged_into_id is None
    assert child.events.order_by("id").last().action == Action.UNMERGE
    side = parent.events.order_by("id").last()
    assert side.action == LinkEvent.CHILD_UNMERGED and side.data == {"child": child.number}
    assert side.note == "不是同一路段"
    # Dispatched on its own now: it counts on its own.
    world.act(child, Action.DISPATCH)
    assert kpi.verify() == []


def test_redo_of_a_child_makes_it_its_own_work(world):
    parent, child = world.new_ticket(), _second_caller(world)
    _merge(world, child, parent)
    for action in (Action.DISPATCH, Action.SIGN, Action.REPLY):
        parent = world.act(parent, action)
    world.act(Ticket.objects.get(pk=child.pk), Action.CALLBACK)  # unsatisfied, unresolved

    child = world.act(Ticket.objects.get(pk=child.pk), Action.REDO)

    assert child.state == State.IN_PROGRESS and child.merged_into_id is None
    assert child.events.order_by("id").last().data == {"detached_from": parent.number}
    assert kpi.verify() == []


@pytest.mark.parametrize("parent_state", [State.PENDING_CALLBACK, State.CLOSED, State.INVALID])
def test_cannot_merge_into_an_answered_or_closed_ticket(world, parent_state):
    parent, child = world.ticket_in(parent_state), _second_caller(world)
    with pytest.raises(Conflict) as excinfo:
        _merge(world, child, parent)
    assert excinfo.value.code == "parent_not_open"
    assert Ticket.objects.get(pk=child.pk).state == State.PENDING_DISPATCH
    assert child.events.count() == 1


def test_merge_refusals_change_nothing(world):
    parent, child, other = world.new_ticket(), _second_caller(world), _second_caller(world, "13500135000")
    with pytest.raises(ValidationFailed) as excinfo:
        _merge(world, child, child)
    assert "不能并入自身" in excinfo.value.fields["parent"]
    with pytest.raises(ValidationFailed) as excinfo:
        services.perform(child.number, Action.MERGE, actor=world.dispatcher, parent="2099010100001")
    assert "母单不存在" in excinfo.value.fields["parent"]
    with pytest.raises(ValidationFailed):
        services.perform(child.number, Action.MERGE, actor=world.dispatcher)
    with pytest.raises(PermissionDenied):
        services.perform(child.number, Action.MERGE, actor=world.operator, parent=parent.number)

    _merge(world, child, parent)
    with pytest.raises(Conflict) as excinfo:  # no chains: a 子单 cannot be a 母单
        _merge(world, other, Ticket.objects.get(pk=child.pk))
    assert excinfo.value.code == "parent_not_open"
    with pytest.raises(Conflict) as excinfo:
        _merge(world, parent, other)
    assert excinfo.value.code == "has_merged_children"
    with pytest.raises(Conflict) as excinfo:
        world.act(parent, Action.INVALIDATE)
    assert excinfo.value.code == "has_merged_children"
    with pytest.raises(ValidationFailed):  # only the 母单's answer takes it
        services.perform(child.number, Action.FOLLOW_REPLY, actor=world.handler_a)
    assert Ticket.objects.get(pk=parent.pk).state == State.PENDING_DISPATCH
    assert Ticket.objects.get(pk=other.pk).state == State.PENDING_DISPATCH


def test_the_unit_that_answered_holds_the_child_too(world):
    """A 子单 answered through its 母单 and sent back for 重办 is the answering unit's to see and to handle."""
    from jiesu.tickets import access

    parent, child = world.ticket_in(State.IN_PROGRESS), _second_caller(world)
    _merge(world, child, parent)
    world.act(parent, Action.REPLY)
    child = Ticket.objects.get(pk=child.pk)
    assert access.access_ticket(world.handler_a, child.number).state == State.PENDING_CALLBACK
    child = world.act(child, Action.CALLBACK, satisfaction="unsatisfied", resolved=False)
    child = world.act(child, Action.REDO)
    assert child.department_id == world.dept_a.pk
    assert Action.REPLY in {t.action for t in access.actions_for(world.handler_a, child)}
