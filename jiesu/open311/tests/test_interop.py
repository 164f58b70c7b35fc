"""A third-party Open311 client (georeport, from PyPI) against a running jiesu.

georeport 0.3 reads (services, service definitions, requests) but cannot file; no Python 3 client on PyPI
can (`open311` 1.1 and `three` 0.8 are Python 2 only), so the request is filed with a plain form POST, the
way the specification describes it."""

import pytest

georeport = pytest.importorskip("georeport")


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_client(transactional_db, live_server, output_format):
    import requests

    from jiesu.open311 import services
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.tests.world import World
    from jiesu.tickets.workflow import Action

    world = World.build()
    _, key = services.add_partner("第三方客户端")
    client = georeport.GeoReport(f"{live_server.url}/open311/v2", jurisdiction="jiesu", output_format=output_format)

    listed = client.get_service_list()
    listed = listed if isinstance(listed, list) else [listed]
    assert {"service_code": "0101", "service_name": "路灯不亮"}.items() <= {
        k: v for k, v in next(s for s in listed if s["service_code"] == "0101").items()}.items()
    definition = client.get_service_definition("0101")
    assert definition["service_code"] == "0101"

    filed = requests.post(f"{live_server.url}/open311/v2/requests.{output_format}", data={
        "api_key": key, "jurisdiction_id": "jiesu", "service_code": "0101", "address_string": "东湖路88号",
        "description": "东湖路88号门前路灯不亮", "phone": "13800138000"}, timeout=10)
    assert filed.status_code == 200
    number = Ticket.objects.get().number
    assert number in filed.text

    assert client.get_service_request(number)["status"] == "open"
    ticket = Ticket.objects.get()
    for action in (Action.DISPATCH, Action.SIGN, Action.REPLY, Action.CALLBACK):
        ticket = world.act(ticket, action)
    record = client.get_service_request(number)
    assert record["status"] == "closed" and record["status_notes"] == "已修复路灯"
    assert record["agency_responsible"] == "甲委员会"
    listed = client.get_service_requests(service_request_id=number)
    listed = listed if isinstance(listed, list) else [listed]
    assert [r["service_request_id"] for r in listed] == [number]
