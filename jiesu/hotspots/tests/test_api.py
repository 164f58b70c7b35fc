"""Duplicates and hotspots over the API, and 并单 through the ticket action endpoints."""

from datetime import timedelta

from jiesu.core import clock
from jiesu.hotspots.tests.test_duplicates import BASE, NEAR
from jiesu.tickets.tests.test_api import _as


def test_similar_returns_flagged_candidates_with_reasons(world):
    first = world.new_ticket(content=BASE, category="")
    body = _as(world.operator).post("/api/v1/hotspots/similar", {"content": NEAR[0], "region": "110",
                                                                  "caller_phone": "13800138000"},
                                    content_type="application/json").json()
    assert body[0]["number"] == first.number and body[0]["flagged"] and body[0]["same_caller"]
    assert "同一来电号码" in body[0]["reasons"]
    assert _as(world.operator).post("/api/v1/hotspots/similar", {}, content_type="application/json").json() == []
    response = _as(world.handler_a).post("/api/v1/hotspots/similar", {"content": BASE},
                                         content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "similar_forbidden"


def test_merge_and_unmerge_through_the_ticket_actions(world):
    parent = world.new_ticket(content=BASE, category="")
    child = world.new_ticket(content=NEAR[1], caller_phone="13900139000", category="")
    api = _as(world.dispatcher)

    detail = api.get(f"/api/v1/tickets/{child.number}").json()
    assert detail["duplicates"][0]["number"] == parent.number and detail["duplicates"][0]["flagged"]
    assert "merge" in detail["allowed_actions"] and "follow_reply" not in detail["allowed_actions"]

    response = api.post(f"/api/v1/tickets/{child.number}/merge", {"parent": parent.number},
                        content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "merged" and response.json()["merged_into"] == parent.number
    assert api.get(f"/api/v1/tickets/{parent.number}").json()["merged_children"] == [child.number]

    response = api.post(f"/api/v1/tickets/{child.number}/merge", {"parent": parent.number},
                        content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"
    response = api.post(f"/api/v1/tickets/{child.number}/unmerge", {"note": "不是同一事项"},
                        content_type="application/json")
    assert response.json()["state"] == "pending_dispatch" and response.json()["merged_into"] is None


def test_hotspot_list_and_its_errors(world):
    for i, text in enumerate([BASE, *NEAR]):
        world.new_ticket(content=text, caller_phone=f"1390000000{i}", category="")
    today = clock.today()
    api = _as(world.dispatcher)
    body = api.get("/api/v1/hotspots", {"start": today - timedelta(days=6), "end": today}).json()
    assert body[0]["count"] == 3 and "枫林苑" in body[0]["topic"] and body[0]["growth"] is None

    for params in ({"start": today, "end": today - timedelta(days=3)},
                   {"start": today - timedelta(days=500), "end": today},
                   {"start": "2026-13-01", "end": today},
                   {"start": today, "end": today, "min_count": 1}):
        response = api.get("/api/v1/hotspots", params)
        assert response.status_code == 400 and response.json()["message"], params
    assert _as(world.operator).get("/api/v1/hotspots", {"start": today, "end": today}).status_code == 403
