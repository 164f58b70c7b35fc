"""Well-formed but impossible dates (2026-13-01, 02-30) are a clear 400 everywhere, never a 500: Django's
parse_date raises on them instead of returning None."""

from datetime import date

import pytest

from jiesu.core.errors import ValidationFailed
from jiesu.core.validators import parse_day, parse_moment
from jiesu.tickets import services
from jiesu.tickets.tests.test_api import _as
from jiesu.tickets.workflow import Action, State


def test_parsers_return_none():
    assert parse_day("2026-13-01") is None and parse_day("2026-02-30") is None and parse_day("") is None
    assert parse_day("2026-02-28") == date(2026, 2, 28)
    assert parse_moment("2026-02-30T10:00:00") is None and parse_moment("2026-02-28T10:00:00") is not None


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30"])
def test_ticket_list_extension_open311_and_hotspots(world, bad, client):
    response = _as(world.dispatcher).get("/api/v1/tickets", {"created_from": bad})
    assert response.status_code == 400 and response.json()["fields"]["created_from"]

    ticket = world.ticket_in(State.IN_PROGRESS)
    with pytest.raises(ValidationFailed) as excinfo:
        services.perform(ticket.number, Action.REQUEST_EXTENSION, actor=world.handler_a, reason="需协调",
                         due_at=bad)
    assert "due_at" in excinfo.value.fields

    response = client.get("/open311/v2/requests.json", {"start_date": f"{bad}T00:00:00+08:00"})
    assert response.status_code == 400

    from jiesu.hotspots import services as hotspots
    from jiesu.hotspots.models import Hotspot, HotspotRun

    run = HotspotRun.objects.create(kind="trailing", start=ticket.created_at, end=ticket.created_at,
                                    baseline_days=28, tickets=1, created_at=ticket.created_at)
    hotspot = Hotspot.objects.create(run=run, rank=1, topic="t", count=3, baseline=0, heat=9,
                                     first_seen=ticket.created_at, last_seen=ticket.created_at)
    with pytest.raises(ValidationFailed) as excinfo:
        hotspots.adopt(world.supervisor, hotspot.pk, owner="A", due_date=bad)
    assert "due_date" in excinfo.value.fields
