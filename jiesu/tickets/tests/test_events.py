import pytest

from jiesu.tickets.models import TicketEvent
from jiesu.tickets.workflow import State


def test_events_cannot_be_edited_or_deleted(world):
    ticket = world.ticket_in(State.PENDING_SIGN)
    event = ticket.events.first()
    event.note = "篡改"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(ticket=ticket).update(note="篡改")
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(ticket=ticket).delete()
    assert TicketEvent.objects.get(pk=event.pk).note == ""


def test_ticket_numbers_are_date_and_sequence(world):
    first = world.new_ticket()
    second = world.new_ticket()
    assert len(first.number) == 13 and first.number[:8] == second.number[:8]
    assert int(second.number[8:]) == int(first.number[8:]) + 1
