"""Pages of the enterprise registry. For now: the look-up beside 统一社会信用代码 on 来电登记 (htmx)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from jiesu.core.errors import NotFound, ServiceError
from jiesu.directory.permissions import has_perm

from . import services


@login_required
def lookup(request):
    """The enterprise behind the code being typed: what the registry knows, and its name filled in when the
    operator has not typed one (an out-of-band swap of the name field)."""
    typed = "".join(request.GET.get("credit_code", "").split())
    if len(typed) < 18 or not has_perm(request.user, "enterprise.view"):
        return HttpResponse("")
    context = {"name_typed": request.GET.get("enterprise_name", "").strip()}
    try:
        context["enterprise"] = services.find(request.user, typed)
    except NotFound:
        context["unknown"] = True
    except ServiceError as exc:
        context["invalid"] = exc.detail or exc.message
    return render(request, "enterprise/_lookup.html", context)
