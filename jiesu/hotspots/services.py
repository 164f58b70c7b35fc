"""Duplicates (疑似重复, 重复来电), the look-up index behind them, and the business actions of the hotspots
app. Views, the API, the commands, the ticket services and the tests call these.

A new ticket is compared with the open tickets and those created within JIESU_DUPLICATE_WINDOW_DAYS:
candidates come from the look-up keys they share (DuplicateKey), then each is scored on its text, place,
region, coordinates and category (`score`). docs/hotspots.md gives every rule and its measured quality.
"""

import functools
import math
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from jiesu.core import clock, inserts
from jiesu.core.errors import NotFound, PermissionDenied, ValidationFailed
from jiesu.core.validators import DATE_FORMAT_MESSAGE, normalize_phone, parse_day
from jiesu.directory.models import Department
from jiesu.directory.permissions import has_perm
from jiesu.directory.snapshot import directory
from jiesu.tickets import access
from jiesu.tickets.models import Channel, Ticket
from jiesu.tickets.workflow import MERGEABLE_STATES, OPEN_STATES, State

from . import detect
from . import text as T
from .models import DuplicateKey, DuplicateMatch, GovernanceItem, GramCorpus, GramStat, Hotspot, HotspotRun

CANDIDATES = 30  # tickets sharing the most keys that are scored in full
MATCHES_KEPT = 5  # 疑似重复 stored per new ticket
STATS_SAMPLE = 200_000  # recent tickets the bigram statistics are counted over
STATS_KEEP_SHARE = 0.0005  # bigrams in fewer texts than this share are not stored (they count as rare)
_STATS_TTL = 60.0  # seconds a process trusts its cached statistics before checking for a refresh
# Compared however old: not answered yet, or answered and waiting for the caller's 回访.
LIVE_STATES = OPEN_STATES | {State.PENDING_CALLBACK}

# ------------------------------------------------------------------ statistics


_cache: dict = {"stats": None, "stamp": None, "checked": 0.0}


def invalidate() -> None:
    _cache.update(stats=None, stamp=None, checked=0.0)
    _SIGNATURES.clear()


def stats() -> T.GramStats:
    """The bigram statistics, cached per process and reloaded when `refresh` has written new ones."""
    now = time.monotonic()
    if _cache["stats"] is not None and now - _cache["checked"] < _STATS_TTL:
        return _cache["stats"]
    corpus = GramCorpus.objects.first()
    stamp = corpus.refreshed_at if corpus else None
    if _cache["stats"] is None or stamp != _cache["stamp"]:
        df = dict(GramStat.objects.values_list("gram", "df")) if corpus else {}
        _cache["stats"] = T.GramStats(docs=corpus.docs if corpus else 0, df=df)
        _cache["stamp"] = stamp
    _cache["checked"] = now
    return _cache["stats"]


def count_grams(texts) -> tuple[int, Counter]:
    """Document frequency of every bigram hash over `texts`."""
    df: Counter = Counter()
    docs = 0
    for text in texts:
        df.update({T.gram_hash(g) for g in T.bigrams(T.normalize(text))})
        docs += 1
    return docs, df


def window_start(now: datetime | None = None) -> datetime:
    return (now or clock.now()) - timedelta(days=settings.JIESU_DUPLICATE_WINDOW_DAYS)


@transaction.atomic
def save_statistics(texts) -> int:
    """Count the bigrams of `texts` and store the common ones as the statistics every process then uses.
    Returns the number of texts."""
    docs, df = count_grams(texts)
    keep = max(3, math.ceil(STATS_KEEP_SHARE * docs))
    GramStat.objects.all().delete()
    GramStat.objects.bulk_create((GramStat(gram=h, df=n) for h, n in df.items() if n >= keep), batch_size=5000)
    corpus = GramCorpus.objects.first() or GramCorpus()
    corpus.docs, corpus.refreshed_at = docs, clock.now()
    corpus.save()
    invalidate()
    return docs


