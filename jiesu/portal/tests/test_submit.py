"""诉求提交 on the website: an SMS-verified phone, the same registration rules as intake, 受理回执; limits and abuse."""

import json
import re

import pytest
from django.conf import settings
from django.test import Client

from jiesu.core.models import RateCounter
from jiesu.knowledge.tests.test_knowledge import kb  # noqa: F401 - fixture
from jiesu.notifications.models import Delivery
from jiesu.notifications.tests.fakes import FakeGateway
from jiesu.portal.models import Deflection, PhoneCode
from jiesu.tickets.models import Ticket

PHONE = "13912345678"
TEXT = "幸福里小区3号楼东侧的路灯连续三晚不亮，晚上很黑，老人出行不便，请尽快维修。"


def _codes_sent(phone):
    try:
        lines = open(settings.JIESU_SMS_FILE, encoding="utf-8").read().splitlines()
    except FileNotFoundError:
        return []
    return [re.search(r"验证码为(\d{6})", m["text"]).group(1) for m in map(json.loads, lines)
            if m["to"] == phone and "验证码" in m["text"]]


def _form(kind="complaint", **over):
    return {"kind": kind, "content": TEXT, "region": "", "address": "幸福里小区3号楼", "caller_name": "王先生",
            "caller_phone": PHONE, **over}


def _send_code(client, phone=PHONE, **extra):
    client.get("/submit/")
    answer = client.session["portal_check"]
    return client.post("/submit/", {**_form(caller_phone=phone), "check": answer, "send_code": "1"}, **extra)


def test_a_citizen_submits_with_an_sms_code_and_gets_a_receipt(world):
    client = Client()
    sent = _send_code(client)
    assert sent.status_code == 200 and "验证码已发送至 139****5678" in sent.content.decode()
    assert TEXT in sent.content.decode()  # nothing typed is lost
    code = _codes_sent(PHONE)[-1]
    done = client.post("/submit/", {**_form(public="true"), "sms_code": code}, follow=True)
    page = done.content.decode()
    ticket = Ticket.objects.get(caller_phone=PHONE)
    assert ticket.number in page and ticket.query_code in page and "您的诉求已受理" in page
    assert ticket.channel == "web" and ticket.created_by.username == "portal" and ticket.public
    assert Delivery.objects.filter(ticket=ticket, template="receipt").exists()  # the 受理回执 SMS
    # The code is spent; a reload of the receipt does not submit again.
    again = client.post("/submit/", {**_form(), "sms_code": code})
    assert again.status_code == 400 and "验证码不正确或已过期" in again.content.decode()
    assert client.get("/submit/done/").url == "/submit/"
    assert Ticket.objects.filter(caller_phone=PHONE).count() == 1


def test_the_same_form_sent_twice_files_once(world):
    """A double click, or the browser sending the form again after the answer was lost: one ticket, its receipt."""
    client = Client()
    page = _send_code(client).content.decode()
    key = re.search(r'name="submission_key" value="([0-9a-f]{32})"', page).group(1)
    form = {**_form(), "sms_code": _codes_sent(PHONE)[-1], "submission_key": key}
    first = client.post("/submit/", form, follow=True).content.decode()
    second = client.post("/submit/", form, follow=True).content.decode()
    ticket = Ticket.objects.get(caller_phone=PHONE)
    assert ticket.number in first and ticket.number in second and "您的诉求已受理" in second
    changed = client.post("/submit/", {**form, "content": "另一件事：东湖路的井盖丢了，晚上很危险，请尽快处理。"})
    body = changed.content.decode()
    assert changed.status_code == 409 and "这份表单已经提交过" in body
    assert key not in body  # a new form gets a new key
    assert Ticket.objects.filter(caller_phone=PHONE).count() == 1


def test_wrong_codes_and_missing_fields_write_nothing(world):
    client = Client()
    _send_code(client)
    code = _codes_sent(PHONE)[-1]
    wrong = "000000" if code != "000000" else "111111"
    for data, field in (({**_form(), "sms_code": wrong}, "验证码不正确"), ({**_form(kind=""), "sms_code": code}, "请选择诉求类型"),
                        ({**_form(content=""), "sms_code": ""}, "请填写短信验证码")):
        r = client.post("/submit/", data)
        assert r.status_code == 400 and field in r.content.decode()
    assert not Ticket.objects.exists()
    # Five wrong tries spend the code.
    for _ in range(5):
        client.post("/submit/", {**_form(), "sms_code": wrong})
    assert client.post("/submit/", {**_form(), "sms_code": code}).status_code == 400
    # A report's submitter is always protected and never published.
    _send_code(Client(), phone="13700137000")
    code = _codes_sent("13700137000")[-1]
    Client().post("/submit/", {**_form(kind="report", caller_phone="13700137000", public="true"), "sms_code": code})
    report = Ticket.objects.get(caller_phone="13700137000")
    assert report.caller_confidential and not report.public


