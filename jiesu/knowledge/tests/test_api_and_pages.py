"""The knowledge base through the API and the pages; 即时办结 citing an article."""

import pytest

from jiesu.knowledge import services
from jiesu.knowledge.models import Article, SearchMiss
from jiesu.knowledge.tests.test_knowledge import kb  # noqa: F401 - fixture
from jiesu.tickets import services as tickets
from jiesu.tickets.tests.test_api import _as
from jiesu.tickets.workflow import Action, State


def test_draft_submit_review_and_search_through_the_api(world):
    author, reviewer = _as(world.handler_a), _as(world.supervisor)
    body = author.post("/api/v1/knowledge/articles", {
        "title": "电动自行车上牌", "questions": ["电瓶车怎么上牌照"], "answer": "携带购车发票、合格证到车管所办理。",
        "tags": ["电动自行车"], "valid_until": "2099-12-31"}, content_type="application/json")
    assert body.status_code == 201, body.content
    code = body.json()["code"]
    assert body.json()["status"] == "draft" and body.json()["versions"][0]["status"] == "draft"
    assert author.post(f"/api/v1/knowledge/articles/{code}/submit").json()["versions"][0]["status"] == "submitted"
    refused = author.post(f"/api/v1/knowledge/articles/{code}/review", {"approve": True},
                          content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "knowledge_forbidden"
    published = reviewer.post(f"/api/v1/knowledge/articles/{code}/review", {"approve": True},
                              content_type="application/json").json()
    assert published["status"] == "published" and published["version"] == 1

    hits = _as(world.operator).get("/api/v1/knowledge/search", {"q": "电瓶车上牌照去哪"}).json()
    assert hits[0]["article"]["code"] == code and "上牌" in "".join(hits[0]["matched"])
    bad = author.post("/api/v1/knowledge/articles", {"title": "", "valid_from": "2026-02-30"},
                      content_type="application/json")
    assert bad.status_code == 400 and {"title", "answer", "valid_from"} <= set(bad.json()["fields"])
    assert _as(world.operator).get("/api/v1/knowledge/articles/ZS999999").status_code == 404


def test_instant_close_cites_the_article(world, kb):  # noqa: F811
    article = Article.objects.get(code=kb[0])
    ticket = tickets.create_ticket(actor=world.operator, data={
        "kind": "consult", "content": "自由职业怎么交社保", "caller_phone": "13800138000",
        "answer": article.answer, "article": article.code, "category": "0101"})
    assert ticket.state == State.CLOSED
    assert f"知识库 {article.code}《{article.title}》" in ticket.reply_text
    event = ticket.events.get(action=Action.INSTANT_CLOSE)
    assert event.data == {"article": article.code}

    with pytest.raises(Exception) as excinfo:  # from the knowledge base, the category is required
        tickets.create_ticket(actor=world.operator, data={
            "kind": "consult", "content": "自由职业怎么交社保", "caller_phone": "13800138000",
            "answer": article.answer, "article": article.code})
    assert "category" in excinfo.value.fields

    services.withdraw(actor=world.supervisor, code=kb[1])
    with pytest.raises(Exception) as excinfo:
        tickets.create_ticket(actor=world.operator, data={
            "kind": "consult", "content": "公积金", "caller_phone": "13800138000", "answer": "x", "article": kb[1],
            "category": "0101"})
    assert "article" in excinfo.value.fields


def test_pages(world, kb, client):  # noqa: F811
    client.force_login(world.operator)
    panel = client.get("/knowledge/suggest/", {"content": "孩子刚出生怎么办医保"}).content.decode()
    assert kb[2] in panel and "用此答复即时办结" in panel
    assert "没有找到" in client.get("/knowledge/suggest/", {"content": "养犬登记在哪里办理呢"}).content.decode()
    assert not SearchMiss.objects.exists()  # what is typed on a call is not kept
    client.get("/knowledge/", {"q": "养犬登记在哪里办理呢"})
    assert "养犬登记" not in client.get("/knowledge/").content.decode()  # operators do not see misses
    client.force_login(world.handler_a)
    assert "养犬登记" in client.get("/knowledge/").content.decode()  # the miss, for the departments
    client.force_login(world.operator)

    client.force_login(world.handler_a)
    response = client.post("/knowledge/new/", {"title": "门牌号申请", "answer": "向所在街道申请。", "questions": "门牌怎么办"})
    code = Article.objects.order_by("-id").first().code
    assert response.status_code == 302 and response["Location"].endswith(f"/knowledge/{code}/")
    client.post(f"/knowledge/{code}/submit/")
    for reader in (world.operator, world.handler_b):  # a draft under review is its department's and reviewers'
        client.force_login(reader)
        assert client.get(f"/knowledge/{code}/").status_code == 404
    client.force_login(world.supervisor)
    assert "审核发布" in client.get(f"/knowledge/{code}/").content.decode()
    client.post(f"/knowledge/{code}/approve/")
    assert Article.objects.get(code=code).status == "published"
    client.force_login(world.handler_b)
    assert 'id="kb-edit"' not in client.get(f"/knowledge/{code}/").content.decode()


def test_admin_pages(world, kb, client):  # noqa: F811
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="pw-12345"))
    article = Article.objects.get(code=kb[0])
    for url in ("/admin/knowledge/synonymgroup/", "/admin/knowledge/synonymgroup/add/", "/admin/knowledge/article/",
                f"/admin/knowledge/article/{article.pk}/change/", "/admin/knowledge/articleversion/",
                "/admin/knowledge/searchmiss/", "/admin/hotspots/governanceitem/", "/admin/hotspots/hotspotrun/",
                "/admin/hotspots/hotspot/", "/admin/hotspots/duplicatematch/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/knowledge/article/add/").status_code == 403


def test_drafts_and_misses_over_the_api(world, kb):  # noqa: F811
    draft = services.save_draft(actor=world.handler_a, data={"title": "门牌号申请", "answer": "向所在街道申请。",
                                                             "questions": ["门牌怎么办"]}).article.code
    assert _as(world.operator).get(f"/api/v1/knowledge/articles/{draft}").status_code == 404
    assert _as(world.handler_b).get(f"/api/v1/knowledge/articles/{draft}").status_code == 404
    assert _as(world.handler_a).get(f"/api/v1/knowledge/articles/{draft}").json()["versions"][0]["status"] == "draft"
    assert _as(world.supervisor).get(f"/api/v1/knowledge/articles/{draft}").status_code == 200
    published = _as(world.operator).get(f"/api/v1/knowledge/articles/{kb[0]}").json()
    assert {v["status"] for v in published["versions"]} == {"published"}

    _as(world.operator).get("/api/v1/knowledge/search", {"q": "养犬登记在哪里办 电话13912345678"})
    assert _as(world.operator).get("/api/v1/knowledge/misses").status_code == 403
    misses = _as(world.handler_a).get("/api/v1/knowledge/misses").json()
    assert misses and "13912345678" not in str(misses)