@transaction.atomic
def refresh(*, sample: int = STATS_SAMPLE, rekey: bool = False) -> dict:
    """Recount the bigram statistics over the most recent `sample` tickets, and drop look-up keys of tickets
    that left the window (closed or invalid, and created before it). With `rekey`, rebuild every kept key
    under the new statistics (slow on a large window; keys chosen under older statistics still match)."""
    texts = (
        ticket_text(t) for t in Ticket.objects.order_by("-id").only("title", "content", "address")[:sample].iterator(
            chunk_size=2000
        )
    )
    docs = save_statistics(texts)
    cutoff = window_start()
    # Without a join (the ORM would delete through a self-join subquery, which PostgreSQL could plan badly on
    # fresh statistics): keys from before the window of tickets no longer live.
    settled = Ticket.objects.exclude(state__in=LIVE_STATES).values("pk")
    gone = DuplicateKey.objects.filter(created_at__lt=cutoff, ticket_id__in=settled)
    pruned, _ = gone.delete()
    rekeyed = 0
    if rekey:
        DuplicateKey.objects.all().delete()
        live = Ticket.objects.filter(Q(created_at__gte=cutoff) | Q(state__in=LIVE_STATES))
        batch = []
        for ticket in live.only("title", "content", "address", "created_at").iterator(chunk_size=2000):
            batch.extend(_keys(ticket, T.signature(ticket_text(ticket), stats())))
            rekeyed += 1
            if len(batch) >= 10_000:
                DuplicateKey.objects.bulk_create(batch)
                batch = []
        DuplicateKey.objects.bulk_create(batch)
    return {"docs": docs, "common_bigrams": GramStat.objects.count(), "pruned_keys": pruned, "rekeyed": rekeyed}


# ------------------------------------------------------------------ duplicates


def text_of(title: str, content: str, address: str) -> str:
    """What a ticket says, for comparing: title (often the matter in brief), content and address."""
    return "\n".join(part for part in (title, content, address) if part)


def ticket_text(ticket) -> str:
    return text_of(ticket.title, ticket.content, ticket.address)


def _keys(ticket, signature: T.Signature) -> list[DuplicateKey]:
    return [DuplicateKey(key=k, ticket_id=ticket.pk, created_at=ticket.created_at) for k in signature.keys]


@dataclass
class Place:
    """Where a request is, as far as the ticket says: region (and its parent), coordinates, category."""

    region_id: int | None = None
    region_parent_id: int | None = None
    lat: float | None = None
    lng: float | None = None
    category_id: int | None = None
    category_root_id: int | None = None
    phone: str = ""


@dataclass
class Candidate:
    ticket_id: int
    number: str
    title: str
    state: str
    state_label: str
    department: str
    created_at: datetime
    reply_text: str
    score: float
    reasons: list[str] = field(default_factory=list)
    same_caller: bool = False
    readable: bool = True  # may the person registering the request open it (find's `reader`)

    @property
    def flagged(self) -> bool:
        return self.score >= settings.JIESU_DUPLICATE_FLAG


def _distance_m(a: Place, b: Place) -> float | None:
    if None in (a.lat, a.lng, b.lat, b.lng):
        return None
    # Equirectangular: exact enough within a city.
    x = math.radians(b.lng - a.lng) * math.cos(math.radians((a.lat + b.lat) / 2))
    y = math.radians(b.lat - a.lat)
    return 6_371_000 * math.hypot(x, y)


# How each fact moves the text similarity (docs/hotspots.md).
NEAR_M, FAR_M = 300, 2000
ADJUST = {
    "near": 0.1, "far": -0.15, "same_region": 0.0, "other_region": -0.1,
    "same_category": 0.05, "other_category": -0.1,
}


def score(a: T.Signature, pa: Place, b: T.Signature, pb: Place) -> tuple[float, list[str]]:
    """Similarity of two requests (0–1) and the reasons, in Chinese, for the people who read it."""
    value = T.text_similarity(a, b)
    reasons = [f"文本相似度 {value:.0%}"]
    common = [min(x, y, key=len) for x in a.places for y in b.places if x in y or y in x]
    if common:
        reasons.append(f"同一地点：{common[0]}")
    distance = _distance_m(pa, pb)
    if distance is not None and distance <= NEAR_M:
        value += ADJUST["near"]
        reasons.append(f"相距约 {distance:.0f} 米")
    elif distance is not None and distance > FAR_M:
        value += ADJUST["far"]
        reasons.append(f"相距 {distance / 1000:.1f} 公里")
    if pa.region_id and pb.region_id:
        if pa.region_id == pb.region_id:
            value += ADJUST["same_region"]
            reasons.append("同一区划")
        elif pa.region_parent_id != pb.region_parent_id or not pa.region_parent_id:
            value += ADJUST["other_region"]
            reasons.append("区划不同")
    if pa.category_id and pb.category_id:
        if pa.category_id == pb.category_id:
            value += ADJUST["same_category"]
            reasons.append("同一分类")
        elif pa.category_root_id != pb.category_root_id:
            value += ADJUST["other_category"]
            reasons.append("分类不同")
    return max(0.0, min(1.0, value)), reasons


