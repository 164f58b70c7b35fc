"""The ticket workflow: one transition table (state × action → new state, who may act, what is required).

`move()` below is the only code that assigns `Ticket.state`; `tests/test_lint.py` enforces it.
Services look up the transition here, check the actor through `jiesu.tickets.access`, apply the
action's effects, then call `move()` and write one TicketEvent, all in one transaction.
"""

import enum
from dataclasses import dataclass

from django.db import models


class State(models.TextChoices):
    PENDING_DISPATCH = "pending_dispatch", "待派单"
    MERGED = "merged", "已并单"
    PENDING_SIGN = "pending_sign", "待签收"
    IN_PROGRESS = "in_progress", "办理中"
    PENDING_CALLBACK = "pending_callback", "待回访"
    CLOSED = "closed", "已办结"
    INVALID = "invalid", "已作废"
    TRANSFERRED = "transferred", "已转110"  # a 警情: handed to the 110 police dispatch (jiesu.channels.police)


class Action(models.TextChoices):
    CREATE = "create", "登记"
    INSTANT_CLOSE = "instant_close", "即时办结"
    DISPATCH = "dispatch", "派单"
    WITHDRAW = "withdraw", "撤回"
    SIGN = "sign", "签收"
    ADD_ASSIST = "add_assist", "增加协办"
    SIGN_ASSIST = "sign_assist", "协办签收"
    SUBMIT_ASSIST = "submit_assist", "协办反馈"
    SUBDISPATCH = "subdispatch", "下派"
    RETURN = "return", "退单"
    APPROVE_RETURN = "approve_return", "同意退单"
    REJECT_RETURN = "reject_return", "驳回退单"
    CONTACT = "contact", "联系诉求人"
    REQUEST_EXTENSION = "request_extension", "申请延期"
    APPROVE_EXTENSION = "approve_extension", "批准延期"
    REJECT_EXTENSION = "reject_extension", "驳回延期"
    REPLY = "reply", "答复"
    SUBMIT_REPLY = "submit_reply", "提交答复审核"
    APPROVE_REPLY = "approve_reply", "答复审核通过"
    REJECT_REPLY = "reject_reply", "答复退回"
    CALLBACK = "callback", "回访"
    EVALUATE = "evaluate", "网上评价"
    REDO = "redo", "重办"
    SUPERVISE = "supervise", "督办"
    INVALIDATE = "invalidate", "作废"
    ATTACH = "attach", "上传附件"
    MERGE = "merge", "并单"
    UNMERGE = "unmerge", "撤销并单"
    FOLLOW_REPLY = "follow_reply", "随母单答复"
    ACCEPT_110 = "accept_110", "签收110转办"
    TRANSFER_110 = "transfer_110", "转110"
    POLICE_FEEDBACK = "police_feedback", "110反馈"
    POLICE_RETURN = "police_return", "110退回"


class SystemEvent(models.TextChoices):
    """History entries written by the time-limit sweep. They never change the state, so they are not actions."""

    SLA_WARNING = "sla_warning", "临期提醒"
    SLA_OVERDUE = "sla_overdue", "超期"
    URGE = "urge", "催办"
    ESCALATE = "escalate", "升级督办"


class LinkEvent(models.TextChoices):
    """History entries on the 母单 when a 子单 joins or leaves it. They never change the 母单's state."""

    CHILD_MERGED = "child_merged", "并入子单"
    CHILD_UNMERGED = "child_unmerged", "子单撤销并单"


class Scope(enum.Enum):
    """Which of the permitted users may act on a given ticket (checked in access.py)."""

    VISIBLE = "any user with the permission who can see the ticket"
    ASSIGNEE = "staff of the department the ticket is assigned to"
    CREATOR = "the user who registered the ticket"
    PARTICIPANT = "the department the ticket is assigned to now, the user who registered it, or the hotline centre"
    ASSISTANT = "staff of a department with an open 协办 part of the ticket"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[State]
    target: State | None  # None: the state does not change
    perm: str  # code in jiesu.directory.permissions.CATALOGUE
    scope: Scope
    required: tuple[str, ...] = ()  # payload fields the action must carry
    manual: bool = True  # False: only ever taken as a consequence of another ticket's action


S = State
OPEN = frozenset({S.PENDING_DISPATCH, S.PENDING_SIGN, S.IN_PROGRESS})
ALL_BUT_INVALID = frozenset(set(S) - {S.INVALID})
HELD = frozenset({S.PENDING_SIGN, S.IN_PROGRESS})  # with a unit


