"""Ticket endpoints: create, list, detail with history, one POST per workflow action, attachments."""

from datetime import datetime
from typing import Annotated

from django.conf import settings
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, create_model

from jiesu.core import clock
from jiesu.sla import services as sla

from . import access, services
from .models import Ticket
from .queries import TicketFilter, apply_filter
from .workflow import Action

router = Router(tags=["工单"])


class Ref(Schema):
    code: str
    name: str


class TicketIn(Schema):
    # Everything optional at the schema level: the service checks and answers in Chinese.
    channel: str | None = None
    kind: str | None = None
    urgency: str | None = None
    title: str | None = None
    content: str | None = None
    caller_name: str | None = None
    caller_phone: str | None = None
    enterprise_name: str | None = None
    credit_code: str | None = None
    address: str | None = None
    region: str | None = None
    category: str | None = None
    lat: float | None = None
    lng: float | None = None
    support: int | None = None
    answer: str | None = None
    article: str | None = None  # 知识编号 the answer cites (即时办结 from the knowledge base)


class TicketOut(Schema):
    number: str
    channel: str
    channel_label: str
    kind: str
    kind_label: str
    urgency: str
    urgency_label: str
    state: str
    state_label: str
    title: str
    content: str
    caller_name: str
    caller_phone: str
    enterprise_name: str
    credit_code: str
    address: str
    region: Ref | None
    lat: float | None
    lng: float | None
    category: Ref | None
    department: Ref | None
    supervised: bool
    created_at: datetime
    updated_at: datetime
    dispatched_at: datetime | None
    signed_at: datetime | None
    replied_at: datetime | None
    callback_at: datetime | None
    closed_at: datetime | None
    is_complex: bool
    contacted_at: datetime | None
    sign_due_at: datetime | None
    contact_due_at: datetime | None
    reply_due_at: datetime | None
    callback_due_at: datetime | None
    sla_status: str | None  # worst running clock: normal / warning / overdue; null when no clock runs
    sla_clock: str | None  # which clock that is: sign / contact / reply / callback
    reply_text: str
    reply_result: str
    callback_status: str
    satisfaction: str
    resolved: bool | None
    merged_into: str | None  # 母单编号 when this ticket is a 子单
    repeat_of: str | None  # 重复来电: the same caller's earlier ticket about the same matter
    support: int


class DuplicateOut(Schema):
    number: str
    title: str
    state: str
    score: float
    flagged: bool  # 疑似重复 (score ≥ JIESU_DUPLICATE_FLAG); otherwise only similar
    same_caller: bool
    reasons: list[str]


class EventOut(Schema):
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor: str  # the person, or 系统（时限监控） for entries the time-limit sweep wrote
    by_system: bool
    actor_department: str | None
    department: Ref | None
    note: str
    data: dict
    created_at: datetime


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    purpose: str
    uploaded_at: datetime


class TicketDetailOut(TicketOut):
    allowed_actions: list[str]
    merged_children: list[str]
    duplicates: list[DuplicateOut]
    events: list[EventOut]
    attachments: list[AttachmentOut]


class TicketPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[TicketOut]


# Query parameters: the shared TicketFilter fields (one definition for the API and the pages) plus paging.
ListParams = create_model(
    "ListParams",
    __base__=Schema,
    **{name: (str, "") for name in TicketFilter.__dataclass_fields__},
    # Bounded, so that no page number can overflow the database's OFFSET (a 400, not a 500).
    page=(Annotated[int, Field(ge=1, le=1_000_000)], 1),
    page_size=(Annotated[int, Field(ge=1, le=100)], 20),
)


def _ref(obj) -> dict | None:
    if obj is None:
        return None
    name = obj.path_name if hasattr(obj, "path_name") else obj.name
    return {"code": obj.code, "name": name}


def ticket_out(t: Ticket) -> dict:
    worst = sla.worst_clock(t, clock.now())
    return {
        **{f: getattr(t, f) for f in TicketOut.model_fields if hasattr(t, f) and not f.endswith("_label")},
        "channel_label": t.get_channel_display(),
        "kind_label": t.get_kind_display(),
        "urgency_label": t.get_urgency_display(),
        "state_label": t.get_state_display(),
        "region": _ref(t.region),
        "category": _ref(t.category),
        "department": _ref(t.department),
        "lat": float(t.lat) if t.lat is not None else None,
        "lng": float(t.lng) if t.lng is not None else None,
        "sla_status": worst.status if worst else None,
        "sla_clock": worst.clock if worst else None,
        "merged_into": t.merged_into.number if t.merged_into_id else None,
        "repeat_of": t.repeat_of.number if t.repeat_of_id else None,
    }


