"""工单查询 finds what an operator types: several words together, the caller's phone (whole or its last four
digits) and name, a ticket number; caller names and phones only for those who may see callers."""

import pytest
from django.test import Client

from jiesu.core.tokens import create_token
from jiesu.tickets.workflow import Action


@pytest.fixture
def calls(world):
    first = world.new_ticket(content="幸福里小区路灯不亮，晚上很黑。", caller_name="张女士", caller_phone="13812345678")
    second = world.new_ticket(content="幸福里小区门口垃圾没人清运。", caller_name="李先生", caller_phone="13900001111")
    third = world.new_ticket(content="东湖路路灯不亮。", caller_name="王先生", caller_phone="010-62345678")
    for ticket in (first, second, third):
        world.act(ticket, Action.DISPATCH, department="A")
    return world, {"first": first, "second": second, "third": third}


def _found(user, q: str) -> set[str]:
    _, key = create_token(user=user, name="测试")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/tickets", {"q": q, "page_size": 100})
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


@pytest.mark.parametrize(("q", "expected"), [
    ("路灯 幸福里", {"first"}),             # every word must match
    ("路灯", {"first", "third"}),
    ("幸福里　路灯", {"first"}),            # a full-width space separates words too
    ("13812345678", {"first"}),            # the caller's phone
    ("138 1234 5678", set()),              # three words, none of them a whole number in the texts
    ("5678", {"first", "third"}),          # the last four digits
    ("010-62345678", {"third"}),
    ("张女士", {"first"}),
    ("张女士 垃圾", set()),
    ("李先生 幸福里", {"second"}),
])
def test_the_centre_finds_by_words_phone_and_name(calls, q, expected):
    world, tickets = calls
    assert _found(world.dispatcher, q) == {tickets[name].number for name in expected}


def test_a_ticket_number_finds_its_ticket(calls):
    world, tickets = calls
    assert _found(world.dispatcher, tickets["second"].number) == {tickets["second"].number}


def test_a_unit_cannot_find_tickets_by_caller(calls):
    """Handlers see their unit's tickets, but searching by a caller's phone or name must not reveal who called."""
    world, tickets = calls
    assert _found(world.handler_a, "路灯") == {tickets["first"].number, tickets["third"].number}
    assert _found(world.handler_a, "13812345678") == set()
    assert _found(world.handler_a, "5678") == set()
    assert _found(world.handler_a, "张女士") == set()


def test_the_list_page_searches_the_same_way(calls):
    world, tickets = calls
    client = Client()
    client.force_login(world.operator)
    page = client.get("/tickets/", {"q": "路灯 幸福里"}).content.decode()
    assert tickets["first"].number in page and tickets["third"].number not in page
    assert "可查电话" in page
    client.force_login(world.handler_a)
    assert "可查电话" not in client.get("/tickets/").content.decode()


def test_the_index_only_narrows(world, monkeypatch):
    from django.db import connection

    from jiesu.tickets import search
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.queries import TicketFilter, apply_filter

    t = world.new_ticket(content="幸福里小区3号楼前的路灯不亮，晚上很黑。", address="幸福里小区3号楼")
    world.new_ticket(content="东湖路井盖缺失。", caller_phone="13912345678")
    t.refresh_from_db()
    assert search.code("幸福") in t.search_grams.split() and search.code("0013") not in t.search_grams.split()

    def found(q):
        return set(apply_filter(Ticket.objects.all(), TicketFilter(q=q), world.dispatcher).values_list("pk", flat=True))

    queries = ["幸福里", "路灯 幸福里", "3号楼", "13800138000", "138-0013-8000", "8000", "5678", "灯", "井盖 幸福里",
               t.number, "张先生", "不存在的词"]
    indexed = {q: found(q) for q in queries}
    assert indexed["幸福里"] == {t.pk} and indexed["井盖 幸福里"] == set() and indexed["5678"] != set()
    monkeypatch.setattr(search, "narrowing", lambda terms: None)
    assert indexed == {q: found(q) for q in queries}  # the index changed nothing but the speed
    if connection.vendor == "postgresql":
        monkeypatch.undo()
        assert search.narrowing([search.term(["路灯"])]) is not None and search.term(["灯"]) is None
        assert search.narrowing([search.term(["灯"])]) is None


def test_too_many_words_are_refused_not_dropped(world):
    from django.test import Client

    c = Client()
    c.force_login(world.dispatcher)
    response = c.get("/api/v1/tickets", {"q": " ".join(["路灯"] * 8 + ["不存在"])})
    assert response.status_code == 400 and "关键词最多 8 个" in response.json()["fields"]["q"]
    assert c.get("/api/v1/tickets", {"q": " ".join(["路灯"] * 8)}).status_code == 200


def test_full_width_digits_find_the_caller(world):
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.queries import TicketFilter, apply_filter

    t = world.new_ticket()
    found = apply_filter(Ticket.objects.all(), TicketFilter(q="１３８００１３８０００"), world.dispatcher)
    assert list(found) == [t]