def _coordinate(value, limit: float) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) and abs(x) <= limit else None


def _place_of(row: dict) -> Place:
    """A stored ticket's Place from the values `find` reads and the directory in memory (no further queries)."""
    d = directory()
    region = d.regions.get(row["region_id"])
    category = d.categories.get(row["category_id"])
    root = category
    while root is not None and root.parent_id:
        root = d.categories.get(root.parent_id)
    return Place(
        region_id=row["region_id"], region_parent_id=region.parent_id if region else None,
        lat=_coordinate(row["lat"], 90), lng=_coordinate(row["lng"], 180),
        category_id=row["category_id"], category_root_id=root.pk if root else None, phone=row["caller_phone"] or "",
    )


def _place(region, category, lat, lng, phone: str) -> Place:
    root = category
    while root is not None and root.parent_id:
        root = root.parent
    return Place(
        region_id=region.pk if region else None, region_parent_id=region.parent_id if region else None,
        lat=_coordinate(lat, 90), lng=_coordinate(lng, 180),
        category_id=category.pk if category else None, category_root_id=root.pk if root else None, phone=phone,
    )


def place_of(ticket) -> Place:
    return _place(ticket.region, ticket.category, ticket.lat, ticket.lng, ticket.caller_phone)


def place_from_codes(*, region: str = "", category: str = "", lat=None, lng=None, phone: str = "") -> Place:
    """A Place from what a form or an API call gives: codes, coordinates, a phone number."""
    d = directory()
    return _place(
        d.region((region or "").strip()) if region else None,
        d.category((category or "").strip(), active=False) if category else None,
        lat, lng, normalize_phone(phone or ""),
    )


_COLUMNS = ("id", "number", "title", "content", "address", "state", "created_at", "closed_at", "reply_text",
            "caller_phone", "lat", "lng", "region_id", "category_id", "department_id", "created_by_id", "channel")


@functools.cache
def _candidate_sql(keys: int, vendor: str) -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {', '.join(f't.{quote(c)}' for c in _COLUMNS)} FROM {Ticket._meta.db_table} t "
        f"WHERE t.{quote('id')} IN (SELECT k.{quote('ticket_id')} FROM {DuplicateKey._meta.db_table} k "
        f"WHERE k.{quote('key')} IN ({', '.join(['%s'] * keys)}) AND k.{quote('ticket_id')} <> %s "
        f"GROUP BY k.{quote('ticket_id')} ORDER BY COUNT(*) DESC, k.{quote('ticket_id')} DESC LIMIT %s) "
        f"AND t.{quote('state')} <> %s AND t.{quote('channel')} <> %s"
    )


