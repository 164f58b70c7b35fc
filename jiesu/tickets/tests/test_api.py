"""The REST API: creation, errors (4xx, Chinese message, machine code, no partial write), actions, lists."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiesu.core.tokens import create_token
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.tickets.workflow import State


@pytest.fixture
def api(world):
    _, key = create_token(user=world.operator, name="测试")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def _as(user):
    _, key = create_token(user=user, name="测试")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


GOOD = {
    "kind": "complaint",
    "content": "幸福里小区北门路灯不亮已经一周。",
    "caller_name": "李女士",
    "caller_phone": "13912345678",
    "category": "0101",
    "region": "110",
    "address": "幸福里小区北门",
    "lat": 39.9,
    "lng": 116.4,
}


def test_create_returns_the_ticket_with_its_history(api):
    response = api.post("/api/v1/tickets", GOOD, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == State.PENDING_DISPATCH and body["state_label"] == "待派单"
    assert body["category"]["name"] == "城市管理 › 路灯不亮"
    assert [e["action"] for e in body["events"]] == ["create"]
    assert body["title"] == "幸福里小区北门路灯不亮已经一周。"


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"caller_phone": "12345abc"}, "caller_phone", 400),
        ({"content": ""}, "content", 400),
        ({"content": "   "}, "content", 400),
        ({"content": "长" * 5001}, "content", 400),
        ({"credit_code": "91350100M000100Y44"}, "credit_code", 400),
        ({"category": "9999"}, "category", 400),
        ({"region": "nowhere"}, "region", 400),
        ({"kind": "rumour"}, "kind", 400),
        ({"lat": 123.0}, "lat", 400),
        ({"lat": "north"}, "lat", 400),
        ({"lng": None, "lat": 30.1}, "lng", 400),
        ({"title": "题" * 101}, "title", 400),
    ],
)
def test_bad_input_is_a_4xx_with_a_chinese_message_and_no_ticket(api, change, field, status):
    before = (Ticket.objects.count(), TicketEvent.objects.count())
    response = api.post("/api/v1/tickets", {**GOOD, **change}, content_type="application/json")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert (Ticket.objects.count(), TicketEvent.objects.count()) == before


def test_malformed_json_is_a_400(api):
    response = api.post("/api/v1/tickets", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_unauthenticated_and_bad_token_are_401(world):
    assert Client().get("/api/v1/tickets").status_code == 401
    response = Client(HTTP_AUTHORIZATION="Bearer nope").get("/api/v1/tickets")
    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "未登录或API令牌无效", "fields": {}}


def test_workflow_through_the_api(world, api):
    number = api.post("/api/v1/tickets", GOOD, content_type="application/json").json()["number"]
    dispatcher, handler = _as(world.dispatcher), _as(world.handler_a)

    r = dispatcher.post(f"/api/v1/tickets/{number}/dispatch", {"department": "ZZZ"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["fields"]["department"].startswith("承办单位不存在")

    r = dispatcher.post(f"/api/v1/tickets/{number}/dispatch", {"department": "A"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "pending_sign"

    r = handler.post(f"/api/v1/tickets/{number}/reply", {"reply_text": "x", "result": "resolved"},
                     content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"

    r = _as(world.handler_b).post(f"/api/v1/tickets/{number}/sign", {}, content_type="application/json")
    assert r.status_code == 404

    r = handler.post(f"/api/v1/tickets/{number}/sign", {}, content_type="application/json")
    assert r.json()["allowed_actions"] == ["subdispatch", "return", "contact", "request_extension", "reply", "attach"]

    r = handler.post(f"/api/v1/tickets/{number}/reply", {"reply_text": "路灯已修复", "result": "已解决"},
                     content_type="application/json")
    assert r.status_code == 200 and r.json()["reply_result"] == "resolved"

    r = dispatcher.post(f"/api/v1/tickets/{number}/supervise", {"note": ""}, content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "action_forbidden"

    r = api.post(f"/api/v1/tickets/{number}/callback",
                 {"status": "reached", "satisfaction": "satisfied", "resolved": True}, content_type="application/json")
    assert r.status_code == 200
    detail = api.get(f"/api/v1/tickets/{number}").json()
    assert detail["state"] == "closed"
    assert [e["action"] for e in detail["events"]] == ["create", "dispatch", "sign", "reply", "callback"]


def test_attachment_upload(world, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    number = api.post("/api/v1/tickets", GOOD, content_type="application/json").json()["number"]
    r = api.post(f"/api/v1/tickets/{number}/attachments", {"file": SimpleUploadedFile("现场.png", b"\x89PNG..")})
    assert r.status_code == 201, r.content
    assert r.json()["attachments"][0]["name"] == "现场.png"
    r = api.post(f"/api/v1/tickets/{number}/attachments", {"file": SimpleUploadedFile("a.sh", b"rm -rf /")})
    assert r.status_code == 400 and "file" in r.json()["fields"]


def test_list_filters_search_and_pagination(world, api):
    for i in range(3):
        api.post("/api/v1/tickets", {**GOOD, "content": f"第{i}件：路灯不亮"}, content_type="application/json")
    api.post("/api/v1/tickets", {**GOOD, "kind": "consult", "content": "咨询社保缴费"}, content_type="application/json")
    dispatcher = _as(world.dispatcher)
    assert dispatcher.get("/api/v1/tickets?kind=consult").json()["count"] == 1
    assert dispatcher.get("/api/v1/tickets?q=社保").json()["count"] == 1
    assert dispatcher.get("/api/v1/tickets?category=01").json()["count"] == 4
    assert dispatcher.get("/api/v1/tickets?created_from=2000-01-01&created_to=2099-12-31").json()["count"] == 4
    page = dispatcher.get("/api/v1/tickets?page=2&page_size=3").json()
    assert (page["count"], len(page["results"])) == (4, 1)
    r = dispatcher.get("/api/v1/tickets?state=bogus")
    assert r.status_code == 400 and "state" in r.json()["fields"]
    r = dispatcher.get("/api/v1/tickets?created_from=昨天")
    assert r.status_code == 400


def test_list_query_count_does_not_grow_with_rows(world, api):
    dispatcher = _as(world.dispatcher)
    api.post("/api/v1/tickets", GOOD, content_type="application/json")
    with CaptureQueriesContext(connection) as one:
        dispatcher.get("/api/v1/tickets")
    for _ in range(5):
        api.post("/api/v1/tickets", GOOD, content_type="application/json")
    with CaptureQueriesContext(connection) as six:
        dispatcher.get("/api/v1/tickets")
    assert len(six) == len(one)


def test_directory_endpoints_and_openapi(world, api):
    departments = api.get("/api/v1/directory/departments").json()
    assert {"code": "A1", "parent": "A"}.items() <= next(d for d in departments if d["code"] == "A1").items()
    categories = api.get("/api/v1/directory/categories").json()
    assert next(c for c in categories if c["code"] == "0101")["default_department"] == "A"
    assert api.get("/api/v1/directory/regions").json()[0]["code"] == "110"
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets/{number}/dispatch" in schema["paths"]
    assert Client().get("/api/v1/docs").status_code == 200