def test_the_human_check_and_the_code_limits(world):
    client = Client()
    client.get("/submit/")
    r = client.post("/submit/", {**_form(), "check": "99", "send_code": "1"})
    assert r.status_code == 400 and "请正确填写算式" in r.content.decode() and not PhoneCode.objects.exists()
    assert _send_code(client).status_code == 200
    r = _send_code(client)  # a second code within the minute
    assert r.status_code == 429 and "验证码发送过于频繁" in r.content.decode()
    r = _send_code(client, phone="12345")
    assert r.status_code == 400 and "请填写11位手机号" in r.content.decode()


def test_a_hundred_submissions_from_one_address_meet_429s(world):
    client = Client()
    statuses = [client.post("/submit/", {**_form(), "sms_code": "123456"}).status_code for _ in range(100)]
    assert statuses[:settings.JIESU_PORTAL_SUBMIT_LIMIT] == [400] * settings.JIESU_PORTAL_SUBMIT_LIMIT
    assert set(statuses[settings.JIESU_PORTAL_SUBMIT_LIMIT:]) == {429}
    assert RateCounter.objects.get(key="submit:ip:127.0.0.1").count == 100
    assert not Ticket.objects.exists()
    assert Client(REMOTE_ADDR="10.1.1.1").post("/submit/", _form()).status_code == 400  # another address: not limited


def test_codes_go_through_a_real_gateway_and_its_failure_is_a_503(world, settings):
    with FakeGateway() as gateway:
        settings.JIESU_SMS_BACKEND, settings.JIESU_SMS_HTTP_URL = "http", gateway.url
        assert _send_code(Client()).status_code == 200
        [sent] = gateway.delivered
        assert sent["body"]["phone"] == PHONE and "验证码为" in sent["body"]["text"]
        gateway.refuse = True
        RateCounter.objects.all().delete()
        r = _send_code(Client())
        assert r.status_code == 503 and "短信发送失败" in r.content.decode()
        assert PhoneCode.objects.count() == 1  # the failed one is not kept


def test_knowledge_answers_while_typing_and_deflections_are_counted(world, kb):  # noqa: F811
    client = Client()
    partial = client.get("/submit/answers/", {"content": "我是自由职业，社保怎么交"}).content.decode()
    assert "您的问题可能已有答复" in partial and "灵活就业人员如何缴纳社会保险" in partial
    assert client.get("/submit/answers/", {"content": "路灯"}).content.decode().strip() == ""  # too short to ask
    done = client.post("/submit/solved/", {"article": kb[0]})
    assert done.status_code == 200 and "很高兴您的问题已解决" in done.content.decode()
    assert Deflection.objects.filter(article__code=kb[0]).count() == 1
    assert client.post("/submit/solved/", {"article": "NOPE"}).status_code == 404
    # The KPI page counts it.
    from jiesu.core import clock
    from jiesu.kpi import services as kpi

    today = clock.today()
    assert kpi.deflections(kpi.Filters(start=today, end=today, period="day")) == 1
    staff = Client()
    staff.force_login(world.dispatcher)
    assert "网上自助解答" in staff.get("/kpi/").content.decode()


@pytest.mark.parametrize("content", ["", "<script>alert(1)</script>" * 3, "\x00" * 10])
def test_odd_input_is_escaped_or_refused(world, content):
    client = Client()
    r = client.post("/submit/", {**_form(content=content), "sms_code": "1"})
    assert r.status_code == 400 and "<script>alert" not in r.content.decode()
    assert client.get("/submit/answers/", {"content": content}).status_code in (200, 400)  # NUL: refused upstream


def _photo(fmt="JPEG", size=(64, 48), gps=True):
    import io

    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0)}  # GPSInfo: where the citizen stood
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif) if fmt == "JPEG" else image.save(out, format=fmt)
    return out.getvalue()


def test_photos_are_checked_and_stored_without_exif(world):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    raw = _photo()
    assert Image.open(io.BytesIO(raw)).getexif()  # the fixture does carry a position
    client = Client()
    _send_code(client)
    code = _codes_sent(PHONE)[-1]
    bad = client.post("/submit/", {**_form(), "sms_code": code,
                                   "photos": [SimpleUploadedFile("现场.jpg", b"MZ\x90 not a photo")]})
    assert bad.status_code == 400 and "不是可用的照片" in bad.content.decode() and not Ticket.objects.exists()
    many = [SimpleUploadedFile(f"{i}.png", _photo("PNG")) for i in range(4)]
    assert "最多上传3张照片" in client.post("/submit/", {**_form(), "sms_code": code, "photos": many}).content.decode()
    ok = client.post("/submit/", {**_form(), "sms_code": code, "photos": [SimpleUploadedFile("IMG_0001.jpg", raw),
                                                                           SimpleUploadedFile("b.png", _photo("PNG"))]})
    assert ok.status_code == 302
    ticket = Ticket.objects.get()
    stored = list(ticket.attachments.order_by("id"))
    assert [a.name for a in stored] == ["现场照片1.jpg", "现场照片2.png"]
    with stored[0].file.open("rb") as f:
        cleaned = Image.open(io.BytesIO(f.read()))
        assert cleaned.size == (64, 48) and not cleaned.getexif()
