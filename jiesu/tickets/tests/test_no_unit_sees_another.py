"""No unit sees another's ticket: every page and API operation that can name a ticket (lists, details, search,
KPI drill-downs and exports, hotspots and their members, duplicates, similar cases, intake panels, knowledge
misses, attachments, the actions) is requested by the staff of two handling units and by an operator, and no
answer — HTML, JSON, a workbook's cells, a file — may carry the number, title or content of a ticket that
`Ticket.objects.visible_to(user)` hides from that user, nor answer differently than for a number nobody has.

The world: units A (with sub-unit A1) and B; B's tickets in every state, closed-and-resolved ones among them
(similar cases), all near-duplicates of A's and from the same caller (疑似重复, 重复来电, hotspot members); a
ticket B returned that is then merged into A's ticket, and one A returned that is merged into B's.
"""

import html
import json
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from urllib.parse import unquote, urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from jiesu.core import clock
from jiesu.core.tokens import create_token
from jiesu.directory.tests.factories import make_staff
from jiesu.hotspots import services as hotspots
from jiesu.hotspots.models import DuplicateMatch, Hotspot, HotspotRun
from jiesu.knowledge import cases
from jiesu.knowledge import services as knowledge
from jiesu.knowledge.models import SearchMiss
from jiesu.kpi.definitions import COUNTS
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action

TEXT = "东湖路12号门口路灯连续三晚不亮，晚上很黑，行人容易摔倒，请尽快维修。"
User = get_user_model()
ABSENT = "20991231999999"  # a number no ticket has: a hidden ticket must answer exactly like it

# name → (unit it is dispatched to, how far it goes). Order matters: each new ticket is compared with the
# earlier ones, so A's tickets, registered after B's by the same caller, are 重复来电 of B's.
PLAN = [
    ("b_sign", "B", "sign"),
    ("b_progress", "B", "progress"),
    ("b_callback", "B", "callback"),
    ("b_closed", "B", "closed"),
    ("b_closed_2", "B", "closed"),
    ("b_parent", "B", "progress"),  # A's returned ticket is merged into it
    ("b_returned", "B", "returned"),  # B returns it; then merged into a_parent
    ("hotline_only", None, "pending"),  # never dispatched: no unit's
    ("a_sign", "A", "sign"),
    ("a_progress", "A", "progress"),
    ("a_callback", "A", "callback"),
    ("a_closed", "A", "closed"),
    ("a_sub", "A1", "progress"),
    ("a_parent", "A", "progress"),
    ("a_merged", "A", "returned"),  # A returns it; then merged into b_parent
]
NAMES = [name for name, _, _ in PLAN]
# Two handling units' staff, and the hotline centre's operator who registered none of the tickets.
USERS = ["handler_a", "handler_a_sub", "operator2"]


def marks(i: int) -> tuple[str, str]:
    """A title marker and a content marker, unique, left alone by the masking module."""
    return f"QT{i:02d}ZX", f"QC{i:02d}ZX"


@dataclass
class Row:
    """One request of the matrix. `endpoint` names the operation (what is counted); `names` is the ticket
    the URL names, if any, so that its answer can be compared with the answer for a number nobody has."""

    endpoint: str
    method: str
    url: str
    data: dict | None = None
    api: bool = False
    names: str = ""
    files: dict = field(default_factory=dict)


def _unit_actions(world, ticket, unit: str, upto: str):
    """Dispatch to `unit` and take the ticket `upto` a state, each step by the right person."""
    handler = {"A": world.handler_a, "A1": world.handler_a_sub, "B": world.handler_b}[unit]

    def do(action, actor, **payload):
        return services.perform(ticket.number, action, actor=actor, **payload)

    if unit == "A1":
        ticket = do(Action.DISPATCH, world.dispatcher, department="A")
        ticket = do(Action.SIGN, world.handler_a)
        return do(Action.SUBDISPATCH, world.handler_a, department="A1")
    ticket = do(Action.DISPATCH, world.dispatcher, department=unit)
    if upto == "returned":
        do(Action.RETURN, handler, reason_category="not_ours", reason="不属于本单位职责")
        return do(Action.APPROVE_RETURN, world.dispatcher)
    if upto == "sign":
        return ticket
    ticket = do(Action.SIGN, handler)
    if upto == "progress":
        return ticket
    ticket = do(Action.REPLY, handler, reply_text="已更换灯泡，路灯恢复照明。", result="resolved")
    if upto == "callback":
        return ticket
    return do(Action.CALLBACK, world.operator, status="reached", satisfaction="satisfied", resolved=True)


