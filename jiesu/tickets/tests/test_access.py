"""The permission matrix: who sees which tickets, in services, the API and the pages alike."""

import pytest
from django.test import Client

from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action, State

# user → which of the named tickets they see
EXPECTED = {
    "dispatcher": {"new", "at_a", "at_a_sub", "at_b", "returned_by_b", "callback"},
    "supervisor": {"new", "at_a", "at_a_sub", "at_b", "returned_by_b", "callback"},
    "admin": {"new", "at_a", "at_a_sub", "at_b", "returned_by_b", "callback"},
    # operators registered all of them in this world; a second operator shows the intake rule
    "operator2": {"new", "returned_by_b", "callback"},
    "handler_a": {"at_a", "at_a_sub", "callback"},
    "handler_a_sub": {"at_a_sub"},
    "handler_b": {"at_b", "returned_by_b"},
    "nobody": set(),
    # 信访事项: only those who handle them — the 信访办, the 代办员, the unit given one (not the centre, not the
    # operators, though one waits for dispatch)
    "xinfang": {"petition_new", "petition_b"},
    "daiban": {"petition_new", "petition_b"},
}
EXPECTED["handler_b"] = EXPECTED["handler_b"] | {"petition_b"}


@pytest.fixture
def matrix(world):
    from jiesu.directory.tests.factories import UserFactory, make_staff

    tickets = {
        "new": world.ticket_in(State.PENDING_DISPATCH),
        "at_a": world.ticket_in(State.IN_PROGRESS),
        "callback": world.ticket_in(State.PENDING_CALLBACK),
    }
    at_a_sub = world.ticket_in(State.IN_PROGRESS)
    tickets["at_a_sub"] = world.act(at_a_sub, Action.SUBDISPATCH)
    at_b = world.new_ticket()
    tickets["at_b"] = world.act(at_b, Action.DISPATCH, department="B")
    returned = world.act(world.new_ticket(), Action.DISPATCH, department="B")
    from jiesu.tickets import services

    services.perform(returned.number, Action.RETURN, actor=world.handler_b, reason_category="not_ours",
                     reason="非本单位职责")
    tickets["returned_by_b"] = services.perform(returned.number, Action.APPROVE_RETURN, actor=world.dispatcher)
    users = dict(world.users())
    users["operator2"] = make_staff("operator", world.hotline, username="operator2")
    nobody = UserFactory(username="nobody")
    nobody.save()
    users["nobody"] = nobody
    from jiesu.channels import petitions

    users["xinfang"] = make_staff("petition", world.hotline, username="xinfang")
    users["daiban"] = make_staff("petition_agent", world.dept_a, username="daiban")
    for name, unit in (("petition_new", ""), ("petition_b", "B")):
        tickets[name] = petitions.register(users["xinfang"], {
            "form": "visit", "content": f"信访事项{name}", "caller_name": "钱女士", "caller_phone": "13700001111",
            "agent": "daiban", "department": unit}).ticket
    return world, tickets, users


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_visible_to_matches_the_matrix(matrix, who):
    world, tickets, users = matrix
    seen = set(Ticket.objects.visible_to(users[who]).values_list("number", flat=True))
    expected = {tickets[name].number for name in EXPECTED[who]}
    assert seen == expected


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_the_rule_decided_from_rows_is_the_same_rule(matrix, who):
    """access.readable_among (intake's duplicate look-up decides from the rows it already has) agrees with
    the query rule for every role, on tickets in every state of the matrix, another operator's included."""
    from jiesu.tickets import access

    world, tickets, users = matrix
    rows = list(Ticket.objects.values("id", "state", "created_by_id", "channel"))
    readable = access.readable_among(users[who], rows)
    assert readable == {t.pk for name, t in tickets.items() if name in EXPECTED[who]}
    assert readable == access.visible_ids(users[who], [r["id"] for r in rows])


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_api_and_pages_apply_the_same_rule(matrix, who):
    world, tickets, users = matrix
    client = Client()
    client.force_login(users[who])
    listed = {row["number"] for row in client.get("/api/v1/tickets?page_size=100").json()["results"]}
    assert listed == {tickets[name].number for name in EXPECTED[who]}
    for name, ticket in tickets.items():
        api_status = client.get(f"/api/v1/tickets/{ticket.number}").status_code
        page_status = client.get(f"/tickets/{ticket.number}/").status_code
        expected = 200 if name in EXPECTED[who] else 404
        assert (api_status, page_status) == (expected, expected), name


def test_no_department_sees_another_departments_tickets(matrix):
    world, tickets, users = matrix
    a_side = set(Ticket.objects.visible_to(users["handler_a"]).values_list("pk", flat=True))
    b_side = set(Ticket.objects.visible_to(users["handler_b"]).values_list("pk", flat=True))
    assert a_side and b_side and not (a_side & b_side)
