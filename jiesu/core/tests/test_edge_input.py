"""Input no view can store or compute with is refused at the edge with a 4xx, in the format of the part of the
site it was sent to: dates outside 1900–2100, page numbers past the database's range, NUL and lone surrogates.
Each case here once answered 500 (on SQLite, PostgreSQL or both; the suite runs on both)."""

import json

import pytest
from django.test import Client

from jiesu.core.tokens import create_token
from jiesu.open311 import services as open311

EDGE_DATES = [
    "/api/v1/tickets?created_to=9999-12-31",
    "/api/v1/tickets?created_from=0001-01-01",
    "/api/v1/kpi/summary?period=month&at=9999-12",
    "/api/v1/kpi/ranking?period=quarter&at=9999-12-31",
    "/api/v1/kpi/summary?period=custom&from=0001-01-01&to=0001-01-31",
    "/api/v1/hotspots?start=9999-12-30&end=9999-12-31",
    "/api/v1/tickets?page=99999999999999999999",
    "/api/v1/tickets?page_size=99999999999999999999",
    "/api/v1/hotspots?start=2026-01-01&end=2026-01-02&baseline_days=99999999999",
]
EDGE_PAGES = ["/tickets/?created_to=9999-12-31", "/kpi/?period=month&at=9999-12", "/tickets/?page=99999999999999999999"]
NUL_GETS = [
    "/api/v1/knowledge/search?q=喵%00喵",
    "/api/v1/knowledge/articles/%00",
    "/api/v1/tickets?q=a%00b",
]
NUL_PAGES = ["/knowledge/?q=喵%00喵", "/knowledge/suggest/?content=喵%00喵", "/tickets/?q=%00"]
OPEN311_GETS = [
    "/open311/v2/requests.json?start_date=9999-12-31",
    "/open311/v2/requests.json?end_date=0001-01-01",
    "/open311/v2/requests.xml?start_date=0001-01-01T00:00:00Z",
    "/open311/v2/requests.json?service_request_id=a%00",
    "/open311/v2/requests/%00.json",
    "/open311/v2/services/%00.json",
    "/open311/v2/tokens/a%00b.json",
    "/open311/v2/requests.json?service_code=02%0001",
    "/open311/v2/requests/%00.xml",
]
LONE = "\ud800"


def _api(user):
    _, key = create_token(user=user, name="测试")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def _post_json(client, url, data):
    # json.dumps writes a lone surrogate as the escape "\ud800", exactly as a client would send it.
    return client.post(url, json.dumps(data), content_type="application/json")


def _is_api_error(response, status=400):
    body = response.json()
    return response.status_code == status and body["code"] and body["message"] and isinstance(body["fields"], dict)


@pytest.mark.parametrize("url", EDGE_DATES + NUL_GETS)
def test_api_refuses_edge_input_with_a_json_400(world, url):
    response = _api(world.supervisor).get(url)
    assert _is_api_error(response), (url, response.status_code, response.content[:200])


@pytest.mark.parametrize("url", EDGE_PAGES + NUL_PAGES)
def test_pages_refuse_edge_input_with_a_4xx(world, url):
    client = Client(raise_request_exception=False)
    client.force_login(world.supervisor)
    response = client.get(url)
    assert 400 <= response.status_code < 500 or response.status_code == 200, (url, response.status_code)


@pytest.mark.parametrize("url", OPEN311_GETS)
def test_open311_refuses_edge_input_in_its_own_format(db, url):
    response = Client().get(url)
    assert response.status_code == 400, (url, response.status_code)
    if url.split("?")[0].endswith(".xml"):
        assert response.content.startswith(b"<?xml") and b"<errors>" in response.content
    else:
        assert response.json()[0]["code"] == 400 and response.json()[0]["description"]


def test_open311_post_refuses_nul_in_any_field(world):
    _, key = open311.add_partner("市民App")
    base = {"api_key": key, "service_code": world.category.code, "lat": "39.9", "long": "116.4",
            "description": "东湖路路灯不亮"}
    for field in ("email", "account_id", "device_id", "address_id", "description"):
        response = Client().post("/open311/v2/requests.json", {**base, field: "a\x00b"})
        assert response.status_code == 400 and response.json()[0]["code"] == 400, field
    from jiesu.tickets.models import Ticket

    assert not Ticket.objects.exists()


def test_lone_surrogates_and_nul_in_json_are_a_400_and_write_nothing(world):
    from jiesu.knowledge.models import Article
    from jiesu.tickets.models import Ticket, TicketEvent

    ticket = world.new_ticket()
    before = (Ticket.objects.count(), TicketEvent.objects.count(), Article.objects.count())
    operator, dispatcher, supervisor = _api(world.operator), _api(world.dispatcher), _api(world.supervisor)
    cases = [
        (operator, "/api/v1/tickets", {"kind": "consult", "content": f"路灯{LONE}不亮", "caller_phone": "13800138000"}),
        (operator, "/api/v1/tickets", {"kind": "consult", "content": "路灯不亮", "title": LONE,
                                       "caller_phone": "13800138000"}),
        (operator, "/api/v1/tickets", {"kind": "consult", "content": "路灯\x00不亮", "caller_phone": "13800138000"}),
        (dispatcher, f"/api/v1/tickets/{ticket.number}/dispatch", {"department": LONE}),
        (dispatcher, f"/api/v1/tickets/{ticket.number}/merge", {"parent": LONE}),
        (operator, "/api/v1/hotspots/similar", {"content": f"路灯{LONE}"}),
        (operator, "/api/v1/routing/suggest", {"content": f"路灯{LONE}"}),
        (supervisor, "/api/v1/knowledge/articles", {"title": f"社保{LONE}", "answer": "答复", "questions": ["问"]}),
        (supervisor, "/api/v1/knowledge/articles", {"title": "社保", "answer": "答复", "questions": ["问\x00"],
                                                    "tags": ["a\x00"]}),
        (supervisor, "/api/v1/knowledge/articles", {"title": "社保", "answer": "答复", "questions": ["问"],
                                                    LONE: "key"}),
    ]
    for client, url, data in cases:
        response = _post_json(client, url, data)
        assert _is_api_error(response) and response.json()["code"] == "invalid_text", (url, data, response.content)
    assert (Ticket.objects.count(), TicketEvent.objects.count(), Article.objects.count()) == before


def test_a_paired_surrogate_escape_is_ordinary_text(world):
    """"\\ud83d\\ude00" is one emoji written as two escapes: storable, so accepted."""
    response = _post_json(_api(world.operator), "/api/v1/tickets",
                          {"kind": "consult", "content": "路灯不亮😀", "caller_phone": "13800138000"})
    assert response.status_code == 201, response.content


def test_page_forms_refuse_nul(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.operator)
    response = client.post("/intake/", {"channel": "phone", "kind": "consult", "content": "路灯\x00不亮",
                                        "caller_phone": "13800138000"})
    assert response.status_code == 400
    assert "无法保存的字符" in response.content.decode()
