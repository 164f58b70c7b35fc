"""Business actions on tickets. Views, the API, commands and tests call these and nothing lower.

Every write runs in one transaction: lock the ticket, look the action up in the workflow table, check
the actor, validate the payload, apply the effects, move the state, write one TicketEvent.
A refused action raises a ServiceError and changes nothing.
"""

import logging
import mimetypes
import os
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, Q, Value, When
from django.utils import timezone

from jiesu.core import clock, idempotency, inserts, storage
from jiesu.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiesu.core.locks import retry_on_conflict
from jiesu.core.validators import (
    in_date_range,
    is_valid_credit_code,
    is_valid_phone,
    normalize_phone,
    parse_day,
    parse_moment,
)
from jiesu.directory.models import Department
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.services import is_descendant
from jiesu.directory.snapshot import directory
from jiesu.knowledge import services as knowledge
from jiesu.sla import services as sla
from jiesu.sla.models import Clock

from . import access, lifecycle, search
from .models import (
    FLOW_CHANNELS,
    AssistPart,
    Attachment,
    CallbackStatus,
    Channel,
    ContactMethod,
    ExtensionRequest,
    InvalidReason,
    Kind,
    ReplyResult,
    ReplyReview,
    ReplyReviewRule,
    ReturnReason,
    ReturnRequest,
    Satisfaction,
    Ticket,
    TicketAssignment,
    TicketEvent,
    TicketNumberSequence,
    Urgency,
)
from .workflow import (
    MERGEABLE_STATES,
    TRANSITIONS,
    Action,
    LinkEvent,
    State,
    Transition,
    TransitionNotAllowed,
    move,
    transition_for,
)

logger = logging.getLogger(__name__)

MAX_TITLE = 100
MAX_CONTENT = 5000
MAX_REPLY = 5000
MAX_NOTE = 1000
MAX_ASSISTS = 10
MAX_NAME = 50
MAX_ADDRESS = 200

FIELD_LABELS = {
    "content": "诉求内容",
    "assist": "协办单位",
    "text": "协办意见",
    "reason_category": "退单原因",
    "title": "标题",
    "department": "承办单位",
    "reason": "原因",
    "due_at": "延期至",
    "note": "说明",
    "reply_text": "答复内容",
    "result": "办理结果",
    "status": "回访情况",
    "satisfaction": "满意度",
    "resolved": "是否解决",
    "file": "文件",
    "method": "联系方式",
    "caller_name": "来电人",
    "caller_phone": "联系电话",
    "enterprise_name": "企业名称",
    "address": "地址",
    "parent": "母单编号",
}


# ---------------------------------------------------------------- payload helpers


def _text(value: Any) -> str:
    # NUL cannot be stored in PostgreSQL text; it never carries meaning in a citizen's words.
    return "" if value is None else str(value).replace("\x00", "").strip()


def _blank(value: Any) -> bool:
    if isinstance(value, list | tuple):  # e.g. no 协办 unit chosen
        return not any(_text(v) for v in value)
    return value is None or (isinstance(value, str) and not value.strip())


def _check_required(transition: Transition, payload: dict) -> None:
    missing = {
        name: f"请填写{FIELD_LABELS.get(name, name)}" for name in transition.required if _blank(payload.get(name))
    }
    if missing:
        raise ValidationFailed(missing)


def _check_length(errors: dict, name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[name] = f"{FIELD_LABELS.get(name, name)}不能超过{limit}字（当前{len(value)}字）"


def _choice(errors: dict, name: str, value: Any, choices, label: str, *, required: bool = True) -> str:
    text = _text(value)
    if not text:
        if required:
            errors[name] = f"请选择{label}"
        return ""
    if text in choices.values:
        return text
    by_label = {lbl: val for val, lbl in choices.choices}
    if text in by_label:  # accept the Chinese label too (forms, spreadsheets)
        return by_label[text]
    errors[name] = f"{label}无效：{text}"
    return ""


def _bool(errors: dict, name: str, value: Any, label: str) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in {"true", "1", "yes", "是", "on"}:
        return True
    if text in {"false", "0", "no", "否", "off"}:
        return False
    errors[name] = f"请选择{label}"
    return None


def _note(payload: dict, name: str = "note") -> str:
    value = _text(payload.get(name))
    if len(value) > MAX_NOTE:
        raise ValidationFailed({name: f"{FIELD_LABELS.get(name, '说明')}不能超过{MAX_NOTE}字"})
    return value


def _department(code: Any, field_name: str = "department") -> Department:
    if isinstance(code, Department):
        return code
    department = directory().department(_text(code))
    if department is None:
        raise ValidationFailed({field_name: f"承办单位不存在或已停用：{_text(code)}"})
    return department


def _parse_due(value: Any) -> datetime | None:
    if isinstance(value, date) and not in_date_range(value if not isinstance(value, datetime) else value.date()):
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time(23, 59, 59)))
    text = _text(value)
    parsed = parse_moment(text) if "T" in text or " " in text else None
    if parsed is not None:
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    day = parse_day(text)
    if day is not None:
        # A date means the end of that day in the local (Asia/Shanghai) calendar.
        return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
    return None


# ---------------------------------------------------------------- numbers and events


def next_number(at: datetime) -> str:
    """yyyymmdd + 5-digit sequence of that local day, e.g. 2026112200017. One statement (insert or add one, and
    read the result), safe under concurrency on SQLite and PostgreSQL; it commits with the ticket."""
    day = clock.local_day(at).strftime("%Y%m%d")
    table, quote = TicketNumberSequence._meta.db_table, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('day')}, {quote('last')}) VALUES (%s, 1) ON CONFLICT ({quote('day')}) "
            f"DO UPDATE SET {quote('last')} = {table}.{quote('last')} + 1 RETURNING {quote('last')}",
            [day],
        )
        (last,) = cursor.fetchone()
    return f"{day}{last:05d}"


def _record(ticket, transition, before, actor, *, at, department=None, note="", data=None) -> TicketEvent:
    return inserts.insert(TicketEvent(
        ticket=ticket,
        action=transition.action,
        from_state=before,
        to_state=ticket.state,
        actor=actor,
        actor_department=department_of(actor),
        department=department,
        note=note,
        data=data or {},
        created_at=at,
    ))


def _assign(ticket, department, at) -> None:
    ticket.department = department
    ticket.signed_at = None
    # Once per unit: a unit the ticket comes back to keeps its first assignment (one statement, no savepoint).
    TicketAssignment.objects.bulk_create([TicketAssignment(ticket=ticket, department=department, assigned_at=at)],
                                         ignore_conflicts=True)


# ---------------------------------------------------------------- create


