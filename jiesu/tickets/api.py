"""Ticket endpoints: create, list, detail with history, one POST per workflow action, attachments."""

import logging
from datetime import datetime
from typing import Annotated

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, create_model

from jiesu.core import clock, idempotency
from jiesu.core.schemas import InputSchema, choice, required
from jiesu.sla import services as sla
from jiesu.sla.models import Clock

from . import access, calls, services
from .models import (
    AssistPart,
    Attachment,
    CallbackStatus,
    Channel,
    ContactMethod,
    InvalidReason,
    Kind,
    ReplyResult,
    ReturnReason,
    Satisfaction,
    Ticket,
    Urgency,
)
from .queries import TicketFilter, apply_filter
from .workflow import TRANSITIONS, Action, LinkEvent, State, SystemEvent

router = Router(tags=["工单"])
logger = logging.getLogger(__name__)


class Ref(Schema):
    code: str
    name: str


class TicketIn(InputSchema):
    # Only content is always required; the service checks every field (caller_phone on phone channels, lengths,
    # codes) and answers in Chinese. Choices take the code or the Chinese label; empty or null is the default.
    channel: choice(Channel, labels=True, blank=True) | None = None
    kind: choice(Kind, labels=True, blank=True) | None = None
    urgency: choice(Urgency, labels=True, blank=True) | None = None
    title: str | None = None
    content: required(str) = None
    caller_name: str | None = None
    caller_phone: str | None = None
    caller_confidential: bool | None = None  # 来电人要求保密 (every 举报 is): departments see neither name nor phone
    sms_opt_out: bool | None = None  # the caller wants no SMS (受理回执, 答复 notice)
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
    # 欠薪线索 (a category marked so, not a 咨询): required from staff accounts, see docs/channels.md
    wage_employer: str | None = None  # 欠薪单位
    wage_credit_code: str | None = None  # its 统一社会信用代码, when known
    wage_project: str | None = None  # 工程项目
    wage_amount: str | int | float | None = None  # 欠薪金额（元）, e.g. "23500.00"
    wage_workers: str | int | None = None  # 涉及人数
    wage_from: str | None = None  # 欠薪起始月 YYYY-MM
    wage_to: str | None = None  # 欠薪截止月 YYYY-MM


class TicketOut(Schema):
    number: str
    channel: choice(Channel)
    channel_label: str
    kind: choice(Kind)
    kind_label: str
    urgency: choice(Urgency)
    urgency_label: str
    state: choice(State)
    state_label: str
    title: str
    content: str
    caller_name: str
    caller_phone: str
    caller_confidential: bool
    sms_opt_out: bool
    query_code: str  # 查询码 of the 受理回执; empty for readers who may not see the caller
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
    sla_status: choice(sla.Status.LABELS) | None  # the worst running clock's status; null when no clock runs
    sla_clock: choice(Clock) | None  # which clock that is
    reply_text: str
    reply_result: choice(ReplyResult, blank=True)
    callback_status: choice(CallbackStatus, blank=True)
    satisfaction: choice(Satisfaction, blank=True)
    resolved: bool | None
    merged_into: str | None  # 母单编号 when this ticket is a 子单
    repeat_of: str | None  # 重复来电: the same caller's earlier ticket about the same matter
    support: int


class DuplicateOut(Schema):
    number: str
    title: str
    state: choice(State)
    score: float
    flagged: bool  # 疑似重复 (score ≥ JIESU_DUPLICATE_FLAG); otherwise only similar
    same_caller: bool
    reasons: list[str]


class EventOut(Schema):
    action: choice(Action, SystemEvent, LinkEvent)  # the sweep's and 并单's entries are not actions
    action_label: str
    from_state: choice(State, blank=True)  # blank for 登记
    to_state: choice(State)
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
    purpose: choice(Attachment.Purpose)
    uploaded_at: datetime


class AssistOut(Schema):
    """协办: one assisting unit's part (the lead is the ticket's `department`)."""

    department: dict
    status: choice(AssistPart.Status)
    due_at: datetime | None
    signed_at: datetime | None
    submitted_at: datetime | None
    on_time: bool | None
    text: str


