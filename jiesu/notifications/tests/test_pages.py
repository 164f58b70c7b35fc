"""The bell, the list, opening and marking read, preferences; the same over the API."""

import json

from django.test import Client

from jiesu.notifications.models import Notification, Preference
from jiesu.tickets.workflow import Action


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _dispatched(world):
    ticket = world.new_ticket()
    return world.act(ticket, Action.DISPATCH)


def test_the_bell_counts_and_opening_marks_read(world):
    ticket = _dispatched(world)
    handler = _client(world.handler_a)
    badges = handler.get("/notifications/badges/").content.decode()
    assert 'id="bell-count"' in badges and 'data-unread="1"' in badges and 'hx-swap-oob="true"' in badges
    assert 'data-todo="1"' in badges  # one to sign
    page = handler.get("/notifications/").content.decode()
    assert f"新派单：工单{ticket.number}" in page and "未读" in page
    n = Notification.objects.get(user=world.handler_a)
    response = handler.get(f"/notifications/{n.pk}/")
    assert response.status_code == 302 and response.url == f"/tickets/{ticket.number}/"
    n.refresh_from_db()
    assert n.read_at is not None
    assert 'data-unread="0"' in handler.get("/notifications/badges/").content.decode()


def test_no_one_opens_anothers_notification(world):
    _dispatched(world)
    n = Notification.objects.get(user=world.handler_a)
    assert _client(world.handler_b).get(f"/notifications/{n.pk}/").status_code == 404
    assert _client(world.handler_b).post(f"/api/v1/notifications/{n.pk}/read").status_code in (403, 404)
    n.refresh_from_db()
    assert n.read_at is None


def test_read_all(world):
    for _ in range(3):
        _dispatched(world)
    handler = _client(world.handler_a)
    response = handler.post("/notifications/read-all/", follow=True)
    assert "已将 3 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_the_api(world):
    from jiesu.core.tokens import create_token

    ticket = _dispatched(world)
    _dispatched(world)
    _, key = create_token(user=world.handler_a, name="测试")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    listed = api.get("/api/v1/notifications?limit=1").json()
    assert listed["count"] == 2 and listed["unread"] == 2 and len(listed["items"]) == 1
    first = api.get("/api/v1/notifications").json()["items"][-1]
    assert first["ticket"] == ticket.number and first["event"] == "dispatch" and first["event_label"] == "新派单"
    read = api.post(f"/api/v1/notifications/{first['id']}/read").json()
    assert read["read_at"] is not None
    assert api.get("/api/v1/notifications?unread=true").json()["count"] == 1
    assert api.post("/api/v1/notifications/read-all").json() == {"marked": 1}
    assert api.post("/api/v1/notifications/999999/read").json()["code"] == "notification_not_found"
    assert api.get("/api/v1/notifications?limit=0").status_code == 400


def test_preferences(world):
    handler = _client(world.handler_a)
    page = handler.get("/notifications/preferences/").content.decode()
    assert "临期提醒" in page and 'name="sla_warning" value="sms" checked' in page  # SMS by default
    response = handler.post("/notifications/preferences/", {"dispatch": ["sms", "webhook"], "sla_warning": []})
    assert response.status_code == 302
    assert Preference.objects.get(user=world.handler_a, event="dispatch").channels == ["sms", "webhook"]
    assert Preference.objects.get(user=world.handler_a, event="sla_warning").channels == []
    bad = handler.post("/notifications/preferences/", {"dispatch": ["pigeon"]}, follow=True)
    assert bad.status_code == 200 and "渠道只能是" in bad.content.decode()
    assert Preference.objects.get(user=world.handler_a, event="dispatch").channels == ["sms", "webhook"]


def test_every_page_has_the_bell(world):
    html = _client(world.operator).get("/tickets/").content.decode()
    assert 'hx-get="/notifications/badges/"' in html and 'id="bell-count"' in html and 'id="todo-badge"' in html
    assert json.dumps("every 15s")[1:-1] in html