def auto_title(content: str, limit: int = 30) -> str:
    """The content's first sentence as a title: whole if it fits; else cut at the last full stop, or else comma,
    within the limit (if that keeps half of it), or else at the limit, and marked "…" when anything was cut."""
    line = content.strip().splitlines()[0].strip() if content.strip() else ""
    if len(line) <= limit:
        return line
    head = line[:limit - 1]
    for marks in ("。！？；!?;", "，、,"):
        cut = max(head.rfind(m) for m in marks)
        if cut >= limit // 2:
            return head[:cut].rstrip() + "…"
    return head + "…"


def _validate_new_ticket(data: dict) -> dict:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    clean["channel"] = _choice(errors, "channel", data.get("channel") or Channel.PHONE, Channel, "来源渠道")
    clean["kind"] = _choice(errors, "kind", data.get("kind") or Kind.COMPLAINT, Kind, "诉求类型")
    clean["urgency"] = _choice(errors, "urgency", data.get("urgency") or Urgency.NORMAL, Urgency, "紧急程度")

    content = _text(data.get("content"))
    if not content:
        errors["content"] = "请填写诉求内容"
    _check_length(errors, "content", content, MAX_CONTENT)
    clean["content"] = content
    # Operators often skip the title on a call: the first line of the content stands in.
    title = _text(data.get("title")) or auto_title(content)
    _check_length(errors, "title", title, MAX_TITLE)
    clean["title"] = title

    clean["caller_name"] = _text(data.get("caller_name"))
    _check_length(errors, "caller_name", clean["caller_name"], MAX_NAME)
    phone = normalize_phone(_text(data.get("caller_phone")))
    if phone and not is_valid_phone(phone):
        errors["caller_phone"] = "联系电话格式不正确（手机号11位，固话请带区号）"
    if not phone and clean["channel"] in {Channel.PHONE, Channel.POLICE_110}:
        errors["caller_phone"] = "电话渠道的诉求请填写联系电话"
    clean["caller_phone"] = phone
    # Whistle-blowers are always protected; anyone else when they ask.
    confidential = data.get("caller_confidential")
    clean["caller_confidential"] = clean["kind"] == Kind.REPORT or (
        not _blank(confidential) and bool(_bool(errors, "caller_confidential", confidential, "是否保密")))

    public = data.get("public")
    clean["public"] = (not clean["caller_confidential"] and not _blank(public)
                       and bool(_bool(errors, "public", public, "是否公开")))

    opt_out = data.get("sms_opt_out")
    clean["sms_opt_out"] = not _blank(opt_out) and bool(_bool(errors, "sms_opt_out", opt_out, "不接收短信"))

    clean["enterprise_name"] = _text(data.get("enterprise_name"))
    _check_length(errors, "enterprise_name", clean["enterprise_name"], 100)
    credit_code = _text(data.get("credit_code")).upper()
    if credit_code and not is_valid_credit_code(credit_code):
        errors["credit_code"] = "统一社会信用代码无效（应为18位且校验位正确）"
    clean["credit_code"] = credit_code

    clean["address"] = _text(data.get("address"))
    _check_length(errors, "address", clean["address"], MAX_ADDRESS)

    region_code = _text(data.get("region"))
    clean["region"] = None
    if region_code:
        clean["region"] = directory().region(region_code)
        if clean["region"] is None:
            errors["region"] = f"区划不存在：{region_code}"
    category_code = _text(data.get("category"))
    clean["category"] = None
    if category_code:
        clean["category"] = directory().category(category_code)
        if clean["category"] is None:
            errors["category"] = f"诉求分类不存在或已停用：{category_code}"

    for name, low, high, label in (("lat", -90, 90, "纬度"), ("lng", -180, 180, "经度")):
        raw = data.get(name)
        clean[name] = None
        if _blank(raw):
            continue
        try:
            number = Decimal(str(raw))
            if not number.is_finite():  # NaN and Infinity parse, then break every comparison
                raise ValueError(raw)
            number = number.quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            errors[name] = f"{label}必须是数字"
            continue
        if not low <= number <= high:
            errors[name] = f"{label}超出范围（{low}～{high}）"
        clean[name] = number
    if (clean["lat"] is None) != (clean["lng"] is None) and "lat" not in errors and "lng" not in errors:
        errors["lng" if clean["lng"] is None else "lat"] = "经纬度需同时填写"

    clean["support"] = 0
    if not _blank(data.get("support")):
        try:
            clean["support"] = int(str(data["support"]).strip())
        except ValueError:
            errors["support"] = "点赞数必须是整数"
        else:
            if not 0 <= clean["support"] <= 2_000_000_000:
                errors["support"] = "点赞数超出范围"

    if errors:
        raise ValidationFailed(errors)
    return clean


@dataclass
class Intake:
    """What registering a ticket produced, in hand for the answer (no reloading): its history and the 疑似重复
    the registering user may open. `complete` is False when a further action (即时办结, 智能派单) changed the
    ticket after it was written; the answer then reads it back."""

    events: list
    duplicates: list
    complete: bool = True


def create_ticket(*, actor, data: dict, idempotency: "idempotency.Claim | None" = None) -> Ticket:
    """来电登记: a new ticket in 待派单. With `answer` for a 咨询, the operator closes it at once (即时办结).

    The read-only work — checking the input, then the observers' `prepare` (duplicate look-up, the router's
    prediction: tickets.lifecycle) — happens first; the write transaction holds only the inserts, so on SQLite the
    database's single write lock is held for milliseconds (issue 15). With `idempotency` (the client's
    Idempotency-Key) the key is written with the ticket; a key already there raises `idempotency.Repeated` and
    nothing is written."""
    transition = TRANSITIONS[Action.CREATE]
    if not has_perm(actor, transition.perm):
        raise PermissionDenied("您无权登记诉求", code="action_forbidden")
    clean = _validate_new_ticket(data)
    flow_perm = FLOW_CHANNELS.get(clean["channel"])
    if flow_perm and not has_perm(actor, flow_perm):
        label = Channel(clean["channel"]).label
        raise ValidationFailed({"channel": f"{label}由其专门流程登记，不能在此选择"}, message=f"{label}由其专门流程登记")
    answer = _text(data.get("answer"))
    article = _text(data.get("article"))
    if article and not answer:
        raise ValidationFailed({"answer": "引用知识时请填写答复内容"})
    if article and not clean["category"]:  # a 咨询 answered from the knowledge base still counts in its category
        raise ValidationFailed({"category": "引用知识即时办结时请选择诉求分类"})
    if article:
        cited = knowledge.live_articles().filter(code=article).first()
        if cited is None:
            raise ValidationFailed({"article": f"知识不存在、未发布或已失效：{article}"})
        answer = f"{answer}\n（答复依据：知识库 {cited.code}《{cited.title}》）"
    if answer and not has_perm(actor, "ticket.instant_close"):
        raise PermissionDenied("您无权即时办结", code="action_forbidden")
    if answer and clean["kind"] != Kind.CONSULT:
        raise ValidationFailed({"answer": "只有咨询类诉求可以即时办结"})

    now = clock.now()
    draft = Ticket(**clean, created_by=actor, created_at=now, updated_at=now,
                   query_code=f"{secrets.randbelow(10**6):06d}")
    draft.answered_at_intake = bool(answer)  # observers need not prepare a dispatch for it
    draft.submitted = data  # a flow's own fields ride along for its observer (e.g. 欠薪信息: channels.wages)
    prepared = lifecycle.prepare(draft, actor)  # may set fields of the draft (the 重复来电 link)
    ticket = _register(actor, draft, prepared, answer, article, idempotency)
    if not ticket.intake.complete:
        intake = ticket.intake
        ticket.refresh_from_db()
        ticket.intake = intake
    return ticket


