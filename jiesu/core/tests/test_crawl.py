"""Nothing breaks in a day's use: on a seeded demo, after the SLA sweep, every role follows every same-site link
it can reach (<a href>, htmx hx-get, and each GET form as it stands), opens every ticket page, and every answer
is below 500. A 403 or 404 is an answer; a 500 is a bug. Run with -s to see how much each role crawled."""

import re
import time
from collections import Counter, deque
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from jiesu.core import clock
from jiesu.directory.models import Department
from jiesu.sla import services as sla
from jiesu.sla.models import SlaAlert
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action, State

# The demo's accounts (chengban handles for a bureau), then nobody signed in; handlers of a street, a community
# and a utility company are added by the fixture.
ROLES = ["huawu", "paidan", "chengban", "duban", "admin", "lingdao", None]
HANDLER_KINDS = [Department.Kind.STREET, Department.Kind.COMMUNITY, Department.Kind.ENTERPRISE]
MAX_PAGES = 500  # per role
MAX_ADMIN_PAGES = 150  # per role: every admin list and form, not every object
# Filters combine without end: a few URLs per path (digits read as N), fewer with the same query keys.
MAX_PER_PATH = 8
MAX_PER_ADMIN_PATH = 3
MAX_PER_SHAPE = 2
SKIP = ("/static/", "/media/", "/accounts/logout/", "/admin/logout/")
TICKET_PAGE = re.compile(r"^/tickets/[^/?]+/$")
REDIRECTS = (301, 302, 303, 307, 308)


class Links(HTMLParser):
    """A page's ways on: <a href>, hx-get, and each GET form submitted with the values it shows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.htmx = [], []
        self._form = None  # action, [(name, value)]
        self._select = None  # name, first option, selected option

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("hx-get"):
            self.htmx.append(a["hx-get"])
        if tag == "form":
            get = (a.get("method") or "get").lower() == "get"
            self._form = (a.get("action") or "", []) if get else None
        if self._form is None or not a.get("name"):
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file", "image", "reset"):
                self._form[1].append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self._form is not None:
            name, first, selected = self._select
            self._form[1].append((name, selected if selected is not None else first or ""))
            self._select = None
        elif tag == "form" and self._form is not None:
            # A browser drops the action's own query and sends the form's fields instead.
            action, fields = self._form
            self.links.append(f"{action.split('?')[0]}?{urlencode([(k, v) for k, v in fields if v])}")
            self._form = None


def same_site(base: str, href: str) -> str | None:
    """The link as a path and query on this site, or None for another site, a file, a script or logging out."""
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    if not parts.path.startswith("/") or parts.path.startswith(SKIP):
        return None
    # Sorted by name only: of repeated names the last one counts, as it does for the view.
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True), key=lambda pair: pair[0]))
    return parts.path + (f"?{query}" if query else "")


def shape(url: str) -> tuple[str, tuple[str, ...]]:
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path), tuple(sorted({k for k, _ in parse_qsl(parts.query, True)}))


class Crawl:
    def __init__(self, client: Client):
        self.client = client
        self.seen: set[str] = set()
        self.queue: deque = deque()
        self.failures: list[str] = []
        self.statuses: Counter = Counter()
        self.tickets: Counter = Counter()  # ticket pages by status
        self._paths, self._shapes, self._admin = Counter(), Counter(), 0

    def _allowed(self, url: str) -> bool:
        if TICKET_PAGE.match(url):
            return True
        path, keys = shape(url)
        admin = url.startswith("/admin/")
        if self._paths[path] >= (MAX_PER_ADMIN_PATH if admin else MAX_PER_PATH) or self._shapes[path, keys] >= \
                MAX_PER_SHAPE or (admin and self._admin >= MAX_ADMIN_PAGES):
            return False
        self._paths[path] += 1
        self._shapes[path, keys] += 1
        self._admin += admin
        return True

    def run(self, start: str = "/") -> None:
        self.queue.append((start, None, False))
        while self.queue and len(self.seen) < MAX_PAGES:
            url, source, htmx = self.queue.popleft()
            if url not in self.seen and self._allowed(url):
                self.seen.add(url)
                self.open(url, source, htmx)

    def open(self, url: str, source: str | None, htmx: bool = False) -> None:
        self.seen.add(url)
        response = self.client.get(url, headers={"HX-Request": "true"} if htmx else None)
        # Read a download to its end, so a failure while it streams counts too.
        body = b"".join(response.streaming_content) if response.streaming else response.content
        self.statuses[response.status_code] += 1
        if TICKET_PAGE.match(url):
            self.tickets[response.status_code] += 1
        if response.status_code >= 500:
            exc = response.exc_info[1] if getattr(response, "exc_info", None) else None
            self.failures.append(f"{response.status_code} {url} (linked from {source}): {exc!r}")
        elif response.status_code in REDIRECTS:
            self._follow(url, [response["Location"]])
        elif response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            links = Links()
            links.feed(body.decode("utf-8", "replace"))
            self._follow(url, links.links)
            self._follow(url, links.htmx, htmx=True)

    def _follow(self, url: str, hrefs: list[str], htmx: bool = False) -> None:
        for href in hrefs:
            target = same_site(url, href)
            if target and target not in self.seen:
                self.queue.append((target, url, htmx))


@pytest.fixture
def demo(db):
    call_command("seed_demo", tickets=60, stdout=StringIO())
    # A file on an open ticket, so its download link is followed too.
    ticket = Ticket.objects.filter(state=State.IN_PROGRESS).order_by("number").first()
    services.perform(ticket.number, Action.ATTACH, actor=get_user_model().objects.get(username="paidan"),
                     file=SimpleUploadedFile("现场照片.jpg", b"\xff\xd8\xff\xe0 not really a photo"))
    # Two days and two weeks on: 临期, 超期, 催办 and 升级督办 on every ticket still open.
    now = clock.now()
    sla.sweep(now + timedelta(days=2))
    sla.sweep(now + timedelta(days=14))
    assert set(SlaAlert.objects.values_list("kind", flat=True)) == set(SlaAlert.Kind.values)
    # Of each kind of unit, the handler who sees the most tickets.
    handlers = []
    for kind in HANDLER_KINDS:
        staff = get_user_model().objects.filter(username__startswith="cb_", staff__department__kind=kind)
        handlers.append(max(staff.order_by("username"), key=lambda u: Ticket.objects.visible_to(u).count()).username)
    return ROLES + handlers, list(Ticket.objects.order_by("number").values_list("number", flat=True))


def test_every_role_follows_every_link_and_opens_every_ticket_without_a_server_error(demo):
    roles, numbers = demo
    started = time.monotonic()
    report, failures = [], []
    users = get_user_model().objects
    for username in roles:
        client = Client(raise_request_exception=False)
        if username:
            client.force_login(users.get(username=username))
        crawl = Crawl(client)
        crawl.run()
        crawled = len(crawl.seen)
        for number in numbers:
            url = f"/tickets/{number}/"
            if url not in crawl.seen:
                crawl.open(url, "the ticket numbers")
        report.append(f"{username or '(anonymous)'}: {crawled} pages by links, ticket pages opened "
                      f"{sum(crawl.tickets.values())} ({crawl.tickets[200]} shown), answers {dict(crawl.statuses)}")
        failures += [f"{username}: {line}" for line in crawl.failures]
    report.append(f"{len(numbers)} tickets, {len(roles)} roles, {time.monotonic() - started:.1f} s crawling")
    print("\n" + "\n".join(report))
    assert not failures, "server errors:\n" + "\n".join(failures) + "\n\n" + "\n".join(report)
