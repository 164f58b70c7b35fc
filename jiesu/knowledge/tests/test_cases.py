"""Similar cases: resolved tickets like this one, with their answers, on the ticket page and the API."""

from jiesu.knowledge import cases
from jiesu.tickets.models import Ticket
from jiesu.tickets.tests.test_api import _as
from jiesu.tickets.workflow import State

LAMP = "东湖路幸福里小区门口的路灯一排都不亮了，晚上很黑，请尽快维修。"


def _resolved(world, content, *, satisfied=True):
    ticket = world.ticket_in(State.PENDING_CALLBACK, content=content)
    return world.act(ticket, "callback", satisfaction="satisfied" if satisfied else "unsatisfied",
                     resolved=satisfied)


def test_resolved_tickets_become_cases_and_are_found(world, client):
    done = _resolved(world, LAMP)
    unresolved = _resolved(world, "东湖路幸福里小区门口路灯不亮，晚上看不见路。", satisfied=False)
    world.ticket_in(State.IN_PROGRESS, content="东湖路幸福里小区门口路灯坏了好几盏")  # not closed: not a case
    new = world.new_ticket(content="幸福里小区门口东湖路上的路灯晚上不亮，很不安全。")

    found = cases.similar_to(new, user=world.dispatcher)
    assert [c.number for c in found] == [done.number]
    assert found[0].reply_text == "已修复路灯" and found[0].department == world.dept_a.name
    assert unresolved.number not in [c.number for c in found]
    assert cases.similar_to(new, user=world.handler_b) == []  # another unit's case: not theirs to see

    body = _as(world.dispatcher).get(f"/api/v1/knowledge/cases/{new.number}").json()
    assert body[0]["number"] == done.number
    client.force_login(world.dispatcher)
    assert done.number in client.get(f"/tickets/{new.number}/").content.decode()
    assert _as(world.operator).get("/api/v1/knowledge/cases/2099010100001").status_code == 404
    assert Ticket.objects.filter(pk=done.pk, state=State.CLOSED).exists()


def test_cases_are_masked_and_only_from_visible_tickets(world):
    """A department never learns of another unit's ticket, or any caller, through a similar case."""
    done = _resolved(world, "东湖路幸福里小区门口的路灯不亮，来电人孙七，电话13500135000。")
    new = world.new_ticket(content="幸福里小区门口东湖路上的路灯晚上不亮，很不安全。")
    body = _as(world.dispatcher).get(f"/api/v1/knowledge/cases/{new.number}").json()
    assert body[0]["number"] == done.number and "13500135000" not in str(body)
    world.act(new, "dispatch", department="B")
    assert _as(world.handler_b).get(f"/api/v1/knowledge/cases/{new.number}").json() == []
    assert _as(world.handler_b).get(f"/api/v1/tickets/{done.number}").status_code == 404