@retry_on_conflict
@transaction.atomic
def _register(actor, draft, prepared, answer, article, claim=None) -> Ticket:
    transition = TRANSITIONS[Action.CREATE]
    # A fresh row each try (a retried insert must not reuse an id).
    ticket = Ticket(**{f.attname: getattr(draft, f.attname) for f in Ticket._meta.concrete_fields if not f.primary_key})
    directory().attach(ticket, "region", "category", "department")
    ticket.answered_at_intake = draft.answered_at_intake
    ticket.submitted = draft.submitted
    ticket.number = next_number(ticket.created_at)
    ticket.search_grams = search.document(ticket)
    before, _ = move(ticket, transition)
    inserts.insert(ticket)
    idempotency.record(claim, ticket)
    event = _record(ticket, transition, before, actor, at=ticket.created_at, data={"channel": ticket.channel})
    facts = lifecycle.created(ticket, prepared, actor)
    complete = not facts.get("changed")
    if answer:
        perform(ticket.number, Action.INSTANT_CLOSE, actor=actor, reply_text=answer, article=article)
        complete = False
    ticket.intake = Intake(events=[event], duplicates=facts.get("duplicates", []), complete=complete)
    return ticket


# ---------------------------------------------------------------- actions


@dataclass
class Outcome:
    """What an action's effect function tells perform() to put in the event."""

    note: str = ""
    department: Department | None = None
    data: dict = field(default_factory=dict)


def _withdraw_pending_extension(ticket, actor, now, why: str) -> None:
    if _known_none(ticket, "extension"):
        return
    ticket.extensions.filter(status=ExtensionRequest.Status.PENDING).update(
        status=ExtensionRequest.Status.WITHDRAWN, decided_by=actor, decided_at=now, decision_note=why
    )


def _close_pending(ticket, actor, now, why: str) -> None:
    """The ticket leaves the unit (撤回, 作废): whatever it asked for and is still waiting for is moot, and so are
    the 协办 parts it leads."""
    _withdraw_pending_extension(ticket, actor, now, why)
    _close_assists(ticket, AssistPart.Status.WITHDRAWN, now)
    for model in (ReturnRequest, ReplyReview):
        model.objects.filter(ticket=ticket, status=model.Status.PENDING).update(
            status=model.Status.WITHDRAWN, decided_by=actor, decided_at=now, decision_note=why)


class Pending(NamedTuple):
    """What waits on a ticket besides its state, asked in one query (`pending_facts`)."""

    return_request: bool  # a 退单 waits for review
    reply_review: bool  # an answer waits for review
    any_rule: bool  # any 答复审核 rule is active
    extension: bool  # a 延期 request waits for a decision
    assists: bool  # a 协办 part is still open
    children: bool  # 子单 wait for this 母单's answer


def pending_facts(ticket) -> Pending:
    """What waits on the ticket, in one query. Inside an action (the ticket locked) it is kept on the ticket, so
    that what the action then closes (a waiting 延期, open 协办 parts, 子单) is only written when there is some."""
    facts = Pending(*Ticket.objects.filter(pk=ticket.pk).values_list(
        Exists(ReturnRequest.objects.filter(ticket=ticket, status=ReturnRequest.Status.PENDING)),
        Exists(ReplyReview.objects.filter(ticket=ticket, status=ReplyReview.Status.PENDING)),
        Exists(ReplyReviewRule.objects.filter(active=True)),
        Exists(ExtensionRequest.objects.filter(ticket=ticket, status=ExtensionRequest.Status.PENDING)),
        Exists(AssistPart.objects.filter(ticket=ticket, status__in=AssistPart.OPEN)),
        Exists(Ticket.objects.filter(merged_into=ticket, state=State.MERGED)),
    ).get())
    ticket._pending = facts
    return facts


def _known_none(ticket, fact: str) -> bool:
    """The action already asked (`pending_facts`, with the ticket locked) and there is none of it."""
    facts = getattr(ticket, "_pending", None)
    return facts is not None and not getattr(facts, fact)


def _check_nothing_pending(ticket, doing: str) -> bool:
    """A unit waiting for the centre's decision on its 退单 or its answer does not act on the ticket meanwhile.
    Returns whether any 答复审核 rule is active (asked in the same query)."""
    waiting_return, waiting_review, any_rule, *_ = pending_facts(ticket)
    if waiting_return:
        raise Conflict(f"退单申请正在审核，暂不能{doing}", code="return_pending")
    if waiting_review:
        raise Conflict(f"答复正在审核，暂不能{doing}", code="review_pending")
    return any_rule


def review_rule(ticket, *, any_rule: bool = True) -> ReplyReviewRule | None:
    """The 答复审核 rule that applies to this ticket's answer: its category or handling unit, or one above."""
    rules = list(ReplyReviewRule.objects.filter(active=True)) if any_rule else []
    if not rules:
        return None
    tree = directory()
    lineage: set[tuple[str, int]] = set()
    for kind, table, pk in (("c", tree.categories, ticket.category_id), ("d", tree.departments, ticket.department_id)):
        node = table.get(pk)
        while node is not None:
            lineage.add((kind, node.pk))
            node = node.parent
    for rule in rules:
        if ("c", rule.category_id) in lineage or ("d", rule.department_id) in lineage:
            return rule
    return None


def _check_no_children(ticket, doing: str) -> None:
    if ticket.merged_children.filter(state=State.MERGED).exists():
        raise Conflict(f"该工单有并入的子单，请先撤销并单再{doing}", code="has_merged_children")