class TicketDetailOut(TicketOut):
    allowed_actions: list[choice(Action)]
    assists: list[AssistOut]
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
# Choice filters take the code only; empty is no filter.
FILTER_CHOICES = {"state": State, "kind": Kind, "channel": Channel, "sla": sla.Status.LABELS}
ListParams = create_model(
    "ListParams",
    __base__=Schema,
    **{name: (choice(FILTER_CHOICES[name], blank=True) if name in FILTER_CHOICES else str, "")
       for name in TicketFilter.__dataclass_fields__},
    # Bounded, so that no page number can overflow the database's OFFSET (a 400, not a 500).
    page=(Annotated[int, Field(ge=1, le=1_000_000)], 1),
    page_size=(Annotated[int, Field(ge=1, le=100)], 20),
)


def _ref(obj) -> dict | None:
    if obj is None:
        return None
    name = obj.path_name if hasattr(obj, "path_name") else obj.name
    return {"code": obj.code, "name": name}


# Fields copied as they are; the rest (labels, directory references, linked tickets) are built below.
_PLAIN_FIELDS = [f for f in TicketOut.model_fields if not f.endswith("_label") and hasattr(Ticket, f)
                 and f not in ("region", "category", "department", "merged_into", "repeat_of")]


def ticket_out(t: Ticket, linked: dict[int, str]) -> dict:
    """One ticket; `linked` maps the ids of other tickets the reader may see to their numbers (a 母单 or earlier
    call is named only if it is among them: access.visible_numbers_by_id)."""
    worst = sla.worst_clock(t, clock.now())
    return {
        **{f: getattr(t, f) for f in _PLAIN_FIELDS},
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
        "merged_into": linked.get(t.merged_into_id),
        "repeat_of": linked.get(t.repeat_of_id),
    }


def _duplicate(number, title, state, score, same_caller, reasons) -> dict:
    return {"number": number, "title": title, "state": state, "score": score,
            "flagged": score >= settings.JIESU_DUPLICATE_FLAG, "same_caller": same_caller, "reasons": reasons}


def ticket_detail(t: Ticket, user) -> dict:
    """One ticket with its history, for a reader. A ticket just registered (`t.intake`, complete) is answered
    from what registering it produced, without reading it back."""
    intake = getattr(t, "intake", None)
    if intake is not None and intake.complete:
        events, children, attachments, assists = intake.events, [], [], []
        linked = {c.ticket_id: c.number for c in intake.duplicates if c.ticket_id == t.repeat_of_id}
        numbers: set[str] = set()
        duplicates = [_duplicate(c.number, c.title, c.state, round(c.score, 4), c.same_caller, c.reasons)
                      for c in intake.duplicates]
    else:
        events = list(t.events.select_related("actor", "actor_department", "department"))
        children = list(t.merged_children.order_by("id"))
        linked = access.visible_numbers_by_id(user, [t.merged_into_id, t.repeat_of_id, *(c.pk for c in children)])
        numbers = access.visible_numbers(user, [n for e in events for n in access.linked_numbers(e.data)])
        duplicates = [_duplicate(m.other.number, m.other.title, m.other.state, m.score, m.same_caller, m.reasons)
                      for m in access.duplicates_for(user, t)]
        attachments = list(t.attachments.values("id", "name", "size", "content_type", "purpose", "uploaded_at"))
        assists = list(t.assists.select_related("department"))
    return {
        **ticket_out(t, linked),
        "allowed_actions": [tr.action.value for tr in access.actions_for(user, t)],
        "merged_children": [c.number for c in children if c.pk in linked],
        "duplicates": duplicates,
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
                "data": access.without_hidden_numbers(e.data, numbers),
                "created_at": e.created_at,
            }
            for e in events
        ],
        "attachments": attachments,
        "assists": [{"department": _ref(a.department), "status": a.status, "due_at": a.due_at,
                     "signed_at": a.signed_at, "submitted_at": a.submitted_at, "on_time": a.on_time, "text": a.text}
                    for a in assists],
    }


