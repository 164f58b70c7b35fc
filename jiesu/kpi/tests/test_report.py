"""The monthly 通报 command writes a workbook and a page with the month's figures."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from jiesu.kpi.tests.test_rates import crafted  # noqa: F401 - fixture


def test_monthly_report(world, crafted, tmp_path):  # noqa: F811
    out = StringIO()
    call_command("kpi", "report", "--month", "2026-10", "--out", str(tmp_path), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["counts"]["dispatched"] == 6 and result["rates"]["response"] == pytest.approx(4 / 6)
    book = load_workbook(tmp_path / "kpi-2026-10.xlsx")
    assert book.sheetnames == ["总体指标", "单位排名", "后10名", "诉求热点分类", "涉企诉求"]
    assert book["单位排名"]["B2"].value == "甲委员会" and book["单位排名"].freeze_panes == "A2"
    assert book["诉求热点分类"]["A2"].value == "城市管理 › 路灯不亮" and book["诉求热点分类"]["B2"].value == 6
    page = (tmp_path / "kpi-2026-10.html").read_text(encoding="utf-8")
    assert "2026年10月 12345热线接诉即办考核通报" in page and "66.7%" in page and "甲委员会" in page


def test_verify_and_rebuild_commands(world, crafted):  # noqa: F811
    out = StringIO()
    call_command("kpi", "verify", stdout=out)
    assert "一致" in out.getvalue()
    from jiesu.kpi.models import KpiDaily

    KpiDaily.objects.filter(dispatched__gt=0).update(dispatched=99)  # simulate drift
    with pytest.raises(CommandError, match="不一致"):
        call_command("kpi", "verify", stdout=StringIO(), stderr=StringIO())
    call_command("kpi", "rebuild", stdout=StringIO())
    call_command("kpi", "verify", stdout=StringIO())


def test_bad_month_is_a_clear_error(db):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("kpi", "report", "--month", "October")
