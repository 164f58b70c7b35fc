"""Random sequences of actions by random users never reach an invalid state, and every change leaves
exactly one event whose from/to chain matches the ticket."""

from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from jiesu.core.errors import ServiceError
from jiesu.tickets import services
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.tickets.tests.world import World
from jiesu.tickets.workflow import TRANSITIONS, Action, State, actions_from

ACTIONS = [a for a in Action if a != Action.CREATE]
USERS = ["operator", "dispatcher", "supervisor", "admin", "handler_a", "handler_a_sub", "handler_b"]


def _state_invariants(t: Ticket) -> None:
    assert t.state in State.values
    if t.state == State.PENDING_DISPATCH:
        assert t.department_id is None and t.merged_into_id is None
    if t.state == State.MERGED:
        assert t.department_id is None and t.merged_into_id is not None
    if t.state in (State.PENDING_SIGN, State.IN_PROGRESS, State.PENDING_CALLBACK):
        assert t.department_id is not None
    if t.state == State.PENDING_SIGN:
        assert t.signed_at is None
    if t.state == State.PENDING_CALLBACK:
        assert t.replied_at is not None and t.reply_text
    if t.state == State.CLOSED:
        assert t.closed_at is not None
    if t.state == State.TRANSFERRED:
        assert t.department_id is None and t.merged_into_id is None
    if t.state == State.INVALID:
        assert t.invalidated_at is not None and t.invalid_reason


class RandomWalkTest(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(kind=st.sampled_from(["consult", "complaint"]), data=st.data())
    def test_random_walk(self, kind, data):
        world = World.build()
        ticket = world.new_ticket(kind=kind)
        users = world.users()
        for _ in range(data.draw(st.integers(min_value=1, max_value=25), label="steps")):
            before = Ticket.objects.get(pk=ticket.pk)
            events_before = TicketEvent.objects.filter(ticket=ticket).count()
            # Mostly actions the current state offers (so walks go deep), sometimes any action at all.
            offered = actions_from(before.state) or ACTIONS
            action = data.draw(st.sampled_from(offered) if data.draw(st.integers(0, 3)) else st.sampled_from(ACTIONS))
            who = data.draw(st.sampled_from(["valid"] * 4 + USERS))
            use_valid_payload = data.draw(st.integers(0, 4)) > 0
            valid_actor, payload = world.payload(action)
            actor = valid_actor if who == "valid" else users[who]
            if action == Action.SUBDISPATCH and who == "handler_a_sub":
                payload = {"department": "A"}  # upwards: must be refused
            if not use_valid_payload:
                payload = {}
            try:
                services.perform(ticket.number, action, actor=actor, **payload)
            except ServiceError:
                after = Ticket.objects.get(pk=ticket.pk)
                assert (after.state, after.department_id, after.updated_at) == (
                    before.state,
                    before.department_id,
                    before.updated_at,
                )
                assert TicketEvent.objects.filter(ticket=ticket).count() == events_before
            else:
                after = Ticket.objects.get(pk=ticket.pk)
                assert before.state in TRANSITIONS[action].sources
                assert after.state == (TRANSITIONS[action].target or before.state)
                events = list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))
                assert len(events) == events_before + 1
                assert (events[-1].from_state, events[-1].to_state) == (before.state, after.state)
            _state_invariants(Ticket.objects.get(pk=ticket.pk))

        events = list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))
        assert events[0].action == Action.CREATE
        for previous, event in zip(events, events[1:], strict=False):
            assert event.from_state == previous.to_state
        assert events[-1].to_state == Ticket.objects.get(pk=ticket.pk).state
        note_event(f"final state: {events[-1].to_state}")  # shown by pytest --hypothesis-show-statistics