def _shown(user, ticket: Ticket) -> Ticket:
    """One ticket as this user may see its caller (tickets.access.shown); a handling unit's view is logged."""
    return access.shown(user, ticket, detail=True, via="api")


def _load(number: str, user) -> Ticket:
    return access.access_ticket(user, number)


def _created(request, ticket: Ticket) -> HttpResponse:
    """The answer to a registration: the ticket as its registrar reads it back, whatever the lists would show them
    later. The ticket is committed by now: if reading what the answer needs fails (the database went away), the
    answer is still 201, with what is known, and `complete: false`."""
    try:
        detail = TicketDetailOut.model_validate(ticket_detail(_shown(request.auth, ticket), request.auth))
        body = detail.model_dump(by_alias=True)
    except DatabaseError:
        logger.warning("ticket %s registered; its answer could not be read", ticket.number, exc_info=True)
        body = {"number": ticket.number, "state": ticket.state, "created_at": ticket.created_at, "complete": False,
                "message": "诉求已登记，详情暂时无法读取，请稍后按工单编号查询"}
    from jiesu.api import api  # the API object imports this router

    return api.create_response(request, body, status=201)


@router.post("", response={201: TicketDetailOut}, summary="登记诉求",
             description="可带 `Idempotency-Key` 请求头（1–255 个可打印 ASCII 字符，如 UUID）：重试时使用同一键，"
                         "只登记一次，并返回第一次的应答（带 `Idempotent-Replayed: true`）；同一键用于不同内容返回 422。")
def create_ticket(request, payload: TicketIn):
    data = payload.dict(exclude_none=True)
    claim = idempotency.claim(request, f"user:{request.auth.pk}", data)
    return idempotency.respond_once(claim, lambda: services.create_ticket(actor=request.auth, data=data,
                                                                          idempotency=claim),
                                    lambda ticket: _created(request, ticket))


@router.get("", response=TicketPage, summary="工单列表与检索")
def list_tickets(request, params: Query[ListParams]):
    page_size, page = params.page_size, params.page
    queryset = Ticket.objects.visible_to(request.auth).select_related("region", "category", "department")
    queryset = apply_filter(queryset, TicketFilter.from_mapping(params.dict()), request.auth)
    # Category names show the full path; pull parents in the same query.
    queryset = queryset.select_related("category__parent__parent")
    count = queryset.count()
    rows = list(queryset[(page - 1) * page_size : page * page_size])
    linked = access.visible_numbers_by_id(request.auth, [i for t in rows for i in (t.merged_into_id, t.repeat_of_id)])
    return {"count": count, "page": page, "page_size": page_size, "results": [ticket_out(access.shown(request.auth, t), linked) for t in rows]}


@router.get("/{number}", response=TicketDetailOut, summary="工单详情（含流转记录）")
def get_ticket(request, number: str):
    return ticket_detail(_shown(request.auth, _load(number, request.auth)), request.auth)


@router.post("/{number}/attachments", response={201: TicketDetailOut}, summary="上传附件")
def upload_attachment(
    request, number: str, file: UploadedFile = File(...),
    purpose: choice(Attachment.Purpose, labels=True, blank=True) = Form(Attachment.Purpose.REQUEST.value),
):
    ticket = services.perform(number, Action.ATTACH, actor=request.auth, file=file, purpose=purpose)
    return Status(201, ticket_detail(_shown(request.auth, ticket), request.auth))


