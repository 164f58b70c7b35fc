"""政企直通车: a registered contact opens an account with an SMS code, files 涉企诉求 in the enterprise category
tree, reads only its own enterprise's requests (never one that merely names it), and rates the answers."""

import re

import pytest
from django.test import Client

from jiesu.enterprise import accounts, direct
from jiesu.enterprise.models import Contact, Enterprise
from jiesu.enterprise.tests.test_registry import code
from jiesu.portal.tests.test_submit import _codes_sent
from jiesu.sla import services as sla
from jiesu.tickets import worklists
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action, State

CODE = code("91350100M00010023")
OTHER = code("91350100M00020024")
PHONE = "13800138001"
PASSWORD = "Mh-2026-qiye"
TEXT = "我公司承建的明湖路改造项目已竣工验收一年，工程款仍有120万元未结算，多次沟通无果，请协调支付。"


@pytest.fixture
def firm(world):
    enterprise = Enterprise.objects.create(credit_code=CODE, name="江州明湖示范科技有限公司", industry="65",
                                           scale="small", region=world.region, address="明湖路1号")
    Contact.objects.create(enterprise=enterprise, name="陈立", phone=PHONE, title="行政经理")
    other = Enterprise.objects.create(credit_code=OTHER, name="江州东湖物流有限公司", industry="54", scale="micro")
    Contact.objects.create(enterprise=other, name="李四", phone="13800138002")
    return enterprise


def _activate(client, credit_code=CODE, phone=PHONE, password=PASSWORD):
    client.get("/qiye/activate/")
    sent = client.post("/qiye/activate/", {"credit_code": credit_code, "phone": phone,
                                           "check": client.session["portal_check"], "send_code": "1"})
    assert sent.status_code == 200 and "验证码已发送" in sent.content.decode()
    codes = _codes_sent(phone)
    return client.post("/qiye/activate/", {"credit_code": credit_code, "phone": phone,
                                           "sms_code": codes[-1] if codes else "000000",
                                           "password": password, "password2": password})


def _signed_in(firm_code=CODE, phone=PHONE):
    client = Client()
    assert _activate(client, firm_code, phone).status_code == 302
    return client


def test_a_registered_contact_opens_an_account_and_logs_in(firm):
    client = Client()
    assert client.get("/qiye/").url.startswith("/qiye/login/")
    done = _activate(client)
    assert done.status_code == 302 and done.url == "/qiye/"
    assert "江州明湖示范科技有限公司 · 陈立" in client.get("/qiye/").content.decode()
    user = Contact.objects.get(phone=PHONE).user
    assert user.username == f"qy:{CODE}:{PHONE}" and not hasattr(user, "staff")
    fresh = Client()
    wrong = fresh.post("/qiye/login/", {"credit_code": CODE, "phone": PHONE, "password": "wrong-password"})
    assert wrong.status_code == 400 and "不正确" in wrong.content.decode()
    right = fresh.post("/qiye/login/", {"credit_code": CODE.lower(), "phone": PHONE, "password": PASSWORD,
                                        "next": "https://evil.example/"})
    assert right.status_code == 302 and right.url == "/qiye/"  # never off the site


def test_a_phone_the_registry_does_not_hold_gets_the_same_answer_and_no_code(firm):
    client = Client()
    done = _activate(client, phone="13900000000")
    assert done.status_code == 400 and "验证码不正确" in done.content.decode()
    assert _codes_sent("13900000000") == []
    # The other enterprise's contact cannot open an account on this one.
    assert _activate(Client(), credit_code=CODE, phone="13800138002").status_code == 400
    assert not Contact.objects.filter(user__isnull=False).exists()


def test_a_weak_password_or_a_wrong_code_opens_nothing(firm):
    client = Client()
    weak = _activate(client, password="12345678")
    assert weak.status_code == 400 and "密码" in weak.content.decode()
    assert Contact.objects.get(phone=PHONE).user is None


def test_an_enterprise_files_in_its_tree_and_the_ticket_is_its_own(firm, world):
    client = _signed_in()
    page = client.get("/qiye/submit/").content.decode()
    for name in ("融资", "用工", "用地", "审批", "政策兑现", "拖欠账款", "执法检查", "水电气", "其他"):
        assert f"> {name}</label>" in page
    key = re.search(r'name="submission_key" value="([0-9a-f]{32})"', page).group(1)
    form = {"kind": "help", "category": "QY06", "content": TEXT, "submission_key": key}
    first = client.post("/qiye/submit/", form)
    assert first.status_code == 302
    again = client.post("/qiye/submit/", form)  # a double click files once
    assert again.status_code == 302 and again.url == first.url
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.credit_code, ticket.enterprise_name) == ("enterprise", CODE, firm.name)
    assert (ticket.caller_name, ticket.caller_phone, ticket.address) == ("陈立", PHONE, "明湖路1号")
    assert ticket.category.code == "QY06" and ticket.created_by.username == "qiye"
    assert ticket.concerns_enterprise and sla.rule_for(ticket).name == "涉企诉求"
    detail = client.get(first.url).content.decode()
    assert "已受理，工单编号" in detail and ticket.number in detail
    assert "分类：拖欠账款" in detail and "120万元未结算" in detail  # what it asked
    bad = client.post("/qiye/submit/", {"kind": "report", "category": "01", "content": TEXT})
    assert bad.status_code == 400 and "请选择诉求分类" in bad.content.decode() and "请选择诉求类型" in bad.content.decode()


