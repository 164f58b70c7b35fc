"""公开信件: only answered, consenting, non-保密 requests, masked; a search cannot reveal who a letter names."""

from django.test import Client

from jiesu.tickets.workflow import Action, State


def _published(world, **data):
    ticket = world.ticket_in(State.IN_PROGRESS, public=True, **data)
    return world.act(ticket, Action.REPLY, reply_text="张建国先生您好，停车位问题已协调物业解决。")


def test_only_answered_public_requests_are_listed_and_masked(world):
    shown = _published(world, caller_name="张建国", content="张建国反映：小区停车位被长期占用，电话13912345678。")
    hidden = [world.ticket_in(State.IN_PROGRESS, public=True, content="尚未答复的停车问题"),
              world.act(world.ticket_in(State.IN_PROGRESS, content="未同意公开的停车问题"), Action.REPLY),
              _published(world, kind="report", content="举报停车场乱收费")]
    page = Client().get("/letters/").content.decode()
    assert "停车位被长期占用" in page and "已协调物业解决" in page and shown.number not in page
    assert "张建国" not in page and "13912345678" not in page and "139****5678" in page
    for ticket in hidden:
        assert ticket.content not in page
    assert "共 1 件" in page


def test_search_matches_only_what_is_shown(world, settings):
    _published(world, caller_name="张建国", content="张建国反映：小区停车位被长期占用。")
    client = Client()
    assert "共 1 件" in client.get("/letters/", {"q": "停车位"}).content.decode()
    assert "共 0 件" in client.get("/letters/", {"q": "张建国"}).content.decode()  # the name is masked: no oracle
    assert client.get("/letters/", {"q": "x" * 500, "page": "abc"}).status_code == 200
    settings.JIESU_PUBLIC_LETTERS = False
    assert client.get("/letters/").status_code == 404
