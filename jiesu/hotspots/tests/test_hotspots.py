"""Hotspot detection on a synthetic burst planted in background noise; naming, growth, ranking; the page,
drill-down, Excel export, 每月一题 adoption and the report command."""

import json
import random
from datetime import datetime, timedelta
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from jiesu.core import clock
from jiesu.core.errors import PermissionDenied, ValidationFailed
from jiesu.hotspots import services
from jiesu.hotspots.models import GovernanceItem, HotspotRun

NOW = timezone.make_aware(datetime(2026, 11, 20, 18, 0))
PLACES = ["桂花园小区", "南湖新村", "建设路", "光明街", "青年路", "梅林苑", "东风村", "望江路", "金桥花园", "长青社区",
          "芙蓉路", "翠竹苑", "红星村", "解放大道", "荷塘家园", "江滨公园", "育才小学", "新华市场", "丰收镇", "石门路"]
PROBLEMS = ["路灯不亮", "井盖缺失", "噪音扰民", "占道经营", "垃圾未清运", "停水", "违章搭建", "树木倒伏", "路面破损",
            "污水外溢", "共享单车乱停", "宠物扰民", "施工扬尘", "公交站牌损坏", "电梯故障"]
BURST = [
    "滨江路3号地下通道积水严重，行人无法通过",
    "滨江路地下通道又积水了，水深过膝",
    "反映滨江路3号地下通道积水，已经两天了",
    "滨江路地下通道积水没人抽，老人小孩过不去",
    "滨江路3号地下通道积水问题请尽快处理",
    "滨江路的地下通道积水很深，存在安全隐患",
    "滨江路3号地下通道积水，下雨后一直没排掉",
    "滨江路地下通道积水严重影响出行",
]


def _ticket_at(world, content, at, phone):
    with clock.frozen(at):
        return world.new_ticket(content=content, caller_phone=phone, category="", kind="complaint")


@pytest.fixture
def planted(world):
    rng = random.Random(7)
    pairs = rng.sample([(p, q) for p in PLACES for q in PROBLEMS], 180)
    for i, (place, problem) in enumerate(pairs):
        at = NOW - timedelta(days=rng.uniform(0, 35))
        _ticket_at(world, f"{place}附近{problem}，希望有关部门处理。", at, f"1380000{i:04d}")
    burst = [_ticket_at(world, text, NOW - timedelta(days=rng.uniform(0, 6), hours=1), f"1390000{i:04d}")
             for i, text in enumerate(BURST)]
    return burst


def test_the_planted_burst_is_the_top_hotspot(world, planted):
    found = services.find_hotspots(NOW - timedelta(days=7), NOW)

    top = found[0]
    assert {m.key for m in top.members} == {t.pk for t in planted}
    assert "滨江路" in top.topic and ("地下通道" in top.topic or "积水" in top.topic), top.topic
    assert top.baseline == 0 and top.growth is None  # new: nothing like it in the four weeks before
    assert top.heat == pytest.approx(8 + 2 * 8)
    assert len(top.representatives) == 3
    assert all(f.count < 3 or f.heat < top.heat for f in found[1:])
    # Noise (each place and problem at most once or twice) makes no hotspot of three.
    assert len(found) == 1, [f.topic for f in found]


def test_one_callers_repeated_requests_are_marked_and_ranked_by_callers(world, planted):
    # One caller sends the same templated suggestion ten times this week: more requests than the real burst.
    for i in range(10):
        _ticket_at(world, f"建议加快青山大道{['绿化', '亮化'][i % 2]}提质改造建设力度，第{i + 1}次建议。",
                   NOW - timedelta(days=5, hours=i), "13600136000")
    found = services.find_hotspots(NOW - timedelta(days=7), NOW)
    top, templated = found[0], next(f for f in found if f.count == 10)
    assert {m.key for m in top.members} == {t.pk for t in planted} and not top.one_caller and top.callers == 8
    assert templated.one_caller and templated.callers == 1 and templated.heat == pytest.approx(1 + 2 * 1)
    run = services.save_run("weekly", NOW - timedelta(days=7), NOW, found, baseline_days=28)
    saved = run.hotspots.get(count=10)
    assert saved.one_caller and saved.callers == 1 and saved.rank == 2


def test_topics_are_a_place_and_content_words_never_fragments():
    from jiesu.hotspots import detect
    from jiesu.hotspots import text as T

    texts = ["东湖花园路面塌陷，一个直径约半米的坑", "东湖花园门口路面塌陷了，一个直径约半米", "东湖花园路面塌陷很危险",
             "东湖花园又出现路面塌陷，一个直径约半米"]
    items = [detect.Item(key=i, text=t, at=NOW - timedelta(hours=i), caller=f"1380000000{i}")
             for i, t in enumerate(texts)]
    found = detect.detect(items, NOW - timedelta(days=1), NOW + timedelta(seconds=1), None, T.GramStats(docs=1, df={}))
    assert found[0].place == "东湖花园" and found[0].problem.startswith("路面塌陷"), found[0].topic
    assert "一个" not in found[0].topic and "直径约" not in found[0].topic
    assert detect.short("路灯坏了三天，晚上很黑") == "路灯坏了三天"
    assert detect.short("路" * 40) == "路" * 30 + "…"


