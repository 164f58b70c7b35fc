"""涉企 响应率/解决率/满意率: the rollup's enterprise dimension gives them as their own rows, as a filter on every
figure (dashboard, API, lists behind the numbers) and as a section of the monthly 通报."""

from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from jiesu.kpi import report, services
from jiesu.kpi.tests.test_rates import _dispatched, _do, at, october
from jiesu.tickets.workflow import Action

CODE = "91350100M000100Y43"


@pytest.fixture
def mixed(world):
    """October: two 涉企 requests (政企直通车 without a code, a phone call naming an enterprise), one other; the 涉企
    ones handled in time and 满意, the other signed late and 不满意."""
    t0 = at(2026, 10, 12, 9)
    tickets = []
    for data, late, satisfaction in (({"channel": "enterprise"}, False, "satisfied"),
                                     ({"credit_code": CODE, "enterprise_name": "江州明湖示范科技有限公司"}, False,
                                      "satisfied"),
                                     ({}, True, "unsatisfied")):
        t = _dispatched(world, t0, **data)
        t = _do(world, t, Action.SIGN, t.sign_due_at + (1 if late else -1) * (t.sign_due_at - t0) / 10)
        t = _do(world, t, Action.CONTACT, t.signed_at + (t.contact_due_at - t.signed_at) / 2)
        t = _do(world, t, Action.REPLY, t.reply_due_at - (t.reply_due_at - t.contacted_at) / 2)
        tickets.append(_do(world, t, Action.CALLBACK, t.replied_at + (t.reply_due_at - t.replied_at) / 10,
                           satisfaction=satisfaction, resolved=satisfaction == "satisfied"))
    return tickets


def test_enterprise_rows_and_filter_agree_with_the_tickets(world, mixed):
    rows = {r["member"]: r for r in services.breakdown(october(world), "enterprise")}
    assert rows["yes"]["label"] == "涉企诉求" and rows["yes"]["counts"]["dispatched"] == 2
    assert rows["yes"]["rates"]["response"] == 1 and rows["yes"]["rates"]["satisfaction"] == 1
    assert rows["no"]["counts"]["dispatched"] == 1 and rows["no"]["rates"]["response"] == 0
    for value in ("yes", "no"):
        filters = october(world, enterprise=value)
        assert services.sums(filters) == services.raw_sums(filters)
    assert {t.number for t in services.tickets_for("dispatched", october(world, enterprise="yes"))} == {
        mixed[0].number, mixed[1].number}
    assert services.verify() == []
    assert services.rebuild() and services.verify() == []


def test_the_dashboard_api_and_report_show_them(client, world, mixed):
    client.force_login(world.supervisor)
    page = client.get("/kpi/?period=month&at=2026-10").content.decode()
    assert "涉企诉求" in page and 'id="enterprise-figures"' in page
    only = client.get("/kpi/?period=month&at=2026-10&enterprise=yes")
    assert only.status_code == 200 and only.context["summary"]["counts"]["dispatched"] == 2
    listed = client.get("/kpi/tickets/?period=month&at=2026-10&enterprise=yes&count=dispatched")
    assert listed.context["page"].paginator.count == 2
    assert client.get("/kpi/?period=month&at=2026-10&enterprise=maybe").status_code == 400
    api = client.get("/api/v1/kpi/summary?period=month&at=2026-10&enterprise=yes")
    assert api.status_code == 200 and api.json()["counts"]["dispatched"] == 2
    monthly = report.build(october(world).start)
    assert [r["label"] for r in monthly.enterprise] == ["涉企诉求", "非涉企诉求"]
    assert [r["label"] for r in monthly.enterprise_units] == ["甲委员会"]


def test_the_report_has_an_enterprise_sheet(world, mixed, tmp_path):
    call_command("kpi", "report", "--month", "2026-10", "--out", str(tmp_path), stdout=StringIO())
    sheet = load_workbook(tmp_path / "kpi-2026-10.xlsx")["涉企诉求"]
    assert [sheet["B2"].value, sheet["C2"].value, sheet["B3"].value, sheet["C3"].value] == [
        "涉企诉求", 2, "非涉企诉求", 1]
    assert "五、涉企诉求" in (tmp_path / "kpi-2026-10.html").read_text(encoding="utf-8")
