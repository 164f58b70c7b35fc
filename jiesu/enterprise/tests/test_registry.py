"""The enterprise registry: codes with their check digit, the industry table, Excel import (all or nothing, errors
by row), the look-up at intake, and contacts shown as callers are."""

from io import BytesIO

import pytest
from django.test import Client
from openpyxl import Workbook

from jiesu.core.tokens import create_token
from jiesu.core.validators import uscc_check_char
from jiesu.directory.models import Region
from jiesu.enterprise import industry, services
from jiesu.enterprise.models import Contact, Enterprise


def code(first17: str) -> str:
    return first17 + uscc_check_char(first17)


GOOD = code("91350100M00010023")  # built with the check character GB 32100-2015 gives


def workbook(*rows, header=services.COLUMNS) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(header)
    for row in rows:
        ws.append(list(row) + [""] * (len(header) - len(row)))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def row(credit=GOOD, name="江州明湖示范科技有限公司", division="39", scale="小型", region="", address="明湖路1号",
        founded="2015-03-01", employees=45, quals="高新技术企业、专精特新中小企业", contact="陈立", phone="13800138000",
        title="行政经理"):
    return [credit, name, division, scale, region, address, founded, employees, quals, contact, phone, title]


def api(user):
    _, key = create_token(user=user, name="测试")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.mark.parametrize("value, valid", [
    (GOOD, True),
    (GOOD.lower(), True),  # typed in lower case
    (GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"), False),  # wrong check character
    ("91110108600040399A", False),  # the check character must be the computed one
    (GOOD[:17], False),
    ("I1350100M00010023" + "0", False),  # I, O, S, V, Z are not in the code's alphabet
])
def test_the_check_character_decides(value, valid):
    if valid:
        assert services.clean_code(value) == GOOD
    else:
        with pytest.raises(services.ValidationFailed):
            services.clean_code(value)


def test_the_demo_enterprises_code_is_valid():
    assert services.clean_code("9135 0100 M000 100Y43") == "91350100M000100Y43"  # spaces as people copy it


def test_industry_divisions_belong_to_their_sections():
    assert len(industry.DIVISIONS) == 97 and len(industry.SECTIONS) == 20
    assert [industry.section_of(d) for d in ("01", "05", "06", "13", "43", "44", "70", "83", "96", "97")] == \
        ["A", "A", "B", "C", "C", "D", "K", "P", "S", "T"]
    assert industry.label("39") == "C 制造业 · 39 计算机、通信和其他电子设备制造业"
    assert industry.parse_division("39 计算机、通信和其他电子设备制造业") == "39"
    assert industry.parse_division("7") == "07" and industry.parse_division("软件和信息技术服务业") == "65"
    assert industry.parse_division("98") is None and industry.parse_division("39 零售业") is None


def test_import_adds_then_updates(world):
    region = Region.objects.create(code="350102", name="明湖区", level=Region.Level.DISTRICT)
    second = code("91350100M00010024")
    done = services.import_workbook(world.admin, workbook(row(region="350102"), row(credit=second, name="江州二厂",
                                                                                    division="软件和信息技术服务业",
                                                                                    scale="微型企业", quals="",
                                                                                    contact="", phone="")))
    assert done == {"created": 2, "updated": 0}
    first = Enterprise.objects.get(credit_code=GOOD)
    assert first.region == region and first.section == "C" and first.employees == 45
    assert sorted(q.name for q in first.qualifications.all()) == ["专精特新中小企业", "高新技术企业"]
    assert first.contacts.get().phone == "13800138000"
    assert Enterprise.objects.get(credit_code=second).industry == "65"

    again = services.import_workbook(world.admin, workbook(row(name="江州明湖示范科技股份有限公司", scale="中型",
                                                               quals="规模以上企业", title="总经理")))
    assert again == {"created": 0, "updated": 1}
    first.refresh_from_db()
    assert first.name == "江州明湖示范科技股份有限公司" and first.scale == "medium"
    assert [q.name for q in first.qualifications.all()] == ["规模以上企业"]
    assert Contact.objects.get(enterprise=first).title == "总经理"  # the same phone: the same contact


def test_one_bad_row_refuses_the_whole_file_naming_every_error(world):
    bad = workbook(
        row(),
        row(credit=code("91350100M00010025")[:-1] + "0" if code("91350100M00010025")[-1] != "0" else "X",
            name=""),
        row(credit=code("91350100M00010026"), division="98", scale="特大型", region="999999",
            founded="2015-13-01", employees="四十", quals="五星企业", phone="12"),
        row(),  # the first row again
    )
    with pytest.raises(services.ValidationFailed) as refused:
        services.import_workbook(world.admin, bad)
    errors = refused.value.fields
    assert set(errors) == {"第3行", "第4行", "第5行"}
    assert "统一社会信用代码" in errors["第3行"] and "企业名称：必填" in errors["第3行"]
    for column in ("行业大类", "企业规模", "所在区划", "成立日期", "从业人数", "资质：未知资质：五星企业", "联系电话"):
        assert column in errors["第4行"], column
    assert errors["第5行"] == "统一社会信用代码：与第2行重复"
    assert "3 行有误" in refused.value.message
    assert not Enterprise.objects.exists()  # nothing of the good row either


def test_the_file_itself_is_checked(world):
    for content, message in ((b"not a workbook", "无法读取"), (workbook(header=["代码", "名称"]), "表头应为"),
                             (workbook(), "没有企业")):
        with pytest.raises(services.ValidationFailed) as refused:
            services.import_workbook(world.admin, content)
        assert message in refused.value.fields["file"]


def test_lookup_at_intake_and_contacts_masked_outside_the_centre(world):
    services.import_workbook(world.admin, workbook(row()))
    seen = api(world.operator).get(f"/api/v1/enterprises/{GOOD.lower()}")
    assert seen.status_code == 200, seen.content
    body = seen.json()
    assert body["name"] == "江州明湖示范科技有限公司" and body["scale_label"] == "小型"
    assert body["industry_label"].startswith("C 制造业 · 39")
    assert body["contacts"] == [{"name": "陈立", "phone": "13800138000", "title": "行政经理"}]
    # A unit sees the enterprise but its contact as callers are shown to units: masked.
    unit = api(world.handler_a).get(f"/api/v1/enterprises/{GOOD}").json()
    assert unit["contacts"] == [{"name": "陈*", "phone": "138****8000", "title": "行政经理"}]

    wrong = api(world.operator).get("/api/v1/enterprises/91350100M000100230")
    assert wrong.status_code == 400 and wrong.json()["fields"]["credit_code"].startswith("统一社会信用代码无效")
    unknown = api(world.operator).get(f"/api/v1/enterprises/{code('91350100M00010099')}")
    assert unknown.status_code == 404 and unknown.json()["code"] == "enterprise_not_found"


def test_only_administrators_import(world):
    refused = api(world.operator).post("/api/v1/enterprises/import",
                                       {"file": BytesIO(workbook(row()))})
    assert refused.status_code == 403 and refused.json()["code"] == "enterprise_forbidden"
    upload = BytesIO(workbook(row()))
    upload.name = "企业名录.xlsx"
    done = api(world.admin).post("/api/v1/enterprises/import", {"file": upload})
    assert done.status_code == 200 and done.json() == {"created": 1, "updated": 0}
    rows = BytesIO(workbook(row(scale="巨型")))
    rows.name = "企业名录.xlsx"
    bad = api(world.admin).post("/api/v1/enterprises/import", {"file": rows})
    assert bad.status_code == 400 and "企业规模" in bad.json()["fields"]["第2行"]


def test_intake_shows_the_registrys_enterprise_and_fills_its_name(world, client):
    services.import_workbook(world.admin, workbook(row()))
    client.force_login(world.operator)
    page = client.get("/enterprises/lookup/", {"credit_code": GOOD.lower(), "enterprise_name": ""}).content.decode()
    assert "江州明湖示范科技有限公司" in page and "C 制造业 · 39" in page and "小型企业" in page
    assert 'id="f-enterprise_name"' in page and 'hx-swap-oob="true"' in page  # the empty name filled in
    typed = client.get("/enterprises/lookup/", {"credit_code": GOOD, "enterprise_name": "明湖科技"}).content.decode()
    assert "hx-swap-oob" not in typed and "与企业库不一致" in typed  # what the operator typed is kept
    assert "可照常登记" in client.get("/enterprises/lookup/",
                                   {"credit_code": code("91350100M00010099")}).content.decode()
    assert "校验位" in client.get("/enterprises/lookup/", {"credit_code": GOOD[:-1] + "Q"}).content.decode()
    assert client.get("/enterprises/lookup/", {"credit_code": GOOD[:10]}).content == b""  # still typing
    client.force_login(world.handler_a)  # handlers may look up too; the page itself is the operators'
    assert "江州明湖" in client.get("/enterprises/lookup/", {"credit_code": GOOD}).content.decode()


def test_errors_name_the_rows_of_the_sheet_blank_lines_included(world):
    with pytest.raises(services.ValidationFailed) as refused:
        services.import_workbook(world.admin, workbook(row(), [""] * 12, row(credit=code("91350100M00010031"),
                                                                               scale="巨型")))
    assert set(refused.value.fields) == {"第4行"}  # the sheet's own row 4, after an empty row 3