@pytest.fixture
def setting(world):
    tickets = {}
    for i, (name, unit, upto) in enumerate(PLAN):
        title_mark, content_mark = marks(i)
        ticket = world.new_ticket(title=f"东湖路路灯不亮{title_mark}", content=f"{TEXT}{content_mark}",
                                  kind="complaint")
        if unit is not None:
            ticket = _unit_actions(world, ticket, unit, upto)
        tickets[name] = ticket
    for name in ("b_progress", "a_progress", "a_sub"):
        title_mark, content_mark = marks(NAMES.index(name))
        world.act(tickets[name], Action.ATTACH,
                  file=SimpleUploadedFile(f"现场{title_mark}.jpg", b"\xff\xd8\xff " + content_mark.encode()))
    world.act(tickets["b_returned"], Action.MERGE, parent=tickets["a_parent"].number)
    world.act(tickets["a_merged"], Action.MERGE, parent=tickets["b_parent"].number)
    trailing, monthly = hotspots.detect_now()
    # An operator who registered none of them sees only those waiting for dispatch or 回访.
    make_staff("operator", world.hotline, username="operator2")
    # B's staff look for an answer with their ticket's words: the questions that found nothing are kept.
    for name in ("b_progress", "b_callback"):
        knowledge.search(f"{tickets[name].title} {tickets[name].content}", actor=world.handler_b, record_miss=True)
    tickets = {name: Ticket.objects.get(pk=t.pk) for name, t in tickets.items()}
    needles = {name: [tickets[name].number, *marks(i)] for i, name in enumerate(NAMES)}
    return tickets, needles, trailing, monthly


def _client(user, api: bool) -> Client:
    if api:
        _, key = create_token(user=user, name="矩阵")
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    client = Client()
    client.force_login(user)
    return client


