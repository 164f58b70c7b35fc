"""The back-office pages render for each role and show service errors in Chinese."""

import pytest
from django.test import Client

from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import State


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "page", "status"),
    [
        ("operator", "/intake/", 200),
        ("operator", "/dispatch/", 404),
        ("dispatcher", "/dispatch/", 200),
        ("dispatcher", "/inbox/", 404),
        ("handler_a", "/inbox/", 200),
        ("handler_a", "/inbox/?tab=progress", 200),
        ("handler_a", "/inbox/?tab=reply", 200),
        ("handler_a", "/intake/", 404),
        ("supervisor", "/tickets/", 200),
        ("supervisor", "/tickets/?state=in_progress&q=路灯&created_from=2020-01-01", 200),
        ("admin", "/admin/", 302),
    ],
)
def test_pages_per_role(world, who, page, status):
    world.ticket_in(State.IN_PROGRESS)
    assert _client(getattr(world, who)).get(page).status_code == status


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/intake/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_home_is_my_worklists_for_every_role_that_has_them(world):
    for who in ("dispatcher", "operator", "handler_a", "supervisor"):
        assert _client(getattr(world, who)).get("/").url == "/todo/", who
    assert _client(world.admin).get("/").url == "/tickets/"


def test_intake_shows_field_errors_and_writes_nothing(world):
    response = _client(world.operator).post("/intake/", {"channel": "phone", "content": "", "caller_phone": "abc"})
    text = response.content.decode()
    assert "请填写诉求内容" in text and "联系电话格式不正确" in text
    assert Ticket.objects.count() == 0


def test_detail_offers_only_the_actions_this_user_may_take(world):
    ticket = world.ticket_in(State.PENDING_SIGN)
    handler_page = _client(world.handler_a).get(f"/tickets/{ticket.number}/").content.decode()
    assert "签收" in handler_page and "提交答复" not in handler_page
    dispatcher_page = _client(world.dispatcher).get(f"/tickets/{ticket.number}/").content.decode()
    assert ">签收</button>" not in dispatcher_page and "作废" in dispatcher_page


def test_action_form_error_is_shown_and_state_kept(world):
    ticket = world.ticket_in(State.IN_PROGRESS)
    client = _client(world.handler_a)
    response = client.post(f"/tickets/{ticket.number}/act/reply/", {"reply_text": "", "result": ""}, follow=True)
    assert "请填写答复内容" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).state == State.IN_PROGRESS


def test_attachment_upload_and_download_respect_access(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = world.ticket_in(State.IN_PROGRESS)
    client = _client(world.handler_a)
    client.post(f"/tickets/{ticket.number}/act/attach/", {"file": SimpleUploadedFile("现场.txt", b"hello")})
    attachment = ticket.attachments.get()
    url = f"/tickets/{ticket.number}/attachments/{attachment.pk}/"
    assert b"".join(client.get(url).streaming_content) == b"hello"
    assert _client(world.handler_b).get(url).status_code == 404


def test_django_admin_shows_tickets_read_only(world):
    from django.contrib.auth import get_user_model

    ticket = world.ticket_in(State.IN_PROGRESS)
    root = get_user_model().objects.create_superuser("root", "root@example.invalid", "pw-12345")
    client = _client(root)
    assert client.get("/admin/tickets/ticket/").status_code == 200
    page = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.status_code == 200 and "流转记录" in page.content.decode()
    assert client.get("/admin/tickets/ticket/add/").status_code == 403
    assert client.get("/admin/directory/category/").status_code == 200


def test_dispatch_queue_queries_do_not_grow_with_tickets(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(world.dispatcher)
    world.ticket_in(State.PENDING_DISPATCH)
    client.get("/dispatch/")  # the directory and staff roles load into memory once (directory.snapshot)
    with CaptureQueriesContext(connection) as one:
        client.get("/dispatch/")
    for _ in range(5):
        world.ticket_in(State.PENDING_DISPATCH)
    with CaptureQueriesContext(connection) as six:
        client.get("/dispatch/")
    assert len(six) == len(one)
