"""The duplicate finder on crafted requests: near-duplicates are flagged; the same place with a different
problem, or the same problem at a different place, are at most shown as similar; 重复来电 needs the same
phone and the same matter; the window and invalid tickets are respected."""

from datetime import timedelta

import pytest
from django.conf import settings

from jiesu.core import clock
from jiesu.hotspots import services
from jiesu.hotspots.models import DuplicateKey, DuplicateMatch
from jiesu.tickets import services as tickets
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action

BASE = "明湖区枫林苑小区东门垃圾堆放三天没人清理，臭气熏天，请尽快清运。"
NEAR = ["枫林苑小区东门口的垃圾好几天没人清运了，味道很大。", "反映枫林苑小区东门垃圾成堆，已经三天没有清理。"]
SAME_PLACE_OTHER_PROBLEM = "明湖区枫林苑小区东门路灯不亮已经一周，晚上出行很不安全，请尽快维修。"
SAME_PROBLEM_OTHER_PLACE = "明湖区翠湖花园小区北门垃圾堆放三天没人清理，臭气熏天，请尽快清运。"
UNRELATED = "咨询新生儿医保怎么办理，需要带哪些材料。"


def _new(world, content, phone="13800138000", **extra):
    return world.new_ticket(content=content, caller_phone=phone, category="", **extra)


def _matches(ticket):
    return {m.other_id: m for m in DuplicateMatch.objects.filter(ticket=ticket)}


def test_near_duplicates_are_flagged_with_their_reasons(world):
    first = _new(world, BASE)
    for text in NEAR:
        ticket = _new(world, text, phone="13900000001")
        match = _matches(ticket)[first.pk]
        assert match.score >= settings.JIESU_DUPLICATE_FLAG, (text, match.score)
        assert any(r.startswith("文本相似度") for r in match.reasons)
        assert "同一地点：枫林苑" in match.reasons and "同一区划" in match.reasons


@pytest.mark.parametrize("text", [SAME_PLACE_OTHER_PROBLEM, SAME_PROBLEM_OTHER_PLACE, UNRELATED])
def test_different_matters_are_not_flagged(world, text):
    first = _new(world, BASE)
    ticket = _new(world, text, phone="13900000002")
    match = _matches(ticket).get(first.pk)
    assert match is None or match.score < settings.JIESU_DUPLICATE_FLAG, match and match.score


def test_the_flag_ranks_the_duplicate_above_the_look_alikes(world):
    near = _new(world, NEAR[0])
    other_place = _new(world, SAME_PROBLEM_OTHER_PLACE)
    other_problem = _new(world, SAME_PLACE_OTHER_PROBLEM)
    ticket = _new(world, BASE, phone="13900000003")
    order = list(DuplicateMatch.objects.filter(ticket=ticket).values_list("other_id", flat=True))
    assert order[0] == near.pk
    assert set(order) <= {near.pk, other_place.pk, other_problem.pk}


def test_coordinates_and_region_move_the_score(world):
    first = _new(world, BASE, lat="30.500000", lng="114.300000")
    near = _new(world, NEAR[0], phone="13900000004", lat="30.500900", lng="114.300500")
    far = _new(world, NEAR[0], phone="13900000005", lat="30.600000", lng="114.400000")
    near_match, far_match = _matches(near)[first.pk], _matches(far).get(first.pk)
    assert any(r.startswith("相距约") for r in near_match.reasons)
    assert far_match is None or far_match.score < near_match.score - 0.2


def test_repeat_caller_needs_the_same_phone_and_the_same_matter(world):
    first = _new(world, BASE, phone="13811112222")
    again = _new(world, NEAR[1], phone="13811112222")
    assert again.repeat_of_id == first.pk
    assert "同一来电号码" in _matches(again)[first.pk].reasons
    other_matter = _new(world, UNRELATED, phone="13811112222")
    assert other_matter.repeat_of_id is None
    other_caller = _new(world, NEAR[0], phone="13833334444")
    assert other_caller.repeat_of_id is None


def test_window_open_tickets_and_invalid_tickets(world):
    old_closed = world.ticket_in("closed", content=BASE, category="")
    old_open = _new(world, BASE)
    invalid = world.ticket_in("invalid", content=BASE, category="")
    long_ago = clock.now() - timedelta(days=settings.JIESU_DUPLICATE_WINDOW_DAYS + 10)
    Ticket.objects.filter(pk__in=[old_closed.pk, old_open.pk]).update(created_at=long_ago, closed_at=None)
    Ticket.objects.filter(pk=old_closed.pk).update(closed_at=long_ago)
    DuplicateKey.objects.filter(ticket__in=[old_closed, old_open]).update(created_at=long_ago)

    ticket = _new(world, NEAR[0], phone="13900000006")

    found = _matches(ticket)
    assert old_open.pk in found  # open tickets are compared however old
    assert old_closed.pk not in found and invalid.pk not in found