def test_growth_is_measured_against_the_weeks_before(world, planted):
    rng = random.Random(3)
    for i in range(4):  # the same matter, four times in the four weeks before
        _ticket_at(world, BURST[i], NOW - timedelta(days=rng.uniform(8, 34)), f"1370000{i:04d}")
    top = services.find_hotspots(NOW - timedelta(days=7), NOW)[0]
    assert top.baseline == 4 and top.expected == pytest.approx(1.0)
    assert top.growth == pytest.approx(7.0)
    assert top.heat == pytest.approx(8 + 2 * 7)


def test_public_support_raises_heat(world, planted):
    from jiesu.tickets.models import Ticket

    Ticket.objects.filter(pk=planted[0].pk).update(support=99)
    top = services.find_hotspots(NOW - timedelta(days=7), NOW)[0]
    assert top.support == 99 and top.heat == pytest.approx(8 + 16 + 3 * 4.60517, rel=1e-4)


def test_page_drilldown_export_and_adoption(world, planted, client):
    with clock.frozen(NOW):
        trailing, monthly = services.detect_now(world.dispatcher)
    assert trailing.kind == HotspotRun.Kind.TRAILING and trailing.hotspots.count() == 1
    assert monthly.start.month == 10  # last calendar month: the 每月一题 candidates

    client.force_login(world.dispatcher)
    page = client.get("/hotspots/").content.decode()
    hotspot = trailing.hotspots.get()
    assert hotspot.topic in page and "新出现" in page and "立项" not in page  # only 督办 may adopt

    detail = client.get(f"/hotspots/{hotspot.pk}/").content.decode()
    assert all(t.number in detail for t in planted)

    book = load_workbook(BytesIO(client.get(f"/hotspots/runs/{trailing.pk}.xlsx").content))
    ws = book.active
    assert [c.value for c in ws[1]][:3] == ["排名", "热点", "件数"] and ws["B2"].value == hotspot.topic
    assert ws["C2"].value == 8 and ws.freeze_panes == "A2"

    with pytest.raises(PermissionDenied):
        services.adopt(world.dispatcher, hotspot.pk, owner="A", due_date="2026-12-31")
    client.force_login(world.supervisor)
    response = client.post(f"/hotspots/{hotspot.pk}/adopt/", {"owner": "A", "due_date": "2099-12-31", "title": ""})
    assert response.status_code == 302
    item = GovernanceItem.objects.get()
    assert item.title == hotspot.topic and item.owner == world.dept_a and item.tickets.count() == 8
    assert item.status == GovernanceItem.Status.OPEN
    client.post(f"/hotspots/items/{item.pk}/done/")
    item.refresh_from_db()
    assert item.status == GovernanceItem.Status.DONE


def test_adoption_needs_an_owner_and_a_future_due_date(world, planted):
    with clock.frozen(NOW):
        trailing, _ = services.detect_now()
    hotspot = trailing.hotspots.get()
    with pytest.raises(ValidationFailed) as excinfo:
        services.adopt(world.supervisor, hotspot.pk, owner="", due_date="2020-01-01")
    assert set(excinfo.value.fields) == {"owner", "due_date"}
    assert not GovernanceItem.objects.exists()


def test_report_command_prints_json_and_table(world, planted):
    out = StringIO()
    call_command("hotspots", "report", "--from", "2026-11-14", "--to", "2026-11-20", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["hotspots"][0]["count"] == 8 and "滨江路" in data["hotspots"][0]["topic"]
    assert set(data["hotspots"][0]["tickets"]) <= {t.number for t in planted}
    out = StringIO()
    call_command("hotspots", "report", "--from", "2026-11-14", "--to", "2026-11-20", stdout=out)
    assert "滨江路" in out.getvalue() and "新出现" in out.getvalue()


def test_bad_periods_are_refused(world):
    with pytest.raises(ValidationFailed):
        services.find_hotspots(NOW, NOW - timedelta(days=1))
    with pytest.raises(ValidationFailed):
        services.find_hotspots(NOW - timedelta(days=400), NOW)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("hotspots", "report", "--from", "2026-13-01", "--to", "2026-11-20", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("hotspots", "report", "--from", "2026-11-20", "--to", "2026-11-01", stdout=StringIO())


def test_pages_need_the_permission(world, client):
    client.force_login(world.operator)
    assert client.get("/hotspots/").status_code == 404
    assert client.post("/hotspots/detect/").status_code == 302  # refused by the service, with a message
    assert not HotspotRun.objects.exists()