def _t(action, sources, target, perm, scope=Scope.VISIBLE, required=(), manual=True):
    return Transition(action, frozenset(sources), target, perm, scope, tuple(required), manual)


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in [
        _t(Action.CREATE, [], S.PENDING_DISPATCH, "ticket.create", required=["content"]),
        _t(Action.INSTANT_CLOSE, [S.PENDING_DISPATCH], S.CLOSED, "ticket.instant_close", Scope.CREATOR,
           ["reply_text"]),
        _t(Action.DISPATCH, [S.PENDING_DISPATCH], S.PENDING_SIGN, "ticket.dispatch", required=["department"]),
        # 撤回 before the unit signed (sent to the wrong unit); 改派 is 撤回 then 派单. A second dispatcher's 派单 of
        # a ticket already sent stays a 409, never a silent 改派.
        _t(Action.WITHDRAW, [S.PENDING_SIGN], S.PENDING_DISPATCH, "ticket.dispatch", required=["reason"]),
        _t(Action.SIGN, [S.PENDING_SIGN], S.IN_PROGRESS, "ticket.sign", Scope.ASSIGNEE),
        # 主办/协办: 派单 may name assisting units (`assist`), or the dispatcher adds them later; each signs its part
        # and sends it to the lead, who answers the caller. The ticket's state is the lead's.
        _t(Action.ADD_ASSIST, HELD, None, "ticket.dispatch", required=["assist"]),
        _t(Action.SIGN_ASSIST, HELD, None, "ticket.sign", Scope.ASSISTANT),
        _t(Action.SUBMIT_ASSIST, HELD, None, "ticket.reply", Scope.ASSISTANT, ["text"]),
        _t(Action.SUBDISPATCH, [S.IN_PROGRESS], S.PENDING_SIGN, "ticket.subdispatch", Scope.ASSIGNEE,
           ["department"]),
        # 退单审核: the unit's 退单 is a request (reason category, note, evidence); the ticket stays with it, clocks
        # running, until the dispatcher upholds it (back to 待派单) or rejects it (the unit goes on).
        _t(Action.RETURN, HELD, None, "ticket.return", Scope.ASSIGNEE, ["reason_category", "reason"]),
        _t(Action.APPROVE_RETURN, HELD, S.PENDING_DISPATCH, "return.decide"),
        _t(Action.REJECT_RETURN, HELD, None, "return.decide", required=["note"]),
        _t(Action.CONTACT, [S.IN_PROGRESS], None, "ticket.contact", Scope.ASSIGNEE, ["method"]),
        _t(Action.REQUEST_EXTENSION, [S.IN_PROGRESS], None, "extension.request", Scope.ASSIGNEE,
           ["reason", "due_at"]),
        _t(Action.APPROVE_EXTENSION, [S.IN_PROGRESS], None, "extension.decide"),
        _t(Action.REJECT_EXTENSION, [S.IN_PROGRESS], None, "extension.decide", required=["note"]),
        _t(Action.REPLY, [S.IN_PROGRESS], S.PENDING_CALLBACK, "ticket.reply", Scope.ASSIGNEE,
           ["reply_text", "result"]),
        # 答复审核 (where a ReplyReviewRule applies): the unit submits its answer, the centre lets it go to callback
        # or sends it back with a note. Without a rule the unit's 答复 goes straight on.
        _t(Action.SUBMIT_REPLY, [S.IN_PROGRESS], None, "ticket.reply", Scope.ASSIGNEE, ["reply_text", "result"]),
        _t(Action.APPROVE_REPLY, [S.IN_PROGRESS], S.PENDING_CALLBACK, "reply.review"),
        _t(Action.REJECT_REPLY, [S.IN_PROGRESS], None, "reply.review", required=["note"]),
        _t(Action.CALLBACK, [S.PENDING_CALLBACK], S.CLOSED, "ticket.callback", required=["status"]),
        # 网上评价: the citizen rates the answer on the website, in place of the phone 回访 (counted as one, once).
        _t(Action.EVALUATE, [S.PENDING_CALLBACK], S.CLOSED, "ticket.evaluate", Scope.CREATOR,
           ["satisfaction", "resolved"]),
        _t(Action.REDO, [S.CLOSED], S.IN_PROGRESS, "ticket.redo", required=["note"]),
        _t(Action.SUPERVISE, OPEN | {S.PENDING_CALLBACK}, None, "ticket.supervise", required=["note"]),
        _t(Action.INVALIDATE, OPEN, S.INVALID, "ticket.invalidate", required=["reason"]),
        _t(Action.ATTACH, ALL_BUT_INVALID, None, "ticket.attach", Scope.PARTICIPANT),
        _t(Action.MERGE, [S.PENDING_DISPATCH], S.MERGED, "ticket.merge", required=["parent"]),
        _t(Action.UNMERGE, [S.MERGED], S.PENDING_DISPATCH, "ticket.merge"),
        # Never taken on its own: the 母单's 答复 takes it for each 子单, as the same actor, in the same transaction.
        _t(Action.FOLLOW_REPLY, [S.MERGED], S.PENDING_CALLBACK, "ticket.reply", manual=False),
        # 110 ↔ 12345 联动 (jiesu.channels.police): the centre hands a 警情 to 110 before dispatching it (a unit that
        # finds one sends it back with 退单); 110's system answers — its 签收 and 处警结果 as 110反馈, and 110退回
        # when it is no 警情 after all, which puts it back on the 派单台.
        # 签收 of a 110 transfer tells 110 the centre has it (dispatching it also does); 转110 of one 110 handed us
        # sends it back as a 警情.
        _t(Action.ACCEPT_110, [S.PENDING_DISPATCH], None, "police110.handle"),
        _t(Action.TRANSFER_110, [S.PENDING_DISPATCH], S.TRANSFERRED, "police110.transfer", required=["reason"]),
        _t(Action.POLICE_FEEDBACK, [S.TRANSFERRED], None, "police110.peer", required=["text"]),
        _t(Action.POLICE_RETURN, [S.TRANSFERRED], S.PENDING_DISPATCH, "police110.peer", required=["reason"]),
    ]
}

