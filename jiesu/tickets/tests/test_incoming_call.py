"""来电弹屏: the telephony system announces a call; the operator's page gets it once, with the caller's history."""

import json

import pytest
from django.test import Client

from jiesu.core.tokens import create_token
from jiesu.directory.tests.factories import make_staff


@pytest.fixture
def cti(world):
    user = make_staff("telephony", world.hotline, username="cti")
    _, key = create_token(user=user, name="CTI")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def _announce(client, **body):
    return client.post("/api/v1/calls/incoming", json.dumps(body), content_type="application/json")


def _page(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_call_pops_up_once_with_the_history(world, cti):
    earlier = world.new_ticket()
    response = _announce(cti, phone="138-0013-8000", agent="operator")
    assert response.status_code == 201 and response.json()["phone"] == "13800138000"
    operator = _page(world.operator)
    assert 'hx-get="/intake/incoming/"' in operator.get("/intake/").content.decode()
    popup = operator.get("/intake/incoming/")
    html = popup.content.decode()
    assert popup.status_code == 200 and "来电" in html and earlier.number in html
    assert 'data-phone="13800138000"' in html and 'data-name="张先生"' in html
    assert operator.get("/intake/incoming/").status_code == 204  # shown once


def test_numbers_as_the_switch_sends_them():
    from jiesu.tickets.calls import as_registered

    assert as_registered("13800138000") == "13800138000"
    assert as_registered("01062345678") == "010-62345678"
    assert as_registered("075512345678") == "0755-12345678"
    assert as_registered("12345") == "12345"


def test_only_the_telephony_system_announces_and_only_to_operators(world, cti):
    _, key = create_token(user=world.dispatcher, name="x")
    dispatcher = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert _announce(dispatcher, phone="13800138000", agent="operator").status_code == 403
    bad = _announce(cti, phone="12", agent="handler_a").json()
    assert bad["code"] == "invalid" and set(bad["fields"]) == {"phone", "agent"}
    assert _announce(cti, phone="13800138000", agent="nobody").status_code == 400
    assert _announce(cti, phone="13800138000").status_code == 400
    assert _page(world.handler_a).get("/intake/incoming/").status_code == 404


def test_a_call_for_another_operator_is_not_shown(world, cti):
    make_staff("operator", world.hotline, username="operator2")
    _announce(cti, phone="13800138000", agent="operator2")
    assert _page(world.operator).get("/intake/incoming/").status_code == 204


def test_odd_input_is_refused_or_understood(world, cti):
    full_width = _announce(cti, phone="１３８００１３８０００", agent="operator")
    assert full_width.status_code == 201 and full_width.json()["phone"] == "13800138000"
    assert _announce(cti, phone="١٣٨٠٠١٣٨٠٠٠", agent="operator").json()["fields"] == {"phone": "来电号码格式不正确"}
    missing = _announce(cti, phone="13800138000").json()["fields"]
    assert missing == {"agent": "请填写坐席（接听来电的话务员用户名）"}
    long = _announce(cti, phone="13800138000", agent="x" * 5000).json()["fields"]["agent"]
    assert len(long) < 60
