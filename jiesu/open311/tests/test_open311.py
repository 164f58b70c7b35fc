"""Every Open311 endpoint in both formats, errors as the specification writes them, and privacy."""

from xml.etree import ElementTree as ET

import pytest

from jiesu.directory.tests.factories import make_staff
from jiesu.open311 import services
from jiesu.open311.models import ServiceAttribute
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action

BASE = "/open311/v2"
SECRET_NAME, SECRET_PHONE, SECRET_EMAIL, SECRET_ID = "欧阳明月", "13912345678", "oy@example.cn", "11010519491231002X"


@pytest.fixture
def partner(world):
    ServiceAttribute.objects.create(category=world.category, code="poles", description="不亮的路灯数量",
                                    datatype="number", required=True, order=1)
    ServiceAttribute.objects.create(category=world.category, code="when", description="发现时段",
                                    datatype="singlevaluelist", order=2,
                                    values=[{"key": "night", "name": "夜间"}, {"key": "day", "name": "白天"}])
    ServiceAttribute.objects.create(category=world.category, code="near", description="附近设施",
                                    datatype="multivaluelist", order=3,
                                    values=[{"key": "school", "name": "学校"}, {"key": "bus", "name": "公交站"}])
    return services.add_partner("市民App")


def _post(client, key, **fields):
    data = {"api_key": key, "service_code": "0101", "lat": "39.904211", "long": "116.407394",
            "description": "东湖路三盏路灯不亮", "attribute[poles]": "3", **fields}
    return client.post(f"{BASE}/requests.json", data)


def _xml(response):
    return ET.fromstring(response.content)


def _xml_records(root):
    return [{child.tag: (child.text or "") for child in item} for item in root]


def test_discovery_and_services_in_both_formats(client, world, partner):
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["specification"] == services.SPECIFICATION
    assert _xml(client.get(f"{BASE}/discovery.xml")).find("endpoints/endpoint/specification").text \
        == services.SPECIFICATION

    listed = client.get(f"{BASE}/services.json").json()
    leaf = next(s for s in listed if s["service_code"] == "0101")
    assert leaf == {"service_code": "0101", "service_name": "路灯不亮", "description": "城市管理 › 路灯不亮",
                    "metadata": True, "type": "realtime", "keywords": "城市管理,路灯不亮", "group": "城市管理"}
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and all(child.tag == "service" for child in root)
    as_xml = {r["service_code"]: r for r in _xml_records(root)}
    assert as_xml["0101"]["metadata"] == "true" and as_xml["0101"]["group"] == "城市管理"
    assert len(as_xml) == len(listed)