def _instant_close(ticket, actor, payload, now) -> Outcome:
    if ticket.kind != Kind.CONSULT:
        raise Conflict("只有咨询类诉求可以即时办结", code="not_consultation")
    _check_no_children(ticket, "即时办结")
    reply = _text(payload["reply_text"])
    if len(reply) > MAX_REPLY:
        raise ValidationFailed({"reply_text": f"答复内容不能超过{MAX_REPLY}字"})
    ticket.reply_text = reply
    ticket.reply_result = ReplyResult.RESOLVED
    ticket.replied_at = ticket.closed_at = now
    return Outcome(note=reply, data={"article": _text(payload.get("article"))} if payload.get("article") else {})


def _dispatch(ticket, actor, payload, now) -> Outcome:
    department = _department(payload["department"])
    if department.kind == Department.Kind.HOTLINE_CENTER:
        raise ValidationFailed({"department": "不能派给热线服务中心本身"})
    if not _blank(payload.get("category")):
        category = directory().category(_text(payload["category"]))
        if category is None:
            raise ValidationFailed({"category": f"诉求分类不存在或已停用：{_text(payload['category'])}"})
        ticket.category = category
    if not _blank(payload.get("is_complex")):
        errors: dict[str, str] = {}
        ticket.is_complex = _bool(errors, "is_complex", payload["is_complex"], "是否复杂疑难")
        if errors:
            raise ValidationFailed(errors)
    assisting = _assisting(payload.get("assist"), department) if not _blank(payload.get("assist")) else []
    _assign(ticket, department, now)
    ticket.dispatched_at = now
    # 派单 and 改派 give the (new) department its full time and its own first contact with the caller.
    ticket.contacted_at = None
    sla.start_clocks(ticket, now, [Clock.SIGN, Clock.CONTACT, Clock.REPLY])
    data = {"reply_due_at": ticket.reply_due_at.isoformat() if ticket.reply_due_at else None}
    if assisting:
        data["assist"] = _open_assists(ticket, assisting, actor, now)
    return Outcome(note=_note(payload), department=department, data=data)


def _assisting(value, lead) -> list[Department]:
    """协办 units from a list of codes (or one string of codes separated by commas or spaces), each checked."""
    codes = value if isinstance(value, list | tuple) else str(value).replace("，", ",").replace(",", " ").split()
    units, errors = [], []
    for code in dict.fromkeys(_text(c) for c in codes if _text(c)):
        unit = directory().department(code)
        if unit is None:
            errors.append(f"单位不存在或已停用：{code if len(code) <= 30 else code[:30] + '…'}")
        elif unit.kind == Department.Kind.HOTLINE_CENTER:
            errors.append("热线服务中心不能协办")
        elif lead is not None and unit.pk == lead.pk:
            errors.append(f"{unit.name}是主办单位，不能同时协办")
        else:
            units.append(unit)
    if errors or not units:
        raise ValidationFailed({"assist": "；".join(errors) or "请选择协办单位"})
    if len(units) > MAX_ASSISTS:
        raise ValidationFailed({"assist": f"协办单位最多{MAX_ASSISTS}个"})
    return units


def _open_assists(ticket, units, actor, now) -> list[str]:
    """Open a 协办 part for each unit that has none open; its limit is JIESU_ASSIST_DAYS working days, and never
    later than the lead's reply deadline (the lead needs the parts to answer)."""
    have = set(ticket.assists.filter(status__in=AssistPart.OPEN).values_list("department_id", flat=True))
    if len(have | {u.pk for u in units}) > MAX_ASSISTS:
        raise ValidationFailed({"assist": f"协办单位最多{MAX_ASSISTS}个（已有{len(have)}个）"})
    due = sla.working_calendar().add_working_days(now, settings.JIESU_ASSIST_DAYS)
    if ticket.reply_due_at is not None:
        due = min(due, ticket.reply_due_at)
    new = [u for u in units if u.pk not in have]
    if not new:
        raise Conflict("所选单位已在协办该工单", code="already_assisting")
    AssistPart.objects.bulk_create([AssistPart(ticket=ticket, department=u, assigned_by=actor, assigned_at=now,
                                               due_at=due) for u in new])
    # They see the ticket from now on, as every unit it was sent to does.
    TicketAssignment.objects.bulk_create([TicketAssignment(ticket=ticket, department=u, assigned_at=now)
                                          for u in new], ignore_conflicts=True)
    ticket._assisting_units = None
    ticket.new_assists = new  # for the lifecycle observers (notifications) of this action
    return [u.code for u in new]


def _close_assists(ticket, status, now) -> None:
    """The open 协办 parts end with the lead's work: 已撤销 when it left; when it answered without them, 未反馈 for a
    part whose limit had passed, and 主办已先行答复 (not measured) for one not yet due — one statement."""
    if _known_none(ticket, "assists"):
        return
    open_parts = ticket.assists.filter(status__in=AssistPart.OPEN)
    if status == AssistPart.Status.UNSUBMITTED:
        open_parts.update(status=Case(When(due_at__lt=now, then=Value(AssistPart.Status.UNSUBMITTED)),
                                      default=Value(AssistPart.Status.NOT_NEEDED)))
    else:
        open_parts.update(status=status)
    ticket._assisting_units = None


def _add_assist(ticket, actor, payload, now) -> Outcome:
    _check_nothing_pending(ticket, "增加协办")  # the ticket may be about to leave the lead: decide that first
    codes = _open_assists(ticket, _assisting(payload["assist"], ticket.department), actor, now)
    return Outcome(note=_note(payload), department=ticket.department, data={"assist": codes})


def _my_part(ticket, actor) -> AssistPart:
    part = ticket.assists.select_for_update().filter(department=department_of(actor),
                                                     status__in=AssistPart.OPEN).first()
    if part is None:  # access.can_act saw one: it closed in between
        raise Conflict("本单位在该工单没有待办的协办", code="no_open_assist")
    return part


def _sign_assist(ticket, actor, payload, now) -> Outcome:
    part = _my_part(ticket, actor)
    if part.status != AssistPart.Status.PENDING_SIGN:
        raise Conflict("本单位已签收该协办", code="assist_signed")
    part.status, part.signed_at = AssistPart.Status.IN_PROGRESS, now
    part.save(update_fields=["status", "signed_at"])
    return Outcome(note=_note(payload), department=part.department)


