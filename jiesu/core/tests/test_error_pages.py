"""400/403/404/500 are Chinese pages in the site's layout with a way on (never back to a refused page); /api/
answers JSON {code, message, fields} and /open311/ its GeoReport error list, whatever failed."""

import re
from xml.etree import ElementTree as ET

import pytest
from django.db import OperationalError
from django.template import loader
from django.test import Client

from jiesu.core import error_pages
from jiesu.core.errors import ServiceError

BOOM = pytest.mark.urls("jiesu.core.tests.error_urls")


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False  # with DEBUG on, Django shows its technical pages instead


def _hrefs(response) -> list[str]:
    return re.findall(r'href="([^"]*)"', response.content.decode())


def test_an_unknown_page_is_a_chinese_404_in_the_layout_with_the_start_page(client, world):
    client.force_login(world.operator)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "text/html" in response["Content-Type"]
    assert "页面不存在" in html and '<header class="top">' in html and "来电登记" in html  # the user's menu
    assert "/" in _hrefs(response) and "/accounts/login/" not in _hrefs(response)


def test_signed_out_the_404_offers_the_login_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()
    assert {"/", "/accounts/login/"} <= set(_hrefs(response))


def test_a_refused_page_is_a_chinese_403_that_never_links_back_to_itself(client, world):
    client.force_login(world.operator)
    response = client.get("/kpi/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in html and "您无权查看考核指标" in html and '<header class="top">' in html
    assert "/" in _hrefs(response)
    assert not [h for h in _hrefs(response) if h.split("?")[0] == "/kpi/"]


def test_an_unknown_api_path_answers_json(client, db):
    for url in ("/api/v1/xyz", "/api/v1/tickets/1/nothing/here", "/api/"):
        response = client.get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/json", url
        assert response.json() == {"code": "not_found", "message": "请求的资源不存在", "fields": {}}


def test_an_unknown_open311_path_answers_in_its_format(client, db):
    response = client.get("/open311/v3/services.xml")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/xml")
    assert ET.fromstring(response.content).find("error/code").text == "404"
    assert client.get("/open311/").json()[0]["code"] == 404


@BOOM
def test_a_failing_view_answers_the_chinese_500_page(db):
    response = Client(raise_request_exception=False).get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500 and "系统出错" in html
    assert {"/", "/accounts/login/"} <= set(_hrefs(response))


@BOOM
def test_a_failing_api_or_open311_view_answers_in_its_format(db):
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/boom")
    assert response.status_code == 500 and response.json()["code"] == "server_error" and response.json()["message"]
    response = client.get("/open311/v2/boom.xml")
    assert response.status_code == 500 and ET.fromstring(response.content).find("error/code").text == "500"


def test_a_failing_ninja_endpoint_answers_json(monkeypatch, world):
    # Ninja passes unhandled exceptions on to Django when DEBUG is off: they reach handler500.
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a service")

    monkeypatch.setattr("jiesu.directory.api.Region.objects.select_related", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.operator)
    response = client.get("/api/v1/directory/regions")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "服务器内部错误，请稍后重试", "fields": {}}


def test_the_pages_render_when_the_database_is_down(monkeypatch, rf):
    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    # The menu needs the user's roles: without the database, the 404 page is shown without it.
    monkeypatch.setattr("jiesu.directory.context_processors.roles_of", down)

    class User:
        is_authenticated = True

    request = rf.get("/no-such-page/")
    request.user = User()
    response = error_pages.page_not_found(request, None)
    assert response.status_code == 404 and "页面不存在" in response.content.decode()
    response = error_pages.server_error(rf.get("/tickets/"))
    assert response.status_code == 500 and "系统出错" in response.content.decode()


def test_500_html_needs_no_context_at_all():
    html = loader.get_template("500.html").render()
    assert "系统出错" in html and "500" in html and "{%" not in html


def test_a_service_refusal_keeps_its_message_and_code_in_the_api(rf):
    refusal = ServiceError("提交的内容含有无法保存的字符", code="invalid_text", fields={"content": "含有无法保存的字符"})
    response = error_pages.bad_request(rf.get("/api/v1/tickets"), refusal)
    assert response.status_code == 400 and b'"invalid_text"' in response.content
    page = error_pages.bad_request(rf.get("/intake/"), refusal)
    assert page.status_code == 400 and "提交的内容含有无法保存的字符" in page.content.decode()


@pytest.mark.parametrize("status", [400, 403, 404, 409])
def test_the_page_renders_without_a_request(status):
    # When the user's context cannot be built (the database is down), the page is rendered bare.
    html = loader.render_to_string("error.html", {"status": status, "title": "标题", "message": "说明"})
    assert str(status) in html and "说明" in html and 'href="/accounts/login/"' in html