def ticket_detail(t: Ticket, user) -> dict:
    events = t.events.select_related("actor", "actor_department", "department")
    return {
        **ticket_out(t),
        "allowed_actions": [tr.action.value for tr in access.actions_for(user, t)],
        "merged_children": list(t.merged_children.order_by("id").values_list("number", flat=True)),
        "duplicates": [
            {"number": m.other.number, "title": m.other.title, "state": m.other.state, "score": m.score,
             "flagged": m.score >= settings.JIESU_DUPLICATE_FLAG, "same_caller": m.same_caller, "reasons": m.reasons}
            for m in t.duplicate_matches.select_related("other")
        ],
        "events": [
            {
                "action": e.action,
                "action_label": e.action_label,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor": e.actor_label,
                "by_system": e.actor_id is None,
                "actor_department": e.actor_department.name if e.actor_department else None,
                "department": _ref(e.department),
                "note": e.note,
                "data": e.data,
                "created_at": e.created_at,
            }
            for e in events
        ],
        "attachments": list(t.attachments.values("id", "name", "size", "content_type", "purpose", "uploaded_at")),
    }


def _load(number: str, user) -> Ticket:
    return access.access_ticket(user, number)


@router.post("", response={201: TicketDetailOut}, summary="登记诉求")
def create_ticket(request, payload: TicketIn):
    ticket = services.create_ticket(actor=request.auth, data=payload.dict(exclude_none=True))
    return Status(201, ticket_detail(_load(ticket.number, request.auth), request.auth))


@router.get("", response=TicketPage, summary="工单列表与检索")
def list_tickets(request, params: Query[ListParams]):
    page_size, page = params.page_size, params.page
    queryset = Ticket.objects.visible_to(request.auth).select_related("region", "category", "department", "merged_into", "repeat_of")
    queryset = apply_filter(queryset, TicketFilter.from_mapping(params.dict()))
    # Category names show the full path; pull parents in the same query.
    queryset = queryset.select_related("category__parent__parent")
    count = queryset.count()
    rows = queryset[(page - 1) * page_size : page * page_size]
    return {"count": count, "page": page, "page_size": page_size, "results": [ticket_out(t) for t in rows]}


@router.get("/{number}", response=TicketDetailOut, summary="工单详情（含流转记录）")
def get_ticket(request, number: str):
    return ticket_detail(_load(number, request.auth), request.auth)


@router.post("/{number}/attachments", response={201: TicketDetailOut}, summary="上传附件")
def upload_attachment(request, number: str, file: UploadedFile = File(...), purpose: str = Form("request")):
    ticket = services.perform(number, Action.ATTACH, actor=request.auth, file=file, purpose=purpose)
    return Status(201, ticket_detail(ticket, request.auth))


class NoteIn(Schema):
    note: str | None = None


class DepartmentIn(NoteIn):
    department: str | None = None


class DispatchIn(DepartmentIn):
    category: str | None = None
    is_complex: bool | None = None


class ContactIn(NoteIn):
    method: str | None = None


class ReasonIn(Schema):
    reason: str | None = None


class InvalidateIn(ReasonIn, NoteIn):
    pass


class ExtensionIn(ReasonIn):
    due_at: str | None = None


class ReplyIn(Schema):
    reply_text: str | None = None
    result: str | None = None


class CallbackIn(NoteIn):
    status: str | None = None
    satisfaction: str | None = None
    resolved: bool | None = None


class InstantCloseIn(Schema):
    reply_text: str | None = None


class MergeIn(NoteIn):
    parent: str | None = None  # 母单编号


ACTION_SCHEMAS = {
    Action.INSTANT_CLOSE: InstantCloseIn,
    Action.DISPATCH: DispatchIn,
    Action.SIGN: NoteIn,
    Action.SUBDISPATCH: DepartmentIn,
    Action.RETURN: ReasonIn,
    Action.CONTACT: ContactIn,
    Action.REQUEST_EXTENSION: ExtensionIn,
    Action.APPROVE_EXTENSION: NoteIn,
    Action.REJECT_EXTENSION: NoteIn,
    Action.REPLY: ReplyIn,
    Action.CALLBACK: CallbackIn,
    Action.REDO: NoteIn,
    Action.SUPERVISE: NoteIn,
    Action.INVALIDATE: InvalidateIn,
    Action.MERGE: MergeIn,
    Action.UNMERGE: NoteIn,
}


def _register(action: Action, schema: type[Schema]) -> None:
    def endpoint(request, number: str, payload: schema):
        ticket = services.perform(number, action, actor=request.auth, **payload.dict(exclude_none=True))
        return ticket_detail(ticket, request.auth)

    endpoint.__name__ = f"ticket_{action.value}"
    router.post(
        f"/{{number}}/{action.value.replace('_', '-')}",
        response=TicketDetailOut,
        summary=action.label,
        operation_id=f"ticket_{action.value}",
    )(endpoint)


for _action, _schema in ACTION_SCHEMAS.items():
    _register(_action, _schema)
