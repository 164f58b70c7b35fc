"""考核指标 over the API: the same slices and figures as the dashboard."""

from datetime import date

from ninja import Query, Router, Schema
from pydantic import create_model

from jiesu.core.schemas import choice
from jiesu.tickets.models import Channel, Kind

from . import services
from .definitions import COUNTS, RATES

router = Router(tags=["考核指标"])


class SliceIn(Schema):
    # Choices take the code; empty is the same as absent (this month, every channel and kind).
    period: choice(services.PERIODS, blank=True) | None = None  # day…year with `at`, or custom with start/end
    at: str | None = None
    start: str | None = None
    end: str | None = None
    department: str | None = None
    region: str | None = None
    category: str | None = None
    channel: choice(Channel, blank=True) | None = None
    kind: choice(Kind, blank=True) | None = None
    enterprise: choice(services.ENTERPRISE, blank=True) | None = None  # yes: 涉企诉求 only; no: the others


# Every count and rate is always there, by the names definitions.py gives them; a rate is null with nothing to count.
CountsOut = create_model("CountsOut", __base__=Schema, **{name: (int, ...) for name in COUNTS})
RatesOut = create_model("RatesOut", __base__=Schema, **{name: (float | None, ...) for name in [*RATES, "score"]})


class Figures(Schema):
    counts: CountsOut
    rates: RatesOut


class SummaryOut(Figures):
    start: date
    end: date
    department: str | None


class RankingRow(Figures):
    rank: int | None
    department: str
    name: str


def _filters(request, params: SliceIn) -> services.Filters:
    raw = params.dict()
    raw["from"], raw["to"] = raw.pop("start"), raw.pop("end")
    return services.scoped(request.user, services.parse_filters({k: v for k, v in raw.items() if v}))


@router.get("/summary", response=SummaryOut, summary="指标汇总",
            description="计数：" + "、".join(f"{k}（{c.label}）" for k, c in COUNTS.items())
            + "；比率：" + "、".join(f"{k}（{r.label}）" for k, r in RATES.items()) + "、score（综合得分）。"
            "日期参数 start/end 为自定义区间（YYYY-MM-DD）。")
def summary(request, params: Query[SliceIn]):
    filters = _filters(request, params)
    figures = services.summary(filters)
    return {"start": filters.start, "end": filters.end,
            "department": filters.department.code if filters.department else None, **figures}


@router.get("/ranking", response=list[RankingRow], summary="单位排名")
def ranking(request, params: Query[SliceIn]):
    rows = services.ranking(_filters(request, params))
    return [{"rank": r["rank"], "department": r["member"].code, "name": r["label"], "counts": r["counts"],
             "rates": r["rates"]} for r in rows]