def _submit_assist(ticket, actor, payload, now) -> Outcome:
    text = _text(payload["text"])
    errors: dict[str, str] = {}
    _check_length(errors, "text", text, MAX_REPLY)
    if errors:
        raise ValidationFailed(errors)
    part = _my_part(ticket, actor)
    # Sending the part signs it too: a unit that answers at once need not click twice.
    part.signed_at = part.signed_at or now
    part.status, part.text, part.submitted_at, part.submitted_by = AssistPart.Status.SUBMITTED, text, now, actor
    part.save(update_fields=["status", "text", "signed_at", "submitted_at", "submitted_by"])
    ticket._assisting_units = None
    on_time = part.due_at is None or now <= part.due_at
    return Outcome(note=text, department=part.department, data={"on_time": on_time})


def _check_dispatched_by_centre(ticket, doing: str) -> None:
    """撤回 undoes the centre's own 派单; a ticket a unit 下派'd to its sub-unit is that unit's to move."""
    last = ticket.events.filter(to_state=State.PENDING_SIGN).order_by("-id").values_list("action", flat=True).first()
    if last == Action.SUBDISPATCH:
        raise Conflict(f"该工单由承办单位下派至下级单位，不能{doing}；如派错请由承办单位处理",
                       code="subdispatched")


def _withdraw(ticket, actor, payload, now) -> Outcome:
    """撤回: the dispatcher takes a ticket back before the unit signed (sent to the wrong unit); it waits for
    dispatch again, and the unit's clocks stop running with the state."""
    _check_dispatched_by_centre(ticket, "撤回")
    _close_pending(ticket, actor, now, "派单员已撤回工单")
    withdrawn = ticket.department
    ticket.department = None
    ticket.signed_at = None
    return Outcome(note=_note(payload, "reason"), department=withdrawn)


def _sign(ticket, actor, payload, now) -> Outcome:
    _check_nothing_pending(ticket, "签收")
    ticket.signed_at = now
    return Outcome(note=_note(payload), department=ticket.department)


def _subdispatch(ticket, actor, payload, now) -> Outcome:
    department = _department(payload["department"])
    if not is_descendant(department, ticket.department):
        raise ValidationFailed({"department": f"只能下派给本单位的下级单位，“{department.name}”不是"})
    _check_nothing_pending(ticket, "下派")
    _withdraw_pending_extension(ticket, actor, now, "工单已下派")
    _assign(ticket, department, now)
    # 下派 restarts only the sign clock: the reply and contact deadlines promised to the caller stand.
    sla.start_clocks(ticket, now, [Clock.SIGN])
    return Outcome(note=_note(payload), department=department)


def _return(ticket, actor, payload, now) -> Outcome:
    """退单: the unit asks to give the ticket back, with a reason category, a note and optionally evidence. The
    ticket stays with it, clocks running, until the dispatcher decides (退单审核)."""
    errors: dict[str, str] = {}
    category = _choice(errors, "reason_category", payload["reason_category"], ReturnReason, "退单原因")
    reason = _text(payload["reason"])
    _check_length(errors, "reason", reason, MAX_NOTE)
    upload = payload.get("file")
    if upload is not None:
        _check_upload(errors, upload)
    if errors:
        raise ValidationFailed(errors)
    _check_nothing_pending(ticket, "退单")
    evidence = _store_upload(ticket, actor, upload, Attachment.Purpose.RETURN, now) if upload is not None else None
    ReturnRequest.objects.create(ticket=ticket, department=ticket.department, reason_category=category, reason=reason,
                                 evidence=evidence, requested_by=actor, requested_at=now)
    data = {"reason_category": category}
    if evidence is not None:
        data["attachment_id"] = evidence.pk
    return Outcome(note=reason, department=ticket.department, data=data)


def _decide_return(ticket, actor, payload, now, *, approve: bool) -> Outcome:
    request, note = _decide(ticket.return_requests, actor, payload, now, approve=approve, missing="没有待审核的退单申请",
                            code="no_pending_return")
    if approve:  # upheld: the ticket waits for dispatch again and the unit is not charged with it (docs/kpi.md)
        _withdraw_pending_extension(ticket, actor, now, "工单已退回")
        _close_assists(ticket, AssistPart.Status.WITHDRAWN, now)
        ticket.department = None
        ticket.signed_at = None
    # rejected: the unit goes on with it, its clocks never stopped
    return Outcome(note=note, department=request.department, data={"reason_category": request.reason_category})


def _contact(ticket, actor, payload, now) -> Outcome:
    errors: dict[str, str] = {}
    method = _choice(errors, "method", payload["method"], ContactMethod, "联系方式")
    if errors:
        raise ValidationFailed(errors)
    first = ticket.contacted_at is None
    if first:  # the 响应 clock stops at the first contact
        ticket.contacted_at = now
    return Outcome(note=_note(payload), department=ticket.department, data={"method": method, "first": first})


def _request_extension(ticket, actor, payload, now) -> Outcome:
    reason = _note(payload, "reason")
    due_at = _parse_due(payload["due_at"])
    if due_at is None:
        raise ValidationFailed({"due_at": "延期日期格式不正确（例如 2026-12-01）"})
    if ticket.reply_due_at and now > ticket.reply_due_at:
        raise Conflict("已超过答复期限，不能再申请延期", code="deadline_passed")
    if due_at <= max(now, ticket.reply_due_at or now):
        raise ValidationFailed({"due_at": "延期日期必须晚于当前答复期限"})
    if ticket.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise Conflict("已有待审批的延期申请", code="extension_pending")
    _check_nothing_pending(ticket, "申请延期")
    ExtensionRequest.objects.create(
        ticket=ticket,
        department=ticket.department,
        reason=reason,
        requested_due_at=due_at,
        previous_due_at=ticket.reply_due_at,
        requested_by=actor,
        requested_at=now,
    )
    return Outcome(note=reason, department=ticket.department, data={"due_at": due_at.isoformat()})


def _decide(requests, actor, payload, now, *, approve: bool, missing: str, code: str):
    """Decide the one pending request (延期, 退单, 答复审核) among `requests`, locked: approved or rejected with the
    decider's note. Returns (request, note); a 409 `code` when none is pending."""
    status = requests.model.Status
    request = requests.select_for_update().filter(status=status.PENDING).first()
    if request is None:
        raise Conflict(missing, code=code)
    note = _note(payload)
    request.status = status.APPROVED if approve else status.REJECTED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return request, note


def _decide_extension(ticket, actor, payload, now, *, approve: bool) -> Outcome:
    request, note = _decide(ticket.extensions, actor, payload, now, approve=approve, missing="没有待审批的延期申请",
                            code="no_pending_extension")
    data = {"due_at": request.requested_due_at.isoformat()}
    if approve:
        data["previous_due_at"] = ticket.reply_due_at.isoformat() if ticket.reply_due_at else None
        sla.set_reply_due(ticket, request.requested_due_at, now)
    return Outcome(note=note, department=request.department, data=data)