# Each action's payload. A field the action's transition requires (workflow.TRANSITIONS) is documented as
# required: the service refuses it missing or blank. Choices take the code or the Chinese label.
ACTION_FIELDS: dict[Action, dict[str, object]] = {
    Action.INSTANT_CLOSE: {"reply_text": str},
    # assist: 协办 units' codes (the lead is `department`)
    Action.DISPATCH: {"department": str, "category": str, "is_complex": bool, "note": str, "assist": list[str]},
    Action.ADD_ASSIST: {"assist": list[str], "note": str},
    Action.SIGN_ASSIST: {"note": str},
    Action.SUBMIT_ASSIST: {"text": str},  # the assisting unit's part, for the lead
    Action.WITHDRAW: {"reason": str},  # 撤回 before the unit signed
    Action.SIGN: {"note": str},
    Action.SUBDISPATCH: {"department": str, "note": str},  # a sub-unit of the handling department
    # 退单 asks; the dispatcher decides (退单审核). Evidence: upload it with purpose 退单依据 (…/attachments).
    Action.RETURN: {"reason_category": choice(ReturnReason, labels=True), "reason": str},
    Action.APPROVE_RETURN: {"note": str},
    Action.REJECT_RETURN: {"note": str},
    Action.CONTACT: {"method": choice(ContactMethod, labels=True), "note": str},
    Action.REQUEST_EXTENSION: {"reason": str, "due_at": str},  # a date or an ISO datetime
    Action.APPROVE_EXTENSION: {"note": str},
    Action.REJECT_EXTENSION: {"note": str},
    # contacted_method (and contacted_at, when it was earlier): the caller was reached before this answer and no 联系
    # was recorded; it stops the 响应 clock as a 联系 does.
    Action.REPLY: {"reply_text": str, "result": choice(ReplyResult, labels=True),
                   "contacted_method": choice(ContactMethod, labels=True, blank=True), "contacted_at": str},
    # 答复审核, where a rule applies (otherwise 答复): the same fields, then the centre approves or sends it back.
    Action.SUBMIT_REPLY: {"reply_text": str, "result": choice(ReplyResult, labels=True),
                          "contacted_method": choice(ContactMethod, labels=True, blank=True), "contacted_at": str},
    Action.APPROVE_REPLY: {"note": str},
    Action.REJECT_REPLY: {"note": str},
    Action.CALLBACK: {"status": choice(CallbackStatus, labels=True),
                      "satisfaction": choice(Satisfaction, labels=True), "resolved": bool, "note": str},
    Action.EVALUATE: {"satisfaction": choice(Satisfaction, labels=True), "resolved": bool, "note": str},
    Action.REDO: {"note": str},
    Action.SUPERVISE: {"note": str},
    Action.INVALIDATE: {"reason": choice(InvalidReason, labels=True), "note": str},
    Action.MERGE: {"parent": str, "note": str},  # 母单编号
    Action.UNMERGE: {"note": str},
}


def _payload_schema(action: Action) -> type[Schema]:
    needed = TRANSITIONS[action].required
    assert set(needed) <= set(ACTION_FIELDS[action]), f"{action}: a required field has no schema"
    fields = {name: (required(kind) if name in needed else kind | None, None)
              for name, kind in ACTION_FIELDS[action].items()}
    name = "".join(word.title() for word in action.value.split("_")) + "In"
    return create_model(name, __base__=InputSchema, **fields)


def _register(action: Action, schema: type[Schema]) -> None:
    def endpoint(request, number: str, payload: schema):
        ticket = services.perform(number, action, actor=request.auth, **payload.dict(exclude_none=True))
        return ticket_detail(_shown(request.auth, ticket), request.auth)

    endpoint.__name__ = f"ticket_{action.value}"
    router.post(
        f"/{{number}}/{action.value.replace('_', '-')}",
        response=TicketDetailOut,
        summary=action.label,
        operation_id=f"ticket_{action.value}",
    )(endpoint)


for _action in ACTION_FIELDS:
    _register(_action, _payload_schema(_action))


# ---------------------------------------------------------------- 来电弹屏

calls_router = Router(tags=["来电弹屏"])


class IncomingCallIn(InputSchema):
    phone: required(str) = None  # the caller's number as the switch sees it
    agent: required(str) = None  # the operator's user name (坐席)


class IncomingCallOut(Schema):
    id: int
    agent: str
    phone: str
    created_at: datetime


@calls_router.post("/incoming", response={201: IncomingCallOut}, summary="话务系统推送来电：坐席的来电登记页弹出来电人历史")
def incoming_call(request, payload: IncomingCallIn):
    call = calls.announce(request.auth, phone=payload.phone, agent=payload.agent)
    return Status(201, {"id": call.pk, "agent": call.agent.username, "phone": call.phone,
                        "created_at": call.created_at})
