"""The intake form's live suggestions (htmx partial) and the dispatch queue's accept-all."""

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from jiesu.directory.models import Region
from jiesu.directory.permissions import has_perm

from . import services


@login_required
def suggest(request):
    if not (has_perm(request.user, "ticket.create") or has_perm(request.user, "ticket.dispatch")):
        raise Http404
    text = "。".join(request.GET.get(k, "") for k in ("title", "content"))[:100_000]
    region = Region.objects.filter(code=request.GET.get("region", "")).first()
    result = services.route(text, region) if text.strip("。 ") else None
    return render(request, "routing/_suggestions.html", {"result": result, "unknown": services.UNKNOWN})


def _minimum(value: str) -> float | None:
    """The confidence asked for, as a fraction: "80", "80%" and "0.8" all mean 80 %. None when it is not a number
    between the preselect threshold (below it the router is only guessing) and 100 %."""
    text = (value or "").strip().rstrip("%％").strip()
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    fraction = number / 100 if number > 1 else number
    return fraction if settings.JIESU_ROUTING_PRESELECT <= fraction <= 1 else None


@login_required
@require_http_methods(["GET", "POST"])
def accept_confident(request):
    """派单台: dispatch every waiting ticket whose stored prediction is at least as confident as asked, after the
    dispatcher has seen the list (a GET, e.g. a reload of the confirmation, goes back to the queue)."""
    if not has_perm(request.user, "ticket.dispatch"):
        raise Http404
    if request.method == "GET":
        return redirect("dispatch_queue")
    minimum = _minimum(request.POST.get("minimum", ""))
    if minimum is None:
        low = round(settings.JIESU_ROUTING_PRESELECT * 100)
        messages.error(request, f"置信度应为 {low}–100 之间的百分数（例如 80），低于 {low}% 的建议只供参考，请逐件派单")
        return redirect("dispatch_queue")
    if not request.POST.get("confirm"):  # first show what would be sent where, and what is held back
        plan = services.confident_plan(request.user, minimum)
        return render(request, "routing/confirm.html", {
            "minimum": minimum, "ready": [r for r in plan if not r.held], "held": [r for r in plan if r.held]})
    done, failed = services.accept_confident(request.user, minimum, numbers=request.POST.getlist("number"))
    messages.success(request, f"已按智能派单建议派出 {done} 件（置信度 ≥ {minimum:.0%}）")
    for number, error in failed:
        messages.error(request, f"{number}：{error}")
    return redirect("dispatch_queue")