def test_service_definition(client, world, partner):
    body = client.get(f"{BASE}/services/0101.json").json()
    assert [a["code"] for a in body["attributes"]] == ["poles", "when", "near"]
    assert body["attributes"][1]["values"] == [{"key": "night", "name": "夜间"}, {"key": "day", "name": "白天"}]
    root = _xml(client.get(f"{BASE}/services/0101.xml"))
    assert root.tag == "service_definition"
    assert [v.find("key").text for v in root.findall("attributes/attribute")[1].findall("values/value")] \
        == ["night", "day"]
    missing = client.get(f"{BASE}/services/9999.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    assert _xml(client.get(f"{BASE}/services/9999.xml")).find("error/code").text == "404"


def test_filing_a_request(client, world, partner):
    _, key = partner
    response = _post(client, key, **{"attribute[when]": "night", "attribute[near][]": ["school", "bus"],
                                     "first_name": "明月", "last_name": "欧阳", "phone": SECRET_PHONE,
                                     "email": SECRET_EMAIL, "media_url": "https://example.cn/p.jpg"})
    assert response.status_code == 200, response.content
    [filed] = response.json()
    ticket = Ticket.objects.get(number=filed["service_request_id"])
    assert ticket.channel == "open311" and ticket.created_by.open311_partner.name == "市民App"
    assert ticket.caller_name == SECRET_NAME and ticket.caller_phone == SECRET_PHONE
    assert "不亮的路灯数量：3" in ticket.content and "附近设施：学校、公交站" in ticket.content
    assert ticket.events.get().action == Action.CREATE
    assert client.get(f"{BASE}/tokens/{filed['token']}.json").json() == [
        {"service_request_id": ticket.number, "token": filed["token"]}]
    assert _xml(client.get(f"{BASE}/tokens/{filed['token']}.xml")).find("request/service_request_id").text \
        == ticket.number
    assert client.get(f"{BASE}/tokens/nope.json").status_code == 404


@pytest.mark.parametrize("change, status, words", [
    ({"api_key": ""}, 403, "api_key"),
    ({"api_key": "wrong"}, 403, "api_key"),
    ({"service_code": ""}, 400, "service_code"),
    ({"service_code": "9999"}, 404, "service_code"),
    ({"lat": "", "long": ""}, 400, "位置"),
    ({"description": "长" * 4001}, 400, "4000"),
    ({"attribute[poles]": ""}, 400, "poles"),
    ({"attribute[poles]": "三"}, 400, "数字"),
    ({"attribute[when]": "dusk"}, 400, "选项无效"),
    ({"attribute[nope]": "x"}, 400, "nope"),
    ({"phone": "12"}, 400, "phone"),
    ({"lat": "99", "long": "116"}, 400, "lat"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"jurisdiction_id": "elsewhere"}, 404, "jurisdiction_id"),
])
def test_filing_errors_are_spec_errors_and_write_nothing(client, world, partner, change, status, words):
    _, key = partner
    data = {k: v for k, v in change.items()}
    if "api_key" in data:
        key = data.pop("api_key")
    response = _post(client, key, **data)
    assert response.status_code == status
    [error] = response.json()
    assert error["code"] == status and words in error["description"]
    assert not Ticket.objects.exists()


def test_an_address_alone_is_a_location(client, world, partner):
    _, key = partner
    assert _post(client, key, lat="", long="", address_string="东湖路88号").status_code == 200
    assert _post(client, key, lat="", long="", address_id="A-1001").status_code == 200


def _handled(world, ticket):
    for action in (Action.DISPATCH, Action.SIGN, Action.REPLY):
        ticket = world.act(ticket, action)
    return ticket


def test_status_and_record_follow_the_ticket(client, world, partner):
    _, key = partner
    number = _post(client, key).json()[0]["service_request_id"]
    record = client.get(f"{BASE}/requests/{number}.json").json()[0]
    assert record["status"] == "open" and record["agency_responsible"] == "" and record["expected_datetime"] is None
    assert record["requested_datetime"].endswith("+08:00") and record["lat"] == 39.9042
    ticket = _handled(world, Ticket.objects.get(number=number))
    record = client.get(f"{BASE}/requests/{number}.json").json()[0]
    assert record["status"] == "closed" and record["status_notes"] == "已修复路灯"
    assert record["agency_responsible"] == "甲委员会" and record["expected_datetime"].endswith("+08:00")
    world.act(ticket, Action.CALLBACK)
    world.act(ticket, Action.REDO)  # 不满意 → 重办: open again
    assert client.get(f"{BASE}/requests/{number}.json").json()[0]["status"] == "open"
    assert client.get(f"{BASE}/requests/nope.json").status_code == 404