def test_an_enterprise_reads_only_its_own_requests(firm, world):
    mine = world.new_ticket(channel="enterprise", credit_code=CODE, enterprise_name=firm.name, kind="help")
    about = world.new_ticket(credit_code=CODE, enterprise_name=firm.name, kind="complaint",
                             content="江州明湖示范科技有限公司夜间施工噪音扰民。")  # a complaint *about* it
    theirs = world.new_ticket(channel="enterprise", credit_code=OTHER, kind="help")
    client = _signed_in()
    home = client.get("/qiye/").content.decode()
    assert mine.number in home and about.number not in home and theirs.number not in home
    assert client.get(f"/qiye/requests/{mine.number}/").status_code == 200
    for number in (about.number, theirs.number, "2099010100001"):
        assert client.get(f"/qiye/requests/{number}/").status_code == 404
    # The back office is not theirs: every staff page sends them back to their own.
    for path in (f"/tickets/{mine.number}/", "/tickets/", "/notifications/preferences/", "/todo/", "/admin/login/"):
        assert client.get(path).url == "/qiye/", path
    assert client.get("/qiye/requests/2099010100001/").status_code == 404
    assert "返回本企业的诉求" in client.get("/qiye/requests/2099010100001/").content.decode()  # its own layout
    assert client.get(f"/enterprises/lookup/?credit_code={CODE}").content == b""
    assert client.get(f"/api/v1/tickets/{mine.number}").status_code in (401, 403, 404)


def test_the_enterprise_rates_the_answer_once_and_operators_wait_for_it(firm, world):
    ticket = direct.file_request(Contact.objects.get(phone=PHONE), {"kind": "help", "category": "QY02",
                                                                    "content": TEXT})
    for action in (Action.DISPATCH, Action.SIGN, Action.REPLY):
        ticket = world.act(ticket, action)
    assert worklists.counts(world.operator)["callback"] == 0  # the enterprise rates first
    client = _signed_in()
    page = client.get(f"/qiye/requests/{ticket.number}/").content.decode()
    assert "请对办理结果进行评价" in page and "已修复路灯" in page
    assert "待评价" in client.get("/qiye/").content.decode()
    rated = client.post(f"/qiye/requests/{ticket.number}/", {"satisfaction": "satisfied", "resolved": "true"})
    assert rated.status_code == 200 and "感谢您的评价" in rated.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED and ticket.satisfaction == "satisfied"
    again = client.post(f"/qiye/requests/{ticket.number}/", {"satisfaction": "unsatisfied", "resolved": "false"})
    assert again.status_code == 409


def test_a_request_an_operator_registered_for_the_enterprise_is_called_back(firm, world):
    ticket = world.ticket_in(State.PENDING_CALLBACK, channel="enterprise", credit_code=CODE, kind="help")
    client = _signed_in()
    page = client.get(f"/qiye/requests/{ticket.number}/").content.decode()
    assert "已答复" in page and "请对办理结果进行评价" not in page
    refused = client.post(f"/qiye/requests/{ticket.number}/", {"satisfaction": "satisfied", "resolved": "true"})
    assert refused.status_code == 409
    assert accounts.contact_of(world.operator) is None


def test_wrong_codes_count_against_the_code_even_when_the_password_is_fine(firm):
    """Five wrong guesses spend the code: a six-digit code cannot be guessed through the activation form."""
    client = Client()
    client.get("/qiye/activate/")
    client.post("/qiye/activate/", {"credit_code": CODE, "phone": PHONE, "check": client.session["portal_check"],
                                    "send_code": "1"})
    right = _codes_sent(PHONE)[-1]
    for guess in range(5):
        wrong = f"{(int(right) + guess + 1) % 10**6:06d}"
        answer = client.post("/qiye/activate/", {"credit_code": CODE, "phone": PHONE, "sms_code": wrong,
                                                 "password": PASSWORD, "password2": PASSWORD})
        assert answer.status_code == 400
    late = client.post("/qiye/activate/", {"credit_code": CODE, "phone": PHONE, "sms_code": right,
                                           "password": PASSWORD, "password2": PASSWORD})
    assert late.status_code == 400 and Contact.objects.get(phone=PHONE).user is None