# Buckets that KPIs and Open311 use instead of raw states.
BUCKETS: dict[State, str] = {
    S.PENDING_DISPATCH: "open",
    S.MERGED: "open",
    S.PENDING_SIGN: "open",
    S.IN_PROGRESS: "open",
    S.PENDING_CALLBACK: "replied",
    S.CLOSED: "closed",
    S.INVALID: "closed",
    S.TRANSFERRED: "closed",
}
# Open311 GeoReport v2 knows only "open" and "closed". Answered (awaiting callback) counts as closed: the
# department has acted and status_notes carries its answer; a 重办 opens it again.
OPEN311_STATUS: dict[State, str] = {
    S.PENDING_DISPATCH: "open",
    S.MERGED: "open",
    S.PENDING_SIGN: "open",
    S.IN_PROGRESS: "open",
    S.PENDING_CALLBACK: "closed",
    S.CLOSED: "closed",
    S.INVALID: "closed",
    S.TRANSFERRED: "closed",
}
OPEN_STATES = frozenset(s for s, b in BUCKETS.items() if b == "open")
# A 母单 must still be waiting for its answer, and not be a 子单 itself.
MERGEABLE_STATES = OPEN_STATES - {S.MERGED}
FINAL_STATES = frozenset({S.CLOSED, S.INVALID, S.TRANSFERRED})
# Tickets that left 接诉即办's count: 作废, and 警情 handed to 110 (no rate or rollup counts them).
NOT_COUNTED = frozenset({S.INVALID, S.TRANSFERRED})


class TransitionNotAllowed(Exception):
    def __init__(self, state: State, action: Action):
        self.state = State(state)
        self.action = Action(action)
        super().__init__(f"工单当前状态为“{self.state.label}”，不能执行“{self.action.label}”")


def transition_for(state: str, action: str) -> Transition:
    """The transition for this action from this state, or TransitionNotAllowed."""
    transition = TRANSITIONS.get(Action(action))
    if transition is None or state not in transition.sources:
        raise TransitionNotAllowed(State(state), Action(action))
    return transition


def in_order(states) -> list[State]:
    """States in the order of the workflow (not alphabetical), for docs and pages."""
    order = list(State)
    return sorted((State(s) for s in states), key=order.index)


def actions_from(state: str) -> list[Action]:
    return [a for a, t in TRANSITIONS.items() if state in t.sources and t.manual]


def move(ticket, transition: Transition) -> tuple[str, str]:
    """Apply the transition's target state to the ticket (not saved). Returns (from_state, to_state)."""
    before = ticket.state if transition.action != Action.CREATE else ""
    if transition.target is not None:
        ticket.state = transition.target
    return before, ticket.state


def graph() -> str:
    """The table as a Mermaid state diagram, for docs/workflow.md."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.PENDING_DISPATCH.name}: {Action.CREATE.label}"]
    for t in TRANSITIONS.values():
        if t.action == Action.CREATE:
            continue
        for source in in_order(t.sources):
            target = t.target or source
            lines.append(f"    {State(source).name} --> {State(target).name}: {t.action.label}")
    return "\n".join(lines)
