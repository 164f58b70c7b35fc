"""The citizen side (12345 网站 / 移动端): what a citizen may see of their own request.

`track(number, code)` answers a 进度查询 by ticket number and 查询码 — the same `None` for a wrong code as for a
number that does not exist, so the page reveals nothing to someone guessing. `citizen_view` turns a ticket and its
history into the citizen's timeline: 已受理 / 已派至某单位 / 办理中 / 已答复 / 已办结, with dates, the handling
unit's name, the answer and any 延期 with its reason; never internal notes, staff names, other units' work
(协办, 督办, 退单审核) or anyone else's data.
"""

import hmac
from dataclasses import dataclass, field
from datetime import datetime

from jiesu.core.masking import mask_text
from jiesu.tickets.models import ExtensionRequest, Ticket
from jiesu.tickets.workflow import Action, State

# What a citizen is told the request's state is (their words, not the back office's).
PUBLIC_STATE = {
    State.PENDING_DISPATCH: "已受理",
    State.MERGED: "已受理（与相同诉求合并办理）",
    State.PENDING_SIGN: "办理中",
    State.IN_PROGRESS: "办理中",
    State.PENDING_CALLBACK: "已答复",
    State.CLOSED: "已办结",
    State.INVALID: "已终止",
}


@dataclass
class Step:
    at: datetime
    title: str
    detail: str = ""


@dataclass
class CitizenView:
    number: str
    kind: str
    title: str
    created_at: datetime
    state: str
    done: bool
    unit: str
    reply: str
    replied_at: datetime | None
    steps: list[Step] = field(default_factory=list)


def track(number: str, code: str) -> CitizenView | None:
    """The citizen's view of the request with this number, if `code` is its 查询码; otherwise None (either way the
    same work: the code is compared in constant time even when there is no such ticket)."""
    number, code = (number or "").strip()[:20], (code or "").strip()[:8]
    ticket = Ticket.objects.filter(number=number).select_related("department").first() if number.isdigit() else None
    expected = ticket.query_code if ticket is not None and ticket.query_code else "\x00" * 6
    if not (hmac.compare_digest(expected.encode(), code.encode()) and ticket is not None and code):
        return None
    return citizen_view(ticket)


def citizen_view(ticket: Ticket) -> CitizenView:
    names = [ticket.caller_name]
    steps: list[Step] = []
    extensions = {e.decided_at: e for e in ticket.extensions.filter(status=ExtensionRequest.Status.APPROVED)}
    for e in ticket.events.select_related("department").order_by("created_at", "id"):
        unit = e.department.name if e.department else ""
        match e.action:
            case Action.CREATE:
                steps.append(Step(e.created_at, "已受理", f"工单编号 {ticket.number}"))
            case Action.INSTANT_CLOSE:
                steps.append(Step(e.created_at, "已答复并办结", "来电时已当场解答"))
            case Action.DISPATCH:
                steps.append(Step(e.created_at, f"已派至{unit}", "由该单位负责办理"))
            case Action.SUBDISPATCH:
                steps.append(Step(e.created_at, f"已转至{unit}", "由该单位具体办理"))
            case Action.WITHDRAW | Action.APPROVE_RETURN:
                steps.append(Step(e.created_at, "正在调整承办单位", "将另行派至负责的单位"))
            case Action.SIGN:
                steps.append(Step(e.created_at, f"{unit}已接收，正在办理"))
            case Action.CONTACT if (e.data or {}).get("first"):
                steps.append(Step(e.created_at, "承办单位已与您联系"))
            case Action.APPROVE_EXTENSION:
                x = extensions.get(e.created_at)
                due = (e.data or {}).get("due_at", "")[:10]
                reason = f"，原因：{mask_text(x.reason, names=names)}" if x else ""
                steps.append(Step(e.created_at, "办理期限延长", f"延长至 {due}{reason}"))
            case Action.REPLY | Action.FOLLOW_REPLY | Action.APPROVE_REPLY:
                steps.append(Step(e.created_at, "已答复", "答复见上方"))
            case Action.CALLBACK:
                steps.append(Step(e.created_at, "已办结", "已完成回访"))
            case Action.REDO:
                steps.append(Step(e.created_at, "重新办理", "根据您的意见，已要求承办单位重新办理"))
            case Action.MERGE:
                steps.append(Step(e.created_at, "与相同诉求合并办理", "办理结果将同样答复您"))
            case Action.UNMERGE:
                steps.append(Step(e.created_at, "恢复单独办理"))
            case Action.INVALIDATE:
                steps.append(Step(e.created_at, "已终止办理"))
    answered = ticket.state in (State.PENDING_CALLBACK, State.CLOSED) and bool(ticket.reply_text)
    return CitizenView(
        number=ticket.number, kind=ticket.get_kind_display(), title=mask_text(ticket.title, names=names),
        created_at=ticket.created_at, state=PUBLIC_STATE[State(ticket.state)],
        done=ticket.state in (State.CLOSED, State.INVALID),
        unit=ticket.department.name if ticket.department and ticket.state != State.PENDING_DISPATCH else "",
        reply=mask_text(ticket.reply_text, names=names) if answered else "",
        replied_at=ticket.replied_at if answered else None, steps=steps,
    )
