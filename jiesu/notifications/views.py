from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from jiesu.core.errors import NotFound, ServiceError
from jiesu.tickets import worklists

from . import services
from .models import Channel, Event


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(services.listing(request.user, unread_only=unread_only), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {
        "page": page, "unread_only": unread_only, "query": "unread=1" if unread_only else "", "unread": services.unread_count(request.user)})


@login_required
def notification_open(request, pk: int):
    """Opening a notification marks it read and goes to its ticket."""
    try:
        notification = services.mark_read(request.user, pk)
    except NotFound:
        raise Http404 from None
    if notification.ticket is not None:
        return redirect("ticket_detail", number=notification.ticket.number)
    return redirect("notifications")


@login_required
@require_POST
def notification_read_all(request):
    n = services.mark_all_read(request.user)
    messages.success(request, f"已将 {n} 条通知标为已读" if n else "没有未读通知")
    return redirect("notifications")


@login_required
def badges(request):
    """The bell's and 我的待办's numbers, swapped into the menu by htmx (out of band) every few seconds."""
    unread = services.unread_count(request.user)
    todo = worklists.badge(request.user) if worklists.worklists_for(request.user) else 0
    html = render_to_string("notifications/_badges.html", {"unread": unread, "todo": todo}, request=request)
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def preferences(request):
    if request.method == "POST":
        choices = {e.value: request.POST.getlist(e.value) for e in Event}
        try:
            services.set_preferences(request.user, choices)
        except ServiceError as exc:
            messages.error(request, "；".join(dict.fromkeys(exc.fields.values())) or exc.message)
        else:
            messages.success(request, "通知方式已保存")
            return redirect("notification_preferences")
    chosen = services.preferences(request.user)
    staff = getattr(request.user, "staff", None)
    rows = [{"event": e, "channels": [(c, c.value in chosen[e.value]) for c in services.EXTERNAL]} for e in Event]
    return render(request, "notifications/preferences.html", {
        "rows": rows, "channels": [Channel(c) for c in services.EXTERNAL],
        "phone": staff.phone if staff else "", "email": request.user.email,
        "webhook": bool(settings.JIESU_NOTIFY_WEBHOOK_URL), "quiet": settings.JIESU_QUIET_HOURS})