def body_text(response) -> str:
    """Everything an answer says, as text: HTML unescaped, JSON re-dumped, every cell of a workbook, a file."""
    content_type = response.get("Content-Type", "")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        book = load_workbook(BytesIO(raw), read_only=True)
        return "\n".join(str(cell) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        return json.dumps(json.loads(text), ensure_ascii=False)
    return html.unescape(text)


def rows_for(tickets, trailing, monthly) -> list[Row]:
    """The matrix: every page (jiesu/*/urls.py) and API operation (/api/v1/openapi.json) that can name a
    ticket, with the parameters that would make it name one. Open311 is left out: it is the public channel,
    published masked by design (docs/open311.md)."""
    today = clock.today()
    year = f"from={today - timedelta(days=400)}&to={today + timedelta(days=1)}"
    texts = {"title": "东湖路路灯不亮", "content": TEXT, "region": "110", "caller_phone": "13800138000"}
    rows = [
        Row("home", "get", "/"),
        *[Row("inbox", "get", f"/inbox/?tab={tab}") for tab in ("sign", "progress", "reply")],
        Row("ticket list", "get", "/tickets/"),
        Row("ticket list", "get", "/tickets/?page=2"),
        Row("ticket list", "get", "/tickets/?department=B"),
        Row("ticket list", "get", "/tickets/?q=东湖路"),
        Row("intake", "get", "/intake/"),
        Row("dispatch queue", "get", "/dispatch/"),
        Row("kpi dashboard", "get", f"/kpi/?{year}"),
        Row("kpi dashboard", "get", f"/kpi/?{year}&department=B"),
        Row("kpi ranking xlsx", "get", f"/kpi/ranking.xlsx?{year}"),
        Row("hotspots page", "get", "/hotspots/"),
        Row("hotspots similar panel", "get", "/hotspots/similar/?" + urlencode(texts)),
        Row("knowledge page", "get", "/knowledge/?q=路灯不亮"),
        Row("knowledge panel", "get", "/knowledge/suggest/?" + urlencode(texts)),
        Row("routing panel", "get", "/routing/suggest/?" + urlencode(texts)),
        Row("admin", "get", "/admin/tickets/ticket/"),
        Row("api ticket list", "get", "/api/v1/tickets?page_size=100", api=True),
        Row("api ticket list", "get", "/api/v1/tickets?page_size=100&department=B", api=True),
        Row("api ticket list", "get", "/api/v1/tickets?page_size=100&q=东湖路", api=True),
        Row("api create ticket", "post", "/api/v1/tickets", {"content": TEXT, "caller_phone": "13800138000"},
            api=True),
        Row("api similar", "post", "/api/v1/hotspots/similar", texts, api=True),
        Row("api hotspots", "get", f"/api/v1/hotspots?start={today - timedelta(days=6)}&end={today}", api=True),
        Row("api kpi summary", "get", f"/api/v1/kpi/summary?start={today - timedelta(days=400)}&end={today}",
            api=True),
        Row("api kpi ranking", "get", f"/api/v1/kpi/ranking?start={today - timedelta(days=400)}&end={today}",
            api=True),
        Row("api knowledge search", "get", "/api/v1/knowledge/search?q=路灯不亮", api=True),
        Row("knowledge page", "get", "/knowledge/"),
        Row("api knowledge misses", "get", "/api/v1/knowledge/misses", api=True),
        Row("api routing suggest", "post", "/api/v1/routing/suggest", {"text": TEXT}, api=True),
    ]
    for count in COUNTS:
        for unit in ("", "&department=A", "&department=A1", "&department=B"):
            rows.append(Row("kpi drill-down", "get", f"/kpi/tickets/?{year}&count={count}{unit}"))
            rows.append(Row("kpi tickets xlsx", "get", f"/kpi/tickets.xlsx?{year}&count={count}{unit}"))
    for run in (trailing, monthly):
        rows.append(Row("hotspot run xlsx", "get", f"/hotspots/runs/{run.pk}.xlsx"))
        for hotspot in run.hotspots.all():
            rows.append(Row("hotspot members", "get", f"/hotspots/{hotspot.pk}/"))
            rows.append(Row("hotspot adopt", "post", f"/hotspots/{hotspot.pk}/adopt/",
                            {"owner": "A", "due_date": str(today + timedelta(days=30))}))
    # Writes that answer with what they did to tickets, and the next page's message.
    rows.append(Row("hotspots detect", "post", "/hotspots/detect/"))
    rows.append(Row("routing accept", "post", "/routing/accept/", {"minimum": "0"}))
    for name, ticket in tickets.items():
        title_mark, content_mark = marks(NAMES.index(name))
        n = ticket.number
        rows += [
            Row("ticket page", "get", f"/tickets/{n}/", names=n),
            Row("api ticket detail", "get", f"/api/v1/tickets/{n}", api=True, names=n),
            Row("api similar cases", "get", f"/api/v1/knowledge/cases/{n}", api=True, names=n),
            Row("ticket list search", "get", f"/tickets/?q={n}"),
            Row("ticket list search", "get", f"/tickets/?q={title_mark}"),
            Row("ticket list search", "get", f"/tickets/?q={content_mark}"),
            Row("api ticket list search", "get", f"/api/v1/tickets?q={n}", api=True),
            Row("api ticket list search", "get", f"/api/v1/tickets?q={content_mark}", api=True),
            Row("knowledge search", "get", f"/knowledge/?q={content_mark}"),
            Row("api knowledge search", "get", f"/api/v1/knowledge/search?q={title_mark}", api=True),
            Row("hotspots similar panel", "get", "/hotspots/similar/?" + urlencode(
                {"content": ticket.content, "caller_phone": ticket.caller_phone})),
        ]
        for attachment in ticket.attachments.all():
            rows.append(Row("attachment download", "get", f"/tickets/{n}/attachments/{attachment.pk}/", names=n))
            # The attachment's id under every other ticket's number.
            for other in tickets.values():
                if other.pk != ticket.pk:
                    rows.append(Row("attachment download", "get",
                                    f"/tickets/{other.number}/attachments/{attachment.pk}/"))
    # The actions on tickets no handling unit but B may see, by rotation: every action on several states.
    actions = [a for a in Action if a not in (Action.CREATE, Action.ATTACH, Action.FOLLOW_REPLY)]
    payload = {"department": "B", "reason": "不属于本单位职责", "reply_text": "已处理", "result": "resolved",
               "note": "矩阵"}
    targets = [name for name in NAMES if not name.startswith("a_")]
    for i, name in enumerate(targets):
        n = tickets[name].number
        rows.append(Row("api attach", "post", f"/api/v1/tickets/{n}/attachments", api=True, names=n,
                        files={"file": ("照片.jpg", b"\xff\xd8\xff x")}))
        for action in actions[i % 3::3]:  # each action on a third of the targets, each target a third
            rows.append(Row("api ticket action", "post", f"/api/v1/tickets/{n}/{action.value.replace('_', '-')}",
                            {**payload, "parent": n}, api=True, names=n))
        for action in actions[i::len(targets)]:
            rows.append(Row("ticket action page", "post", f"/tickets/{n}/act/{action.value}/", {**payload, "parent": n},
                            names=n))
        # Naming a hidden ticket as the 母单 of one's own.
        rows.append(Row("ticket action page", "post", f"/tickets/{tickets['a_progress'].number}/act/merge/",
                        {"parent": n}))
        rows.append(Row("api ticket action", "post", f"/api/v1/tickets/{tickets['a_progress'].number}/merge",
                        {"parent": n}, api=True))
    return rows


def _request(clients, row: Row, url: str):
    client = clients[row.api]
    if row.method == "get":
        return client.get(url)
    if row.files:
        return client.post(url, {name: SimpleUploadedFile(fname, data) for name, (fname, data) in row.files.items()})
    if row.api:
        return client.post(url, row.data or {}, content_type="application/json")
    # A refused page action redirects and says why on the next page: follow, so the message is part of the row.
    return client.post(url, row.data or {}, follow=True)


@dataclass
class Leak:
    endpoint: str
    what: str
    numbers_only: bool  # only ticket numbers, no title or content

    def __str__(self):
        return self.what


def leaks_of(user, tickets, needles, rows) -> tuple[list[Leak], int, int]:
    """What each row shows this user of the tickets it may not see; how many requests were made, and how many
    (request, hidden ticket) pairs were checked."""
    visible = set(Ticket.objects.visible_to(user).values_list("pk", flat=True))
    hidden = {name: needles[name] for name, t in tickets.items() if t.pk not in visible}
    assert hidden, "the matrix needs tickets this user may not see"
    hidden_numbers = {tickets[name].number for name in hidden}
    clients = {False: _client(user, api=False), True: _client(user, api=True)}
    found, requests, checked = [], 0, 0
    for row in rows:
        if row.method == "post" and row.names and row.names not in hidden_numbers:
            continue  # acting on one's own tickets would change the world under the matrix
        response = _request(clients, row, row.url)
        requests += 1
        # The user's own searches come back as 未命中 questions on later pages: their own words, not a leak.
        SearchMiss.objects.filter(user=user).delete()
        assert response.status_code < 500, (row.url, response.status_code)
        text = body_text(response).lower()
        # What the request itself carries is echoed back (the search box, a 404 page): not learnt from the
        # answer. Each ticket has three needles, so a row that names one of them still checks the other two.
        asked = (unquote(row.url) + json.dumps(row.data or {}, ensure_ascii=False)).lower()
        for name, words in hidden.items():
            checked += 1
            shown = [w for w in words if w.lower() not in asked and w.lower() in text]
            if shown:
                found.append(Leak(row.endpoint, f"{user.username} {row.method.upper()} {unquote(row.url)} → {name}: "
                                                f"{', '.join(shown)}", shown == [words[0]]))
        if row.names in hidden_numbers:
            # A hidden ticket answers like a number nobody has: no status tells that it exists.
            absent = _request(clients, row, row.url.replace(row.names, ABSENT))
            requests += 1
            if absent.status_code != response.status_code:
                found.append(Leak(row.endpoint, f"{user.username} {row.method.upper()} {unquote(row.url)} answers "
                                                f"{response.status_code}, a missing ticket {absent.status_code}", False))
    return found, requests, checked


# tickets/api.py still names linked tickets by number whoever asks: `repeat_of` and `merged_into` (ticket_out, so
# lists too), `merged_children`, and the events' `data` (parent, child, children, detached_from). The page filters
# them through access.visible_ids (views.ticket_detail); the API must do the same. Until then these leaks — numbers
# only — are expected, and test_the_api_names_no_hidden_linked_ticket fails strictly once they are gone.
PENDING_API: set[str] = set()  # endpoints with a known leak being fixed (none now)


def _pending(leak: Leak) -> bool:
    return leak.endpoint in PENDING_API and leak.numbers_only


def test_the_world_gives_every_feature_something_to_leak(world, setting):
    """The matrix only proves something if B's tickets are there to be named by A's."""
    tickets, _, trailing, _ = setting
    b_side = {t.pk for name, t in tickets.items() if name.startswith("b_")}
    a_side = [t for name, t in tickets.items() if name.startswith("a_")]
    assert any(t.repeat_of_id in b_side for t in a_side)  # 重复来电
    assert DuplicateMatch.objects.filter(ticket__in=a_side, other__in=b_side).exists()  # 疑似重复
    assert Hotspot.objects.filter(run=trailing, tickets__in=b_side).exists()  # hotspot members
    assert HotspotRun.objects.count() == 2
    supervisor_view = cases.similar_to(tickets["a_progress"], user=world.supervisor, limit=20)
    assert {c.number for c in supervisor_view} >= {tickets["b_closed"].number, tickets["b_closed_2"].number}
    assert tickets["b_returned"].merged_into_id == tickets["a_parent"].pk
    assert tickets["a_merged"].merged_into_id == tickets["b_parent"].pk
    assert tickets["b_progress"].attachments.exists()
    assert SearchMiss.objects.filter(user=world.handler_b).count() == 2


def test_a_page_says_a_hidden_link_exists_without_naming_it(world, setting):
    tickets = setting[0]
    handler, supervisor = _client(world.handler_a, api=False), _client(world.supervisor, api=False)
    merged = handler.get(f"/tickets/{tickets['a_merged'].number}/").content.decode()
    assert "已并入母单（您无权查看该母单）" in merged
    parent = handler.get(f"/tickets/{tickets['a_parent'].number}/").content.decode()
    assert "并入的子单（1）" in parent and "另有 1 件子单您无权查看" in parent
    assert tickets["b_parent"].number in supervisor.get(f"/tickets/{tickets['a_merged'].number}/").content.decode()
    assert tickets["b_returned"].number in supervisor.get(f"/tickets/{tickets['a_parent'].number}/").content.decode()


@pytest.mark.parametrize("who", USERS)
def test_no_unit_sees_another_units_ticket(world, setting, who):
    tickets, needles, trailing, monthly = setting
    user = User.objects.get(username=who)
    before = {t.pk: (t.state, t.updated_at) for t in Ticket.objects.all()}
    rows = rows_for(tickets, trailing, monthly)
    found, requests, checked = leaks_of(user, tickets, needles, rows)
    print(f"\n{who}: {len({r.endpoint for r in rows})} endpoints, {requests} requests, "
          f"{checked} (request, hidden ticket) pairs checked")
    unexpected = [leak for leak in found if not _pending(leak)]
    assert not unexpected, "\n".join(map(str, unexpected))
    # Every action on a hidden ticket was refused: nothing changed.
    hidden = set(Ticket.objects.exclude(pk__in=Ticket.objects.visible_to(user)).values_list("pk", flat=True))
    assert {pk: v for pk, v in before.items() if pk in hidden} == {
        t.pk: (t.state, t.updated_at) for t in Ticket.objects.filter(pk__in=hidden)}


@pytest.mark.parametrize("who", USERS)
def test_the_api_names_no_hidden_linked_ticket(world, setting, who):
    """repeat_of, merged_into, merged_children and the history's 并单 numbers once named hidden tickets."""
    tickets, needles, trailing, monthly = setting
    api = {"api ticket detail", "api ticket list", "api ticket list search", "api create ticket"}
    rows = [r for r in rows_for(tickets, trailing, monthly) if r.endpoint in api]
    found, _, _ = leaks_of(User.objects.get(username=who), tickets, needles, rows)
    assert not found, "\n".join(map(str, found))
