from ninja import Router, Schema

from jiesu.core.errors import PermissionDenied
from jiesu.directory.models import Region
from jiesu.directory.permissions import has_perm

from . import services

router = Router(tags=["智能派单"])


class SuggestIn(Schema):
    text: str | None = None
    region: str | None = None


class SuggestionOut(Schema):
    label: str
    name: str
    probability: float
    department: str | None
    department_name: str | None


class SuggestOut(Schema):
    judgeable: bool
    label: str  # the best suggestion's name, or 无法判断
    confidence: float
    suggestions: list[SuggestionOut]
    terms: list[str]
    model: int | None


def route_out(result: services.Route) -> dict:
    return {
        "judgeable": result.judgeable,
        "label": result.label,
        "confidence": result.confidence,
        "suggestions": [
            {"label": s["label"], "name": s["name"], "probability": s["probability"],
             "department": s["department"].code if s["department"] else None,
             "department_name": s["department"].name if s["department"] else None}
            for s in result.suggestions
        ],
        "terms": result.terms,
        "model": result.model.pk if result.model else None,
    }


@router.post("/suggest", response=SuggestOut, summary="按诉求内容推荐分类与承办单位（前三）")
def suggest(request, payload: SuggestIn):
    if not (has_perm(request.auth, "ticket.create") or has_perm(request.auth, "ticket.dispatch")):
        raise PermissionDenied("您无权使用智能派单", code="action_forbidden")
    region = Region.objects.filter(code=(payload.region or "").strip()).first()
    # Long pastes are cut by the text hygiene; nothing the caller sends makes this fail.
    return route_out(services.route((payload.text or "")[:100_000], region))
