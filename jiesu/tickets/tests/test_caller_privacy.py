"""The caller's name and phone reach only who needs them: the hotline centre always, the unit that holds the
ticket (each view logged) unless the caller is 保密, nobody else — on pages, in the API and in exports."""

from io import BytesIO

from django.test import Client
from openpyxl import load_workbook

from jiesu.directory.tests.factories import make_staff
from jiesu.tickets.models import CallerDataView
from jiesu.tickets.tests.test_api import _as
from jiesu.tickets.workflow import Action, State

PHONE, NAME = "13912345678", "欧阳明月"
CONTENT = f"东湖路路灯不亮，来电人{NAME}，回电{PHONE}。"


def _page(user, url):
    client = Client()
    client.force_login(user)
    return client.get(url).content.decode()


def test_the_holding_unit_sees_the_caller_and_each_view_is_logged(world):
    ticket = world.ticket_in(State.IN_PROGRESS, caller_name=NAME, caller_phone=PHONE, content=CONTENT)
    assert PHONE in _page(world.handler_a, f"/tickets/{ticket.number}/")
    assert _as(world.handler_a).get(f"/api/v1/tickets/{ticket.number}").json()["caller_phone"] == PHONE
    assert list(CallerDataView.objects.values_list("user__username", "via")) == [("handler_a", "api"),
                                                                                ("handler_a", "page")]
    listed = _as(world.handler_a).get("/api/v1/tickets").json()["results"][0]
    assert listed["caller_phone"] == "139****5678" and PHONE not in listed["content"]  # lists: masked, unlogged
    assert PHONE in _page(world.operator, f"/tickets/{ticket.number}/")  # the centre: not logged
    assert CallerDataView.objects.count() == 2


def test_a_unit_the_ticket_left_and_leaders_see_no_caller(world):
    ticket = world.ticket_in(State.IN_PROGRESS, caller_name=NAME, caller_phone=PHONE, content=CONTENT)
    ticket = world.act(world.give_back(ticket), Action.DISPATCH, department="B")
    leader = make_staff("leader", world.hotline, username="leader")
    for user in (world.handler_a, leader):
        page = _page(user, f"/tickets/{ticket.number}/")
        body = _as(user).get(f"/api/v1/tickets/{ticket.number}").json()
        assert PHONE not in page and NAME not in page and PHONE not in str(body) and NAME not in str(body), user
        assert body["caller_phone"] == "139****5678" and body["caller_name"] == "欧***"
    assert not CallerDataView.objects.exists()


def test_a_confidential_caller_is_hidden_from_every_unit(world):
    ticket = world.ticket_in(State.IN_PROGRESS, caller_name=NAME, caller_phone=PHONE, content=CONTENT,
                             caller_confidential=True)
    page = _page(world.handler_a, f"/tickets/{ticket.number}/")
    body = _as(world.handler_a).get(f"/api/v1/tickets/{ticket.number}").json()
    assert "（保密）" in page and PHONE not in page and NAME not in page
    assert (body["caller_name"], body["caller_phone"], body["caller_confidential"]) == ("（保密）", "（保密）", True)
    assert PHONE not in body["content"] and NAME not in body["content"]
    assert not CallerDataView.objects.exists()
    assert PHONE in _page(world.dispatcher, f"/tickets/{ticket.number}/")  # the centre still calls back


def test_every_report_is_confidential_and_the_intake_form_can_mark_one(world):
    report = world.new_ticket(kind="report", content="举报某餐馆违规经营")
    assert report.caller_confidential
    client = Client()
    client.force_login(world.operator)
    client.post("/intake/", {"channel": "phone", "kind": "complaint", "content": "楼下噪音扰民",
                             "caller_phone": "13800138000", "caller_confidential": "on"})
    from jiesu.tickets.models import Ticket

    assert Ticket.objects.order_by("-id").first().caller_confidential


def test_kpi_drill_down_and_export_mask_the_caller_for_units(world):
    ticket = world.ticket_in(State.PENDING_SIGN, caller_name=NAME, caller_phone=PHONE,
                             title=f"{NAME}反映路灯不亮{PHONE}")
    url = "/kpi/tickets/?period=day&count=dispatched"
    assert ticket.number in _page(world.handler_a, url) and PHONE not in _page(world.handler_a, url)
    client = Client()
    client.force_login(world.handler_a)
    sheet = load_workbook(BytesIO(client.get(url.replace("tickets/", "tickets.xlsx"))
                                  .content)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert ticket.number in cells and PHONE not in cells and NAME not in cells


def test_supervisors_read_the_log_and_units_do_not(world):
    ticket = world.ticket_in(State.IN_PROGRESS, caller_phone=PHONE)
    _page(world.handler_a, f"/tickets/{ticket.number}/")
    assert "handler_a" in _page(world.supervisor, f"/tickets/caller-views/?ticket={ticket.number}")
    client = Client(raise_request_exception=False)
    client.force_login(world.handler_a)
    assert client.get("/tickets/caller-views/").status_code == 403