def test_listing_filters(client, world, partner):
    _, key = partner
    first = _post(client, key).json()[0]["service_request_id"]
    second = _post(client, key).json()[0]["service_request_id"]
    _handled(world, Ticket.objects.get(number=second))
    ids = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()]
    assert ids == [second, first]  # newest first
    assert [r["service_request_id"] for r in client.get(f"{BASE}/requests.json?status=open").json()] == [first]
    assert [r["service_request_id"] for r in
            client.get(f"{BASE}/requests.json?service_request_id={first},{second}").json()] == [first, second]
    assert client.get(f"{BASE}/requests.json?service_code=9999").json() == []
    assert client.get(f"{BASE}/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z").json() \
        == []
    too_long = client.get(f"{BASE}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")
    assert too_long.status_code == 400 and "90" in too_long.json()[0]["description"]
    assert client.get(f"{BASE}/requests.json?start_date=yesterday").status_code == 400
    assert client.get(f"{BASE}/requests.json?status=pending").status_code == 400
    paged = client.get(f"{BASE}/requests.json?extensions=true&page_size=1&page=2").json()
    assert [r["service_request_id"] for r in paged] == [first]
    assert paged[0]["extended_attributes"] == {"channel": "open311", "channel_name": "Open311接口",
                                               "kind": "complaint", "kind_name": "投诉", "department_code": ""}
    assert "extended_attributes" not in client.get(f"{BASE}/requests.json").json()[0]
    assert client.get(f"{BASE}/requests.json?extensions=true&page_size=0").status_code == 400


def test_json_and_xml_carry_the_same_records(client, world, partner):
    _, key = partner
    number = _post(client, key).json()[0]["service_request_id"]
    _handled(world, Ticket.objects.get(number=number))
    as_json = client.get(f"{BASE}/requests.json").json()
    root = _xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests" and all(child.tag == "request" for child in root)
    as_xml = _xml_records(root)
    for j, x in zip(as_json, as_xml, strict=True):
        assert set(j) == set(x)
        for name, value in j.items():
            assert x[name] == ("" if value is None else str(value)), name


def test_unknown_paths_and_methods(client, world):
    assert client.get(f"{BASE}/nothing.json").status_code == 404
    assert client.get(f"{BASE}/nothing.json").json()[0]["code"] == 404
    assert client.post(f"{BASE}/services.json").status_code == 405
    assert client.get(f"{BASE}/services.json?jurisdiction_id=jiesu").status_code == 200


def test_outputs_never_carry_the_callers_identity(client, world, partner):
    _, key = partner
    number = _post(client, key, first_name="明月", last_name="欧阳", phone=SECRET_PHONE, email=SECRET_EMAIL,
                   description=f"我是{SECRET_NAME}，电话{SECRET_PHONE}，身份证{SECRET_ID}，邮箱{SECRET_EMAIL}",
                   address_string=f"东湖路88号 联系人{SECRET_NAME}").json()[0]["service_request_id"]
    ticket = Ticket.objects.get(number=number)
    world.act(ticket, Action.DISPATCH)
    world.act(ticket, Action.SIGN)
    world.act(ticket, Action.REPLY, reply_text=f"已联系{SECRET_NAME}（{SECRET_PHONE}），路灯已修复")
    token = ticket.open311.token
    for fmt in ("json", "xml"):
        for path in ("discovery", "services", "services/0101", "requests", f"requests/{number}", f"tokens/{token}"):
            for query in ("", "?extensions=true"):
                body = client.get(f"{BASE}/{path}.{fmt}{query}").content.decode()
                for secret in (SECRET_NAME, SECRET_PHONE, SECRET_EMAIL, SECRET_ID, "明月"):
                    assert secret not in body, (path, fmt, secret)
    published = client.get(f"{BASE}/requests/{number}.json").json()[0]
    assert "欧***" in published["description"] and "路灯已修复" in published["status_notes"]


def test_phones_and_ids_in_every_form_are_masked_in_the_feed(client, world, partner):
    _, key = partner
    said = "+8613912345678；138-0013-8001；139 1234 5679；１３８００１３８００２；旧证110101900307851；+86 137 0013 7001"
    number = _post(client, key, description=f"路灯不亮，联系{said}").json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        body = client.get(f"{BASE}/requests/{number}.{fmt}").content.decode()
        digits = "".join(c for c in body.translate({0xFF10 + i: str(i) for i in range(10)}) if c.isdigit())
        for secret in ("13912345678", "13800138001", "13912345679", "13800138002", "110101900307851", "13700137001"):
            assert secret not in digits, (fmt, secret)


