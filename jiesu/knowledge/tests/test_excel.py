"""Articles to Excel and back; a bad row refuses the whole file and names the row."""

from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from jiesu.core.errors import ValidationFailed
from jiesu.knowledge import excel
from jiesu.knowledge.models import Article
from jiesu.knowledge.tests.test_knowledge import kb  # noqa: F401 - fixture
from jiesu.tickets.tests.test_api import _as


def _book(rows) -> bytes:
    book = Workbook()
    book.active.append(excel.COLUMNS)
    for row in rows:
        book.active.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def test_export_then_import_round_trip(world, kb):  # noqa: F811
    content = _as(world.operator).get("/api/v1/knowledge/export.xlsx").content
    ws = load_workbook(BytesIO(content)).active
    assert [c.value for c in ws[1]] == excel.COLUMNS and ws.max_row == len(kb) + 1
    assert ws["A2"].value == kb[0] and "自由职业怎么交社保" in ws["C2"].value.splitlines()

    done = excel.import_articles(world.supervisor, content, publish=True)
    assert done == {"created": 0, "updated": len(kb), "published": len(kb)}
    assert Article.objects.get(code=kb[0]).published.number == 2


def test_new_rows_become_drafts_and_bad_rows_refuse_the_file(world):
    good = ["", "养犬登记", "狗证在哪办\n养狗要登记吗", "到所在街道派出所办理养犬登记。", "", "养犬", "", "", "A", "", ""]
    response = _as(world.handler_a).post("/api/v1/knowledge/import", {"file": BytesIO(_book([good]))})
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 0, "published": 0}
    article = Article.objects.get()
    assert article.status == "draft" and article.versions.get().questions == ["狗证在哪办", "养狗要登记吗"]

    bad = ["", "", "", "", "", "", "", "", "A", "2026-13-01", ""]
    with pytest.raises(ValidationFailed) as excinfo:
        excel.import_articles(world.handler_a, _book([good, bad]))
    assert list(excinfo.value.fields) == ["第3行"] and "标题" in excinfo.value.fields["第3行"]
    assert Article.objects.count() == 1  # nothing from the refused file
    with pytest.raises(ValidationFailed):
        excel.import_articles(world.handler_a, b"not a workbook")
    with pytest.raises(ValidationFailed):
        excel.import_articles(world.handler_a, _book([good]), publish=True)  # publishing needs a reviewer


def test_commands(world, kb, tmp_path):  # noqa: F811
    path = tmp_path / "kb.xlsx"
    call_command("knowledge", "export", str(path), stdout=StringIO())
    out = StringIO()
    call_command("knowledge", "import", str(path), "--as", "supervisor", "--publish", stdout=out)
    assert f"更新 {len(kb)} 条" in out.getvalue()
    out = StringIO()
    call_command("knowledge", "remind", "--json", stdout=out)
    assert out.getvalue().strip() == "[]"