def _contacted_with_reply(ticket, payload, now, errors) -> dict | None:
    """答复 with 已联系诉求人: the handler reached the caller (by `contacted_method`, at `contacted_at` or now) but
    recorded no 联系; the first contact stops the 响应 clock, as a 联系 does."""
    method = _text(payload.get("contacted_method"))
    if not method:
        return None
    method = _choice(errors, "contacted_method", method, ContactMethod, "联系方式")
    at = now
    if not _blank(payload.get("contacted_at")):
        parsed = parse_moment(_text(payload["contacted_at"]))
        at = None if parsed is None else parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        earliest = ticket.signed_at or ticket.dispatched_at or ticket.created_at
        if at is None:
            errors["contacted_at"] = "联系时间格式不正确（例如 2026-11-27 15:30）"
        elif not earliest <= at <= now:
            errors["contacted_at"] = "联系时间须在签收之后、现在之前"
    if errors or ticket.contacted_at is not None:
        return None
    ticket.contacted_at = at
    return {"method": method, "at": at.isoformat()}


def _answer(ticket, payload, now) -> tuple[str, str, dict | None]:
    """The answer's text, result and 已联系诉求人 (checked; the first contact stops the 响应 clock)."""
    errors: dict[str, str] = {}
    text = _text(payload["reply_text"])
    _check_length(errors, "reply_text", text, MAX_REPLY)
    result = _choice(errors, "result", payload["result"], ReplyResult, "办理结果")
    if errors:
        raise ValidationFailed(errors)
    contacted = _contacted_with_reply(ticket, payload, now, errors)
    if errors:
        raise ValidationFailed(errors)
    return text, result, contacted


def _replied(ticket, actor, text, result, contacted, at, now) -> dict:
    """The answer becomes the ticket's (dated `at`, when the unit gave it): the callback clock starts, 子单 follow."""
    _withdraw_pending_extension(ticket, actor, now, "工单已答复")
    _close_assists(ticket, AssistPart.Status.UNSUBMITTED, now)
    ticket.reply_text, ticket.reply_result, ticket.replied_at = text, result, at
    sla.start_clocks(ticket, now, [Clock.CALLBACK])
    children = _reply_children(ticket, actor, now)
    data = {"result": result}
    if contacted:
        data["contacted"] = contacted
    if children:
        data["children"] = children
    return data


def _reply(ticket, actor, payload, now) -> Outcome:
    any_rule = _check_nothing_pending(ticket, "答复")
    if review_rule(ticket, any_rule=any_rule) is not None:
        raise Conflict("该工单的答复须经热线中心审核，请提交答复审核", code="review_required")
    text, result, contacted = _answer(ticket, payload, now)
    return Outcome(note=text, department=ticket.department,
                   data=_replied(ticket, actor, text, result, contacted, now, now))


def _submit_reply(ticket, actor, payload, now) -> Outcome:
    """答复审核: the answer waits for the centre. The 响应 contact it reports counts now; the answer counts (for the
    unit's 按期办结) from now, if the centre lets it through."""
    rule = review_rule(ticket, any_rule=_check_nothing_pending(ticket, "提交答复"))
    if rule is None:
        raise Conflict("该工单的答复无需审核，请直接答复", code="review_not_required")
    text, result, contacted = _answer(ticket, payload, now)
    ReplyReview.objects.create(ticket=ticket, department=ticket.department, reply_text=text, reply_result=result,
                               contacted=contacted or {}, counts_as_redo=rule.sendback_counts_as_redo,
                               submitted_by=actor, submitted_at=now)
    data = {"result": result}
    if contacted:
        data["contacted"] = contacted
    return Outcome(note=text, department=ticket.department, data=data)


def _decide_reply(ticket, actor, payload, now, *, approve: bool) -> Outcome:
    review, note = _decide(ticket.reply_reviews, actor, payload, now, approve=approve, missing="没有待审核的答复",
                           code="no_pending_review")
    if approve:
        data = _replied(ticket, actor, review.reply_text, review.reply_result, review.contacted or None,
                        review.submitted_at, now)
        return Outcome(note=note, department=review.department, data=data)
    data = {"redo": review.counts_as_redo}
    if review.counts_as_redo:  # the rule makes the send-back a 重办: a fresh reply limit, as 重办 gives
        sla.start_clocks(ticket, now, [Clock.REPLY])
    return Outcome(note=note, department=review.department, data=data)


def _reply_children(parent, actor, now) -> list[str]:
    """并单: the 母单's answer reaches every 子单, each then waiting for its own caller's 回访."""
    if _known_none(parent, "children"):
        return []
    transition = TRANSITIONS[Action.FOLLOW_REPLY]
    numbers = []
    for child in parent.merged_children.select_for_update().filter(state=State.MERGED).order_by("id"):
        observed = lifecycle.before_move(child, transition.action)
        # The unit that answered holds the 子单 too: it sees it, and takes it back if it is sent for 重办.
        _assign(child, parent.department, now)
        child.reply_text, child.reply_result, child.replied_at = parent.reply_text, parent.reply_result, now
        sla.start_clocks(child, now, [Clock.CALLBACK])
        before, _ = move(child, transition)
        child.updated_at = now
        child.save()
        _record(child, transition, before, actor, at=now, department=parent.department, note=parent.reply_text,
                data={"parent": parent.number})
        lifecycle.moved(child, transition, observed, actor)
        numbers.append(child.number)
    return numbers


def _callback(ticket, actor, payload, now) -> Outcome:
    errors: dict[str, str] = {}
    status = _choice(errors, "status", payload["status"], CallbackStatus, "回访情况")
    satisfaction, resolved = "", None
    if status == CallbackStatus.REACHED:
        satisfaction = _choice(errors, "satisfaction", payload.get("satisfaction"), Satisfaction, "满意度")
        resolved = _bool(errors, "resolved", payload.get("resolved"), "是否解决")
    if errors:
        raise ValidationFailed(errors)
    note = _note(payload)
    ticket.callback_status, ticket.satisfaction, ticket.resolved = status, satisfaction, resolved
    ticket.callback_at = ticket.closed_at = now
    return Outcome(
        note=note,
        department=ticket.department,
        data={"status": status, "satisfaction": satisfaction, "resolved": resolved},
    )


def evaluation_open(ticket, now) -> bool:
    """A web request's answer may be rated online for JIESU_EVALUATION_DAYS after it came; then an operator calls."""
    from datetime import timedelta

    return (ticket.state == State.PENDING_CALLBACK and ticket.replied_at is not None
            and now <= ticket.replied_at + timedelta(days=settings.JIESU_EVALUATION_DAYS))


