"""The lifecycle seam: apps observe tickets through tickets.lifecycle, in its documented order; the ticket services
call no observer by name."""

import ast
from pathlib import Path

import pytest

from jiesu.tickets import lifecycle
from jiesu.tickets.workflow import Action, State


def test_the_observers_and_their_order_are_the_documented_ones():
    assert [(o.name, o.order) for o in lifecycle.observers()] == [
        ("channels", 5), ("kpi", 10), ("hotspots", 20), ("routing", 30), ("knowledge", 40), ("notifications", 50),
        ("enterprise", 60)]


def test_the_ticket_services_call_no_observer_by_name():
    source = ast.parse(Path(lifecycle.__file__).with_name("services.py").read_text())
    imported = {node.module for node in ast.walk(source) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {f"{node.module}.{a.name}" for node in ast.walk(source) if isinstance(node, ast.ImportFrom)
                 for a in node.names if node.module}
    assert not {m for m in imported if m.startswith(("jiesu.hotspots", "jiesu.routing", "jiesu.kpi",
                                                     "jiesu.knowledge.cases", "jiesu.notifications"))}


@pytest.fixture
def watcher():
    seen = []
    observer = lifecycle.Observer(
        "watcher", 99,
        prepare=lambda draft, actor: seen.append(("prepare", draft.pk, actor.username)) or "prepared",
        created=lambda ticket, prepared, actor: seen.append(("created", ticket.number, prepared)) or {},
        before_move=lambda ticket, action: seen.append(("before", ticket.state, action)) or ticket.state,
        moved=lambda ticket, transition, before, actor: seen.append(("moved", before, ticket.state)),
    )
    lifecycle.register(observer)
    yield seen
    lifecycle._observers[:] = [o for o in lifecycle._observers if o.name != "watcher"]


def test_an_observer_sees_registration_and_every_move_in_its_transaction(world, watcher):
    ticket = world.new_ticket()
    assert watcher == [("prepare", None, world.operator.username), ("created", ticket.number, "prepared")]
    world.act(ticket, Action.DISPATCH)
    assert watcher[2:] == [("before", State.PENDING_DISPATCH, Action.DISPATCH),
                           ("moved", State.PENDING_DISPATCH, State.PENDING_SIGN)]


def test_a_failing_observer_inside_the_transaction_rolls_the_action_back(world):
    from jiesu.tickets.models import Ticket

    def broken(ticket, transition, before, actor):
        raise RuntimeError("observer bug")

    lifecycle.register(lifecycle.Observer("broken", 99, moved=broken))
    try:
        ticket = world.new_ticket()
        with pytest.raises(RuntimeError):
            world.act(ticket, Action.DISPATCH)
        assert Ticket.objects.get(pk=ticket.pk).state == State.PENDING_DISPATCH
        assert not ticket.events.filter(action=Action.DISPATCH).exists()
    finally:
        lifecycle._observers[:] = [o for o in lifecycle._observers if o.name != "broken"]
