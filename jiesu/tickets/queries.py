"""Read-side filters shared by the API list and the UI list, so both filter the same way."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Q, Value, When

from jiesu.core import clock
from jiesu.core.errors import PermissionDenied, ValidationFailed
from jiesu.core.validators import DATE_FORMAT_MESSAGE, normalize_phone, parse_day
from jiesu.directory.models import Department
from jiesu.directory.permissions import has_perm
from jiesu.directory.services import subtree_ids
from jiesu.sla.services import Status as SlaStatus
from jiesu.sla.services import status_q as sla_status_q

from . import search
from .models import Channel, Kind
from .workflow import State


@dataclass
class TicketFilter:
    state: str = ""
    department: str = ""
    category: str = ""
    kind: str = ""
    channel: str = ""
    region: str = ""
    created_from: str = ""
    created_to: str = ""
    q: str = ""
    sla: str = ""  # normal / warning / overdue: the worst running time-limit clock
    todo: str = ""  # a 我的待办 worklist of the reader (tickets.worklists)

    @classmethod
    def from_mapping(cls, data) -> "TicketFilter":
        # NUL would make PostgreSQL reject the query; it is never part of a real search.
        return cls(
            **{name: str(data.get(name) or "").replace("\x00", "").strip() for name in cls.__dataclass_fields__}
        )


def _day_start(value: str, name: str) -> datetime:
    day = parse_day(value)
    if day is None:
        raise ValidationFailed({name: f"日期{DATE_FORMAT_MESSAGE}"})
    return clock.start_of_day(day)


MAX_WORDS = 8


def apply_filter(queryset, f: TicketFilter, user=None):
    """The list's filters. `user` is who searches: caller names and phones are searched only for those who may
    see them."""
    errors = {}
    for name, choices in (("state", State), ("kind", Kind), ("channel", Channel)):
        value = getattr(f, name)
        if value and value not in choices.values:
            errors[name] = f"取值无效：{value}"
    if f.sla and f.sla not in SlaStatus.LABELS:
        errors["sla"] = f"取值无效：{f.sla}（normal、warning、overdue）"
    if errors:
        raise ValidationFailed(errors)
    if f.todo:
        from .worklists import q_for

        queryset = queryset.filter(q_for(user, f.todo))
    if f.sla:
        queryset = queryset.filter(sla_status_q(f.sla, clock.now()))
    if f.state:
        queryset = queryset.filter(state=f.state)
    if f.kind:
        queryset = queryset.filter(kind=f.kind)
    if f.channel:
        queryset = queryset.filter(channel=f.channel)
    if f.department:
        department = Department.objects.filter(code=f.department).first()
        if department is None:
            raise ValidationFailed({"department": f"承办单位不存在：{f.department}"})
        queryset = queryset.filter(department_id__in=subtree_ids(department))
    if f.category:  # the category or any category below it (three levels at most)
        queryset = queryset.filter(
            Q(category__code=f.category)
            | Q(category__parent__code=f.category)
            | Q(category__parent__parent__code=f.category)
        )
    if f.region:
        queryset = queryset.filter(
            Q(region__code=f.region) | Q(region__parent__code=f.region) | Q(region__parent__parent__code=f.region)
        )
    if f.created_from:
        queryset = queryset.filter(created_at__gte=_day_start(f.created_from, "created_from"))
    if f.created_to:
        queryset = queryset.filter(created_at__lt=_day_start(f.created_to, "created_to") + timedelta(days=1))
    if f.q:
        queryset = queryset.filter(search_q(f.q, user))
    return queryset


_PHONE_LIKE = re.compile(r"^[+\d][\d\s()（）-]{3,}$")


def search_q(text: str, user=None) -> Q:
    """工单查询's keywords: every word must match (several words narrow the search). A word matches a ticket's
    number, title, content or address; for readers who may see callers (ticket.view_caller) also the caller's name,
    or the phone (the whole number, or its last four digits)."""
    callers = user is not None and has_perm(user, "ticket.view_caller")
    condition, terms = Q(), []
    words = text.split()  # str.split() splits on the full-width space too
    if len(words) > MAX_WORDS:
        raise ValidationFailed({"q": f"关键词最多 {MAX_WORDS} 个（用空格分开），请减少后再查"})
    for word in words:
        match = Q(number=word) | Q(title__icontains=word) | Q(content__icontains=word) | Q(address__icontains=word)
        forms = [word]
        if callers:
            match |= Q(caller_name__icontains=word)
            phone = normalize_phone(word)  # as stored: 13812345678, 010-62345678
            digits = phone.replace("-", "")
            if _PHONE_LIKE.match(word) and digits.isdigit():
                match |= (Q(caller_phone__endswith=digits) if len(digits) == 4
                          else Q(caller_phone__contains=phone) | Q(caller_phone__contains=digits))
                forms += [phone, digits]
        condition &= match
        terms.append(search.term(forms))
    narrowed = search.narrowing(terms)  # PostgreSQL's index: a superset of the matches, never fewer
    return condition if narrowed is None else narrowed & condition




@dataclass
class CallerHistory:
    phone: str
    count: int
    recent: list  # tickets, open ones first, then newest


def caller_history(user, phone: str, *, limit: int = 5) -> CallerHistory | None:
    """来电弹屏: the caller's earlier tickets for the operator taking the call — how many, and the latest `limit`,
    open ones first. Only for those who may see callers (ticket.view_caller), within what they may see; None for
    a number too short to be a phone."""
    from .models import Ticket
    from .workflow import OPEN_STATES

    if not has_perm(user, "ticket.view_caller"):
        raise PermissionDenied("您无权查看来电人的历史诉求", code="action_forbidden")
    phone = normalize_phone(phone or "")
    if len(phone.replace("-", "")) < 7 or not phone.replace("-", "").isdigit():
        return None
    tickets = Ticket.objects.visible_to(user).filter(caller_phone=phone)
    recent = (
        tickets.annotate(open_first=Case(When(state__in=list(OPEN_STATES), then=Value(0)), default=Value(1)))
        .select_related("department")
        .order_by("open_first", "-created_at", "-id")[:limit]
    )
    return CallerHistory(phone=phone, count=tickets.count(), recent=list(recent))