def _evaluate(ticket, actor, payload, now) -> Outcome:
    if not evaluation_open(ticket, now):
        raise Conflict("评价期已过，工作人员将电话回访", code="evaluation_closed")
    payload = {**payload, "status": CallbackStatus.REACHED}
    outcome = _callback(ticket, actor, payload, now)
    outcome.data["online"] = True
    return outcome


def _redo(ticket, actor, payload, now) -> Outcome:
    if not (ticket.satisfaction == Satisfaction.UNSATISFIED or ticket.resolved is False):
        raise Conflict("只有回访不满意或未解决的工单可以重办", code="not_unsatisfied")
    if ticket.department_id is None:
        raise Conflict("该工单没有承办单位，不能重办", code="no_department")
    ticket.reply_text = ticket.reply_result = ticket.callback_status = ticket.satisfaction = ""
    ticket.resolved = ticket.replied_at = ticket.callback_at = ticket.closed_at = None
    ticket.callback_due_at = ticket.callback_warn_at = None
    sla.start_clocks(ticket, now, [Clock.REPLY])  # 重办 gets a fresh reply limit
    data = {}
    if ticket.merged_into_id:
        # A 子单 sent back for 重办 is its own work from now on, counted as such (docs/kpi.md).
        data["detached_from"] = ticket.merged_into.number
        ticket.merged_into = None
    return Outcome(note=_note(payload), department=ticket.department, data=data)


def _supervise(ticket, actor, payload, now) -> Outcome:
    ticket.supervised = True
    return Outcome(note=_note(payload), department=ticket.department)


def _invalidate(ticket, actor, payload, now) -> Outcome:
    errors: dict[str, str] = {}
    reason = _choice(errors, "reason", payload["reason"], InvalidReason, "作废原因")
    if errors:
        raise ValidationFailed(errors)
    _check_no_children(ticket, "作废")
    _close_pending(ticket, actor, now, "工单已作废")
    ticket.invalid_reason = reason
    ticket.invalidated_at = now
    return Outcome(note=_note(payload), data={"reason": reason})


def _transfer_110(ticket, actor, payload, now) -> Outcome:
    """转110: a 警情 leaves 接诉即办 for the police (jiesu.channels.police sends it, on the lifecycle seam)."""
    reason = _text(payload["reason"])
    if len(reason) > 500:
        raise ValidationFailed({"reason": "转110原因不能超过500字"})
    _check_no_children(ticket, "转110")
    _close_pending(ticket, actor, now, "工单已转110")
    return Outcome(note=reason)


def _police_feedback(ticket, actor, payload, now) -> Outcome:
    """110反馈: what 110's system says of a 警情 it holds (its 签收, its 处警结果); the state stays."""
    text = _text(payload["text"])
    if len(text) > MAX_REPLY:
        raise ValidationFailed({"text": f"反馈内容不能超过{MAX_REPLY}字"})
    return Outcome(note=text, data={k: str(payload[k])[:100] for k in ("kind", "receipt") if payload.get(k)})


def _police_return(ticket, actor, payload, now) -> Outcome:
    """110退回: no 警情 after all; back on the 派单台."""
    reason = _text(payload["reason"])
    if len(reason) > 500:
        raise ValidationFailed({"reason": "退回原因不能超过500字"})
    return Outcome(note=reason)


def _check_upload(errors: dict, upload) -> None:
    """Check an uploaded file's name, type and size; the stored file carries the checked name."""
    name = os.path.basename(_text(getattr(upload, "name", "")).replace("\\", "/"))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(name) > 200:  # shortened before the extension, so the name kept is the name checked
        name = name[: 199 - len(extension)] + "." + extension if extension else name[:200]
    upload.name = name  # the stored file carries the checked name, never the one sent
    if extension not in settings.JIESU_ATTACHMENT_EXTENSIONS:
        allowed = "、".join(settings.JIESU_ATTACHMENT_EXTENSIONS)
        errors["file"] = f"不支持的文件类型“{extension or '无扩展名'}”，允许：{allowed}"
    elif upload.size == 0:
        errors["file"] = "文件为空"
    elif upload.size > settings.JIESU_ATTACHMENT_MAX_BYTES:
        errors["file"] = f"文件过大（上限 {settings.JIESU_ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB）"
    elif not _content_matches(extension, upload):
        errors["file"] = f"文件内容与扩展名“{extension}”不符（例如改了扩展名的程序文件），请上传原始文件"


# How each allowed type begins (its "magic number"): a renamed program is refused, whatever its name says. Types
# without one here (txt) only must not be a program.
_MAGIC = {
    "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",), "png": (b"\x89PNG",), "gif": (b"GIF87a", b"GIF89a"),
    "pdf": (b"%PDF",), "doc": (b"\xd0\xcf\x11\xe0",), "xls": (b"\xd0\xcf\x11\xe0",), "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",), "wav": (b"RIFF",), "amr": (b"#!AMR",),
    "mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xe3"),
}
_PROGRAMS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")


def _content_matches(extension: str, upload) -> bool:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if extension == "mp4":
        return head[4:8] == b"ftyp"
    if extension in _MAGIC:
        return head.startswith(_MAGIC[extension])
    return not head.startswith(_PROGRAMS)


def _store_upload(ticket, actor, upload, purpose, now) -> Attachment:
    attachment = Attachment.objects.create(
        ticket=ticket,
        purpose=purpose,
        file=upload,
        name=upload.name,
        size=upload.size,
        content_type=mimetypes.guess_type(upload.name)[0] or "application/octet-stream",
        uploaded_by=actor,
        uploaded_at=now,
    )
    storage.written(attachment.file.name)  # deleted again if the action does not commit
    return attachment


def _attach(ticket, actor, payload, now) -> Outcome:
    upload = payload.get("file")
    if upload is None:
        raise ValidationFailed({"file": "请选择要上传的文件"})
    errors: dict[str, str] = {}
    _check_upload(errors, upload)
    purpose = _choice(errors, "purpose", payload.get("purpose") or Attachment.Purpose.REQUEST, Attachment.Purpose,
                      "附件用途")
    if errors:
        raise ValidationFailed(errors)
    attachment = _store_upload(ticket, actor, upload, purpose, now)
    return Outcome(note=attachment.name,
                   data={"attachment_id": attachment.pk, "size": attachment.size, "purpose": purpose})


def _link_event(ticket, event: LinkEvent, actor, now, note: str, data: dict) -> None:
    """The other side of a merge, in the 母单's history; its state does not change."""
    TicketEvent.objects.create(
        ticket=ticket, action=event, from_state=ticket.state, to_state=ticket.state, actor=actor,
        actor_department=department_of(actor), department=ticket.department, note=note, data=data, created_at=now,
    )


