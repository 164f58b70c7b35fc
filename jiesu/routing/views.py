"""The intake form's live suggestions (htmx partial) and the dispatch queue's accept-all."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

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


@login_required
@require_POST
def accept_confident(request):
    """派单台: dispatch every waiting ticket whose stored prediction is at least as confident as asked."""
    if not has_perm(request.user, "ticket.dispatch"):
        raise Http404
    try:
        minimum = min(1.0, max(0.0, float(request.POST.get("minimum", "0.8"))))
    except ValueError:
        minimum = 0.8
    if not request.POST.get("confirm"):  # first show what would be sent where, and what is held back
        plan = services.confident_plan(request.user, minimum)
        return render(request, "routing/confirm.html", {
            "minimum": minimum, "ready": [r for r in plan if not r.held], "held": [r for r in plan if r.held]})
    done, failed = services.accept_confident(request.user, minimum, numbers=request.POST.getlist("number"))
    messages.success(request, f"已按智能派单建议派出 {done} 件（置信度 ≥ {minimum:.0%}）")
    for number, error in failed:
        messages.error(request, f"{number}：{error}")
    return redirect("dispatch_queue")