def test_address_precision(client, world, partner, settings):
    _, key = partner
    number = _post(client, key, address_string="东湖路88号").json()[0]["service_request_id"]
    Ticket.objects.filter(number=number).update(region=world.region)
    settings.JIESU_OPEN311_ADDRESS_PRECISION = "region"
    settings.JIESU_OPEN311_COORD_DECIMALS = 2
    record = client.get(f"{BASE}/requests/{number}.json").json()[0]
    assert record["address"] == "测试区" and record["lat"] == 39.9 and record["long"] == 116.41


def test_add_partner_command(db, world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("open311", "add-partner", "政务服务App", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert services.partner_for(key).name == "政务服务App"
    with pytest.raises(Exception, match="已存在"):
        call_command("open311", "add-partner", "政务服务App")


@pytest.mark.parametrize("lat", ["NaN", "Infinity", "-inf", "1e999", "北纬39度"])
def test_coordinates_that_are_not_numbers(client, world, partner, lat):
    _, key = partner
    response = _post(client, key, lat=lat)
    assert response.status_code == 400 and "lat" in response.json()[0]["description"]
    assert not Ticket.objects.exists()


def test_whistleblowing_and_petitions_are_never_published(client, world, partner):
    report = world.new_ticket(kind="report", content="举报某工地夜间违规施工")
    petition = world.new_ticket(by=make_staff("petition", world.hotline, username="xinfang"), channel="petition",
                                content="信访事项")
    ordinary = world.new_ticket(kind="complaint", content="东湖路路灯不亮")
    listed = {r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()}
    assert ordinary.number in listed and report.number not in listed and petition.number not in listed
    for ticket in (report, petition):
        assert client.get(f"{BASE}/requests/{ticket.number}.json").status_code == 404
        assert client.get(f"{BASE}/requests.json?service_request_id={ticket.number}").json() == []
    assert _xml(client.get(f"{BASE}/requests/{report.number}.xml")).find("error/code").text == "404"


def test_a_partner_key_opens_open311_only_and_a_staff_token_opens_no_open311(client, world, partner):
    """Credentials by kind: a partner's key once worked as a full REST token (and confirmed who filed a 举报)."""
    from jiesu.core.tokens import create_token

    _, key = partner
    world.new_ticket(kind="report", content="举报新华里9号院违规经营", caller_phone="17031133326")
    before = Ticket.objects.count()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    similar = client.post("/api/v1/hotspots/similar", {"content": "举报新华里9号院", "caller_phone": "17031133326"},
                          content_type="application/json", **bearer)
    created = client.post("/api/v1/tickets", {"kind": "report", "channel": "petition", "content": "举报某单位违规",
                                              "caller_phone": "13800138000"}, content_type="application/json", **bearer)
    assert similar.status_code == 401 and created.status_code == 401
    assert Ticket.objects.count() == before

    _, staff_key = create_token(user=world.operator, name="测试")
    assert _post(client, staff_key).status_code == 403
    assert Ticket.objects.count() == before
    with pytest.raises(ValueError):
        create_token(user=services.partner_for(key).user, name="REST")


def test_a_partner_retrying_with_an_idempotency_key_files_once(client, world, partner):
    _, key = partner
    first = _post(client, key, idempotency_key="app-req-0001")
    assert first.status_code == 200, first.content
    again = _post(client, key, idempotency_key="app-req-0001")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    by_header = client.post(f"{BASE}/requests.json", {"api_key": key, "service_code": "0101", "lat": "39.904211",
                                                      "long": "116.407394", "description": "东湖路三盏路灯不亮",
                                                      "attribute[poles]": "3"},
                            headers={"Idempotency-Key": "app-req-0001"})
    assert by_header.json() == first.json()
    assert Ticket.objects.count() == 1
    other = _post(client, key, idempotency_key="app-req-0001", description="另一件事")
    assert other.status_code == 422 and other.json()[0]["code"] == 422
    assert Ticket.objects.count() == 1
    assert _post(client, key, idempotency_key="带 空格").status_code == 400
