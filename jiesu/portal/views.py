"""Public pages (no staff login). Thin: the rules are in services and core.ratelimit."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from jiesu.core import ratelimit

from . import services


@require_http_methods(["GET", "POST"])
def track(request):
    """进度查询: ticket number + 查询码. Works without JavaScript. Limited per address and per number, so a 6-digit
    查询码 cannot be guessed; a wrong code and an unknown number get the same answer."""
    context = {"number": "", "found": None, "error": ""}
    if request.method == "GET":
        context["number"] = request.GET.get("number", "").strip()[:20]
        return render(request, "portal/track.html", context)
    number = request.POST.get("number", "").strip()[:20]
    code = request.POST.get("code", "").strip()
    context["number"] = number
    per_hour = settings.JIESU_TRACK_LIMITS
    if not (ratelimit.hit(f"track:ip:{ratelimit.client_address(request)}", per_hour[0], 3600)
            and ratelimit.hit(f"track:no:{number}", per_hour[1], 3600)):
        context["error"] = "查询过于频繁，请一小时后再试；如有急事请拨打12345。"
        return render(request, "portal/track.html", context, status=429)
    if not number or not code:
        context["error"] = "请输入工单编号和查询码。"
        return render(request, "portal/track.html", context, status=400)
    found = services.track(number, code)
    if found is None:
        context["error"] = "未查到与该工单编号和查询码相符的诉求，请核对受理短信中的编号和查询码。"
        return render(request, "portal/track.html", context, status=404)
    context["found"] = found
    return render(request, "portal/track.html", context)
