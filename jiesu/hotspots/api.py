"""Duplicates and hotspots over the API: similar requests for a text being registered, and the hotspot list
for any period (the same as `jiesu hotspots report`)."""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from jiesu.core import clock
from jiesu.core.errors import PermissionDenied
from jiesu.core.schemas import choice
from jiesu.core.validators import Day
from jiesu.directory.permissions import has_perm
from jiesu.tickets.workflow import State

from . import detect, services

router = Router(tags=["重复诉求与热点"])


class SimilarIn(Schema):
    title: str | None = None
    content: str | None = None
    address: str | None = None
    region: str | None = None
    category: str | None = None
    lat: float | None = None
    lng: float | None = None
    caller_phone: str | None = None


class SimilarOut(Schema):
    number: str
    title: str
    state: choice(State)
    state_label: str
    department: str
    created_at: datetime
    score: float
    flagged: bool  # 疑似重复 (score ≥ JIESU_DUPLICATE_FLAG); otherwise only similar
    same_caller: bool
    reasons: list[str]


class HotspotsIn(Schema):
    start: Day  # 开始日期
    end: Day  # 结束日期（含当天）
    baseline_days: int = Field(services.BASELINE_DAYS, ge=0, le=366)
    min_count: int = Field(detect.MIN_COUNT, ge=2, le=10_000)
    limit: int = Field(20, ge=1, le=100)


class HotspotOut(Schema):
    rank: int
    topic: str
    place: str
    problem: str
    count: int
    baseline: int
    growth: float | None  # null: 新出现 (nothing in the baseline period)
    support: int
    heat: float
    regions: list[str]
    first_seen: datetime
    last_seen: datetime
    tickets: list[str]  # representative ticket numbers


@router.post("/similar", response=list[SimilarOut], summary="相似诉求（登记时查重）",
             description="与未办结及近 JIESU_DUPLICATE_WINDOW_DAYS 天内登记的诉求比对，按相似度从高到低；"
                         "只列出您有权查看的工单。")
def similar(request, payload: SimilarIn):
    if not (has_perm(request.user, "ticket.create") or has_perm(request.user, "ticket.dispatch")):
        raise PermissionDenied("您无权查询相似诉求", code="similar_forbidden")
    text = "\n".join(p for p in (payload.title, payload.content, payload.address) if p)[:10_000]
    if not text.strip():
        return []
    place = services.place_from_codes(region=payload.region or "", category=payload.category or "",
                                      lat=payload.lat, lng=payload.lng, phone=payload.caller_phone or "")
    return [
        {"number": c.number, "title": c.title, "state": c.state, "state_label": c.state_label,
         "department": c.department, "created_at": c.created_at, "score": round(c.score, 4), "flagged": c.flagged,
         "same_caller": c.same_caller, "reasons": c.reasons}
        for c in services.find_for_text(text, place, user=request.user)
    ]


@router.get("", response=list[HotspotOut], summary="热点排行",
            description="时段内同一事项反复出现的诉求，按热度排序；与此前 baseline_days 天对比增长。")
def hotspots(request, params: Query[HotspotsIn]):
    if not has_perm(request.user, "hotspots.view"):
        raise PermissionDenied("您无权查看热点", code="hotspots_forbidden")
    start, end = clock.day_range(params.start, params.end)
    found = services.find_hotspots(start, end, baseline_days=params.baseline_days, min_count=params.min_count,
                                   limit=params.limit)
    return [services.hotspot_row(rank, f) for rank, f in enumerate(found, start=1)]
