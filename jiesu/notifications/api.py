"""Notifications over the API (the signed-in user's own), and 我的待办's counts."""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from jiesu.core.schemas import choice
from jiesu.tickets import worklists

from . import services
from .models import Event

router = Router(tags=["通知"])
todo_router = Router(tags=["我的待办"])


class NotificationOut(Schema):
    id: int
    event: choice(Event)
    event_label: str
    title: str
    body: str
    ticket: str | None  # 工单编号
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class ListParams(Schema):
    unread: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


def _out(n) -> dict:
    return {"id": n.pk, "event": n.event, "event_label": n.get_event_display(), "title": n.title, "body": n.body,
            "ticket": n.ticket.number if n.ticket_id else None, "created_at": n.created_at, "read_at": n.read_at}


@router.get("", response=NotificationPage, summary="我的通知（新的在前）")
def list_notifications(request, params: Query[ListParams]):
    queryset = services.listing(request.auth, unread_only=params.unread)
    items = queryset[params.offset:params.offset + params.limit]
    return {"count": queryset.count(), "unread": services.unread_count(request.auth), "items": [_out(n) for n in items]}


@router.get("/unread-count", response=UnreadOut, summary="未读通知条数")
def unread_count(request):
    return {"unread": services.unread_count(request.auth)}


@router.post("/{int:notification_id}/read", response=NotificationOut, summary="标为已读")
def mark_read(request, notification_id: int):
    return _out(services.mark_read(request.auth, notification_id))


@router.post("/read-all", response=MarkedOut, summary="全部标为已读")
def mark_all_read(request):
    return {"marked": services.mark_all_read(request.auth)}


class TodoOut(Schema):
    code: str
    label: str
    role: str
    count: int
    normal: int | None  # for lists split by time limit (正常/临期/超期)
    warning: int | None
    overdue: int | None
    link: str  # the page listing exactly these tickets


class TodoPage(Schema):
    badge: int  # what needs the reader now (the menu's number)
    lists: list[TodoOut]


@todo_router.get("", response=TodoPage, summary="我的待办：各清单的工单数")
def todo(request):
    user = request.auth
    found = worklists.counts(user)
    lists = []
    for w in worklists.worklists_for(user):
        split = {s: (found.get(f"{w.code}.{s}", 0) if w.split else None) for s in worklists.SPLITS}
        lists.append({"code": w.code, "label": w.label, "role": w.role, "count": found.get(w.code, 0), **split,
                      "link": f"/tickets/?todo={w.code}"})
    return {"badge": worklists.badge(user, found), "lists": lists}