def test_refresh_counts_statistics_and_prunes_closed_tickets_outside_the_window(world):
    for text in [BASE, *NEAR, SAME_PLACE_OTHER_PROBLEM, UNRELATED]:
        _new(world, text)
    closed = world.ticket_in("closed", content=BASE, category="")
    long_ago = clock.now() - timedelta(days=settings.JIESU_DUPLICATE_WINDOW_DAYS + 1)
    DuplicateKey.objects.filter(ticket=closed).update(created_at=long_ago)
    Ticket.objects.filter(pk=closed.pk).update(created_at=long_ago)

    result = services.refresh()

    assert result["docs"] == Ticket.objects.count() and result["common_bigrams"] > 0
    assert not DuplicateKey.objects.filter(ticket=closed).exists()
    assert services.stats().docs == result["docs"]
    # Still finds duplicates under the new statistics, and --rekey rebuilds the same index.
    ticket = _new(world, NEAR[0], phone="13900000007")
    assert any(m.score >= settings.JIESU_DUPLICATE_FLAG for m in DuplicateMatch.objects.filter(ticket=ticket))
    assert services.refresh(rekey=True)["rekeyed"] == Ticket.objects.exclude(pk=closed.pk).count()


def test_a_failing_finder_never_stops_intake(world, monkeypatch):
    def broken(ticket, **kwargs):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(services, "look_up", broken)
    ticket = _new(world, BASE)
    assert Ticket.objects.filter(pk=ticket.pk).exists() and ticket.events.count() >= 1


def test_the_dispatch_queue_offers_only_parents_that_can_take_a_child(world):
    first = _new(world, BASE)
    second = _new(world, NEAR[0], phone="13900000008")
    tickets.perform(second.number, Action.MERGE, actor=world.dispatcher, parent=first.number)
    third = _new(world, NEAR[1], phone="13900000009")

    assert {m.other_id for m in DuplicateMatch.objects.filter(ticket=third)} >= {first.pk, second.pk}
    assert [m.other_id for m in services.matches_of([third])[third.pk]] == [first.pk]  # not the 子单


def test_intake_panel_lists_similar_requests(world, client):
    first = _new(world, BASE)
    client.force_login(world.operator)
    page = client.get("/hotspots/similar/", {"content": NEAR[0], "caller_phone": "13800138000"}).content.decode()
    assert first.number in page and "疑似重复" in page and "同一来电人" in page
    assert "未发现相似诉求" in client.get("/hotspots/similar/", {"content": UNRELATED + "再问一次"}).content.decode()
    assert client.get("/hotspots/similar/", {"content": ""}).content.decode().strip() == ""
    client.force_login(world.handler_a)
    assert client.get("/hotspots/similar/", {"content": NEAR[0]}).status_code == 404


def test_intake_panel_lists_only_tickets_the_user_may_open(world, client):
    from jiesu.directory.tests.factories import make_staff

    at_b = tickets.perform(_new(world, BASE).number, Action.DISPATCH, actor=world.dispatcher, department="B")
    waiting = _new(world, NEAR[1], phone="13900000002")
    operator2 = make_staff("operator", world.hotline, username="operator2")  # registered neither
    client.force_login(operator2)
    page = client.get("/hotspots/similar/", {"content": NEAR[0]}).content.decode()
    assert waiting.number in page and at_b.number not in page
    client.force_login(world.dispatcher)
    page = client.get("/hotspots/similar/", {"content": NEAR[0]}).content.decode()
    assert waiting.number in page and at_b.number in page
    # What is stored on a new ticket is found among all tickets: the dispatcher merges from it.
    assert at_b.pk in _matches(waiting)


def test_ticket_page_offers_the_best_parent_to_a_dispatcher(world, client):
    first = _new(world, BASE)
    second = _new(world, NEAR[0], phone="13900000010")
    client.force_login(world.dispatcher)
    page = client.get(f"/tickets/{second.number}/").content.decode()
    assert 'id="duplicates"' in page and f'value="{first.number}"' in page and "并入此单" in page
    client.force_login(world.operator)  # operators see no merge form
    assert "并入此单" not in client.get(f"/tickets/{second.number}/").content.decode()


def test_no_merge_button_for_an_answered_ticket(world, client):
    answered = world.ticket_in("pending_callback", content=BASE, category="")
    second = _new(world, NEAR[0], phone="13900000011")
    assert DuplicateMatch.objects.filter(ticket=second, other=answered).exists()
    client.force_login(world.dispatcher)
    page = client.get(f"/tickets/{second.number}/").content.decode()
    assert answered.number in page and "并入此单" not in page