def candidate_rows(signature: T.Signature, *, exclude: int | None = None) -> list[dict]:
    """The valid tickets sharing the most look-up keys with the signature (at most CANDIDATES, most shared keys
    first), with what scoring them needs. One statement answered from the (key, ticket) index, written here as SQL
    (composed once per key count) because it is the busiest read of intake and the ORM took longer to compose it
    than the database to answer it. The window is kept by `refresh` deleting old keys and `find` skipping tickets
    that left it."""
    with connection.cursor() as cursor:
        cursor.execute(_candidate_sql(len(signature.keys), connection.vendor),
                       [*signature.keys, exclude if exclude is not None else -1, CANDIDATES, State.INVALID,
                        Channel.PETITION])  # 信访事项: never a 疑似重复 or 重复来电 of anything (docs/channels.md)
        rows = [dict(zip(_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["created_at"], row["closed_at"] = clock.from_column(row["created_at"]), clock.from_column(row["closed_at"])
    return rows


_SIGNATURES: OrderedDict = OrderedDict()
_SIGNATURES_KEPT = 20_000  # a popular matter's tickets are compared again and again: keep their signatures


def stored_signature(ticket_id: int, text: str) -> T.Signature:
    """The signature of a stored ticket's text, from a per-process cache (texts never change after
    registration; the statistics they were weighed with are part of the key)."""
    key = (ticket_id, _cache["stamp"])
    signature = _SIGNATURES.get(key)
    if signature is None:
        signature = T.signature(text, stats())
        _SIGNATURES[key] = signature
        if len(_SIGNATURES) > _SIGNATURES_KEPT:
            _SIGNATURES.popitem(last=False)
    else:
        _SIGNATURES.move_to_end(key)
    return signature


def find(signature: T.Signature, place: Place, *, exclude: int | None = None, now: datetime | None = None,
         limit: int = MATCHES_KEPT, minimum: float | None = None, user=None, reader=None) -> list[Candidate]:
    """The most similar open or recent tickets, best first, at least `minimum` similar (JIESU_DUPLICATE_SHOW).
    With `user`, only tickets that user may open (tickets.access); without, all (the stored matches), and with
    `reader` each marked whether that user may open it. One query."""
    if not signature.keys:
        return []
    minimum = settings.JIESU_DUPLICATE_SHOW if minimum is None else minimum
    cutoff = window_start(now)
    rows = candidate_rows(signature, exclude=exclude)
    if user is not None:
        shown = access.readable_among(user, rows)
        rows = [r for r in rows if r["id"] in shown]
    readable = access.readable_among(reader, rows) if reader is not None else None
    departments = directory().departments
    found = []
    for row in rows:
        if row["closed_at"] and row["closed_at"] < cutoff:
            continue
        other = stored_signature(row["id"], text_of(row["title"], row["content"], row["address"]))
        other_place = _place_of(row)
        value, reasons = score(signature, place, other, other_place)
        same_caller = bool(place.phone) and place.phone == other_place.phone
        if same_caller:
            reasons.append("同一来电号码")
        if value < minimum:
            continue
        department = departments.get(row["department_id"])
        found.append(Candidate(
            ticket_id=row["id"], number=row["number"], title=row["title"], state=row["state"],
            state_label=State(row["state"]).label, department=department.name if department else "",
            created_at=row["created_at"], reply_text=row["reply_text"], score=value, reasons=reasons,
            same_caller=same_caller, readable=readable is None or row["id"] in readable,
        ))
    found.sort(key=lambda c: (-c.score, -c.ticket_id))
    return found[:limit]


def find_for_text(text: str, place: Place, **kwargs) -> list[Candidate]:
    """While the operator types: candidates for a text not yet registered (pass `user`: shown to someone)."""
    return find(T.signature(text, stats()), place, **kwargs)


@dataclass
class Lookup:
    """What the duplicate look-up found for a request about to be registered."""

    signature: T.Signature
    candidates: list[Candidate]

    @property
    def repeat(self) -> Candidate | None:
        """The best match from the same phone number: the request is a 重复来电 of it."""
        return next((c for c in self.candidates if c.same_caller), None)


def look_up(ticket, *, reader=None) -> Lookup:
    """Before the ticket is written (read-only, outside the write transaction): its signature and its likely
    duplicates, each marked whether `reader` (who registers it) may open it."""
    signature = T.signature(ticket_text(ticket), stats())
    return Lookup(signature, find(signature, place_of(ticket), now=ticket.created_at, reader=reader))


def record(ticket, found: Lookup) -> None:
    """Inside the transaction that writes the ticket: its look-up keys and its 疑似重复 (two inserts)."""
    inserts.insert_rows(DuplicateKey, [
        {"key": k, "ticket_id": ticket.pk, "created_at": ticket.created_at} for k in found.signature.keys
    ])
    inserts.insert_rows(DuplicateMatch, [
        {"ticket_id": ticket.pk, "other_id": c.ticket_id, "score": round(c.score, 4), "reasons": c.reasons,
         "same_caller": c.same_caller}
        for c in found.candidates
    ])


# The lifecycle observer (tickets.lifecycle; registered in apps.py).


def prepare_registration(draft, actor) -> Lookup:
    """Before a new ticket is written: its likely duplicates; the same phone on the same matter makes it a
    重复来电 of the best such match (set on the draft, so it is written with the ticket)."""
    if draft.channel == Channel.PETITION:
        return None  # 信访事项 stay out of the look-up both ways: seen only by those who handle them
    found = look_up(draft, reader=actor)
    if found.repeat is not None:
        draft.repeat_of_id = found.repeat.ticket_id
    return found


def registered(ticket, found: Lookup | None, actor) -> dict | None:
    """The new ticket is written: store its keys and matches; the answer names those the registering user may open."""
    if found is None:
        return None
    record(ticket, found)
    return {"duplicates": [c for c in found.candidates if c.readable]}


def _open_duplicates(tickets):
    return DuplicateMatch.objects.filter(ticket__in=tickets, score__gte=settings.JIESU_DUPLICATE_FLAG,
                                         other__state__in=MERGEABLE_STATES)


def has_open_duplicate(ticket) -> bool:
    """Whether a stored 疑似重复 (at or above JIESU_DUPLICATE_FLAG) of the ticket can still take it as a 子单: then
    a dispatcher should decide on 并单 before anyone dispatches it (智能派单 holds back)."""
    return _open_duplicates([ticket]).exists()


def with_open_duplicate(tickets) -> set[int]:
    """The ids of those of these tickets that has_open_duplicate() would hold back, in one query."""
    return set(_open_duplicates(tickets).values_list("ticket_id", flat=True))


def matches_of(tickets) -> dict[int, list[DuplicateMatch]]:
    """Stored 疑似重复 of these tickets whose other ticket can still take a 子单 (for the dispatch queue)."""
    out: dict[int, list[DuplicateMatch]] = {}
    for match in (
        DuplicateMatch.objects.filter(ticket__in=tickets, other__state__in=MERGEABLE_STATES)
        .select_related("other")
        .order_by("-score")
    ):
        out.setdefault(match.ticket_id, []).append(match)
    return out


# ------------------------------------------------------------------ hotspots

TRAILING_DAYS = 7
BASELINE_DAYS = 28


def _check_period(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationFailed({"to": "结束日期必须晚于开始日期"})
    if end - start > timedelta(days=366):
        raise ValidationFailed({"to": "一次最多检测一年"})


def items(start: datetime, end: datetime) -> list[detect.Item]:
    """Valid tickets created in [start, end) as detection items."""
    rows = (
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(state=State.INVALID).exclude(channel=Channel.PETITION)
        .values("id", "number", "title", "content", "address", "created_at", "region__name", "support",
                "caller_phone")
        .order_by("created_at", "id")
    )
    return [
        detect.Item(
            key=r["id"], ref=r["number"], text=text_of(r["title"], r["content"], r["address"]), at=r["created_at"],
            region=r["region__name"] or "", support=r["support"], caller=r["caller_phone"],
        )
        for r in rows.iterator(chunk_size=2000)
    ]


def find_hotspots(start: datetime, end: datetime, *, baseline_days: int = BASELINE_DAYS,
                  min_count: int = detect.MIN_COUNT, limit: int = 50) -> list[detect.Found]:
    """Hotspots among tickets created in [start, end), against the `baseline_days` before (0: no baseline)."""
    _check_period(start, end)
    if not 0 <= baseline_days <= 366:
        raise ValidationFailed({"baseline_days": "对比期应在 0–366 天之间"})
    if min_count < 2:
        raise ValidationFailed({"min_count": "热点至少应有 2 件诉求"})
    baseline_start = start - timedelta(days=baseline_days) if baseline_days else None
    pool = items(baseline_start or start, end)
    # Weights from the requests at hand: what every one of them says ("请有关部门处理") weighs little.
    docs, df = count_grams(item.text for item in pool)
    pool_stats = T.GramStats(docs=docs, df={h: n for h, n in df.items() if n >= 2})
    return detect.detect(pool, start, end, baseline_start, pool_stats, min_count=min_count, limit=limit)


@transaction.atomic
def save_run(kind: str, start: datetime, end: datetime, found: list[detect.Found], *, baseline_days: int,
             actor=None) -> HotspotRun:
    run = HotspotRun.objects.create(
        kind=kind, start=start, end=end, baseline_days=baseline_days, created_by=actor, created_at=clock.now(),
        tickets=Ticket.objects.filter(created_at__gte=start, created_at__lt=end).exclude(state=State.INVALID).count(),
    )
    for rank, f in enumerate(found, start=1):
        hotspot = Hotspot.objects.create(
            run=run, rank=rank, topic=f.topic[:200], place=f.place[:100], problem=f.problem[:100], count=f.count,
            baseline=f.baseline, growth=f.growth, support=min(f.support, 2_000_000_000), heat=round(f.heat, 2),
            regions=f.regions, first_seen=f.first_seen, last_seen=f.last_seen,
            representatives=[m.ref for m in f.representatives], callers=f.callers, one_caller=f.one_caller,
        )
        hotspot.tickets.set([m.key for m in f.members])
    return run


def _month_bounds(first: date) -> tuple[datetime, datetime]:
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return clock.day_range(first, last)


def detect_now(actor=None, *, now: datetime | None = None) -> tuple[HotspotRun, HotspotRun]:
    """What the nightly job (and the page's 重新检测) runs: the trailing week against the four weeks before,
    and last calendar month's most recurring problems (每月一题 candidates, ranked by how often they came)."""
    if actor is not None and not has_perm(actor, "hotspots.view"):
        raise PermissionDenied("您无权检测热点", code="hotspots_forbidden")
    now = now or clock.now()
    start = now - timedelta(days=TRAILING_DAYS)
    trailing = save_run(HotspotRun.Kind.TRAILING, start, now, find_hotspots(start, now), baseline_days=BASELINE_DAYS,
                        actor=actor)
    last_month = (clock.local_day(now).replace(day=1) - timedelta(days=1)).replace(day=1)
    month_start, month_end = _month_bounds(last_month)
    found = find_hotspots(month_start, month_end, baseline_days=0)
    found.sort(key=lambda f: (-f.count, -f.heat))  # recurring first
    monthly = save_run(HotspotRun.Kind.MONTHLY, month_start, month_end, found[:20], baseline_days=0, actor=actor)
    return trailing, monthly


def latest(kind: str) -> HotspotRun | None:
    return HotspotRun.objects.filter(kind=kind).first()


@transaction.atomic
def adopt(actor, hotspot_id: int, *, owner: str, due_date: str, title: str = "", description: str = "") -> GovernanceItem:
    """立为治理事项 (每月一题): a supervisor gives a recurring problem an owner and a due date."""
    if not has_perm(actor, "hotspots.adopt"):
        raise PermissionDenied("您无权将热点立为治理事项", code="hotspots_forbidden")
    hotspot = Hotspot.objects.select_related("run").filter(pk=hotspot_id).first()
    if hotspot is None:
        raise NotFound("热点不存在", code="hotspot_not_found")
    errors = {}
    department = Department.objects.filter(code=(owner or "").strip(), active=True).first()
    if department is None:
        errors["owner"] = "请选择牵头单位"
    due = parse_day(due_date)
    if due is None:
        errors["due_date"] = f"完成时限{DATE_FORMAT_MESSAGE}"
    elif due < clock.today():
        errors["due_date"] = "完成时限不能早于今天"
    title = (title or "").strip() or hotspot.topic
    if len(title) > 200:
        errors["title"] = "治理事项名称不能超过200字"
    if errors:
        raise ValidationFailed(errors)
    item = GovernanceItem.objects.create(
        title=title, description=(description or "").strip()[:5000], owner=department, due_date=due,
        month=timezone.localtime(hotspot.run.start).strftime("%Y-%m"), hotspot=hotspot, hotspot_topic=hotspot.topic,
        created_by=actor, created_at=clock.now(),
    )
    item.tickets.set(hotspot.tickets.all())
    return item


def finish(actor, item_id: int) -> GovernanceItem:
    if not has_perm(actor, "hotspots.adopt"):
        raise PermissionDenied("您无权变更治理事项", code="hotspots_forbidden")
    updated = GovernanceItem.objects.filter(pk=item_id).update(status=GovernanceItem.Status.DONE)
    if not updated:
        raise NotFound("治理事项不存在", code="governance_item_not_found")
    return GovernanceItem.objects.get(pk=item_id)


def hotspot_row(rank: int, found: detect.Found) -> dict:
    """One hotspot as plain data (command output, API)."""
    return {
        "rank": rank, "topic": found.topic, "place": found.place, "problem": found.problem, "count": found.count,
        "baseline": found.baseline, "growth": found.growth, "support": found.support, "heat": round(found.heat, 2),
        "regions": found.regions, "first_seen": found.first_seen, "last_seen": found.last_seen,
        "callers": found.callers, "one_caller": found.one_caller,
        "tickets": [m.ref for m in found.representatives],
    }