def _merge(ticket, actor, payload, now) -> Outcome:
    number = _text(payload["parent"])
    # only a 母单 the actor may open: neither its existence nor its state is told otherwise
    parent = Ticket.objects.visible_to(actor).select_for_update().filter(number=number).first()
    if parent is None:
        raise ValidationFailed({"parent": f"母单不存在或无权查看：{number}"})
    if Channel.PETITION in (parent.channel, ticket.channel):
        raise Conflict("信访事项不参与并单", code="petition_not_mergeable")
    if parent.pk == ticket.pk:
        raise ValidationFailed({"parent": "不能并入自身"})
    if parent.state not in MERGEABLE_STATES:
        raise Conflict(f"母单 {parent.number} 当前为“{parent.get_state_display()}”，只能并入未答复的工单",
                       code="parent_not_open")
    if ticket.merged_children.filter(state=State.MERGED).exists():
        raise Conflict("该工单本身有子单，请把子单直接并入新的母单", code="has_merged_children")
    note = _note(payload)
    ticket.merged_into = parent
    _link_event(parent, LinkEvent.CHILD_MERGED, actor, now, note, {"child": ticket.number})
    return Outcome(note=note, department=parent.department, data={"parent": parent.number})


def _unmerge(ticket, actor, payload, now) -> Outcome:
    parent = Ticket.objects.select_for_update().get(pk=ticket.merged_into_id)
    note = _note(payload)
    ticket.merged_into = None
    _link_event(parent, LinkEvent.CHILD_UNMERGED, actor, now, note, {"child": ticket.number})
    return Outcome(note=note, data={"parent": parent.number})


EFFECTS = {
    Action.INSTANT_CLOSE: _instant_close,
    Action.DISPATCH: _dispatch,
    Action.WITHDRAW: _withdraw,
    Action.SIGN: _sign,
    Action.ADD_ASSIST: _add_assist,
    Action.SIGN_ASSIST: _sign_assist,
    Action.SUBMIT_ASSIST: _submit_assist,
    Action.SUBDISPATCH: _subdispatch,
    Action.RETURN: _return,
    Action.APPROVE_RETURN: lambda t, a, p, n: _decide_return(t, a, p, n, approve=True),
    Action.REJECT_RETURN: lambda t, a, p, n: _decide_return(t, a, p, n, approve=False),
    Action.CONTACT: _contact,
    Action.REQUEST_EXTENSION: _request_extension,
    Action.APPROVE_EXTENSION: lambda t, a, p, n: _decide_extension(t, a, p, n, approve=True),
    Action.REJECT_EXTENSION: lambda t, a, p, n: _decide_extension(t, a, p, n, approve=False),
    Action.REPLY: _reply,
    Action.SUBMIT_REPLY: _submit_reply,
    Action.APPROVE_REPLY: lambda t, a, p, n: _decide_reply(t, a, p, n, approve=True),
    Action.REJECT_REPLY: lambda t, a, p, n: _decide_reply(t, a, p, n, approve=False),
    Action.CALLBACK: _callback,
    Action.EVALUATE: _evaluate,
    Action.REDO: _redo,
    Action.SUPERVISE: _supervise,
    Action.INVALIDATE: _invalidate,
    Action.ATTACH: _attach,
    Action.MERGE: _merge,
    Action.UNMERGE: _unmerge,
    Action.ACCEPT_110: lambda t, a, p, n: Outcome(note=_note(p)),
    Action.TRANSFER_110: _transfer_110,
    Action.POLICE_FEEDBACK: _police_feedback,
    Action.POLICE_RETURN: _police_return,
}


def _field_values(ticket) -> dict:
    return {f.name: getattr(ticket, f.attname) for f in Ticket._meta.concrete_fields if not f.primary_key}


def _lock(actor, number: str, action: Action, payload: dict) -> Ticket:
    """Lock the ticket, and the 母单 or 子单 the action will also change, in one order (by id) and one statement,
    so that two actions on the same pair (A into B while B into A, an unmerge while the 母单 answers) wait for
    each other instead of deadlocking."""
    if action not in (Action.MERGE, Action.UNMERGE, Action.REPLY, Action.APPROVE_REPLY) \
            or not connection.features.has_select_for_update:  # SQLite: BEGIN IMMEDIATE has serialized the writers
        return access.access_ticket(actor, number, for_update=True)
    if action in (Action.REPLY, Action.APPROVE_REPLY):  # the ticket and its 子单, found and locked in one statement (no join: PostgreSQL
        # locks no row of an outer join's nullable side)
        this = Ticket.objects.filter(number=number).values("pk")
        rows = Ticket.objects.filter(Q(number=number) | Q(merged_into_id__in=this, state=State.MERGED))
        list(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
        return access.access_ticket(actor, number, for_update=True)
    ticket = access.access_ticket(actor, number)
    if action == Action.MERGE:
        others = Ticket.objects.filter(number=_text(payload.get("parent")))
    else:
        others = Ticket.objects.filter(pk=ticket.merged_into_id)
    ids = {ticket.pk, *others.values_list("pk", flat=True)}
    list(Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    return access.access_ticket(actor, number, for_update=True)


@retry_on_conflict
@storage.files_follow_transaction
@transaction.atomic
def perform(number: str, action: str, *, actor, **payload) -> Ticket:
    """Apply one workflow action to the ticket with this number, as `actor`. Returns the saved ticket.
    A deadlock or serialization failure is tried again, then refused with a 409 (`concurrent_update`)."""
    try:
        action = Action(action)
    except ValueError:
        raise ValidationFailed({"action": f"未知的操作：{action}"}) from None
    if action == Action.CREATE:
        raise ValidationFailed({"action": "登记请使用 create_ticket"})
    if not TRANSITIONS[action].manual:
        raise ValidationFailed({"action": f"“{action.label}”随母单答复自动完成，不能单独执行"})
    ticket = _lock(actor, number, action, payload)
    try:
        transition = transition_for(ticket.state, action)
    except TransitionNotAllowed as exc:
        raise Conflict(str(exc), code="transition_not_allowed") from None
    access.check_can_act(actor, ticket, transition)
    _check_required(transition, payload)
    now = clock.now()
    original = _field_values(ticket)
    observed = lifecycle.before_move(ticket, action)
    outcome = EFFECTS[action](ticket, actor, payload, now)
    before, _ = move(ticket, transition)
    ticket.updated_at = now
    ticket.save(update_fields=[name for name, value in _field_values(ticket).items() if original[name] != value])
    _record(ticket, transition, before, actor, at=now, department=outcome.department, note=outcome.note,
            data=outcome.data)
    lifecycle.moved(ticket, transition, observed, actor)
    return ticket
