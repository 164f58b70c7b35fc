"""信访代办 on the ticket core (docs/channels.md): "推行信访代办制…'事心双解''案结事了'".

A 信访事项 is a ticket on channel 信访 (its rule: 60 days to conclude) with a `Petition` beside it. The 信访办
(`Role.PETITION`) registers it, hands it to the unit that must settle it (派单, as any ticket, never 智能派单) and
assigns a **代办员** (`Role.PETITION_AGENT`), who follows it to its end:

- logs each visit and talk (`log_visit`: 上门走访, 电话沟通, 约谈, 陪同办理);
- once the unit has answered, records **事了** (the matter: 已解决/部分解决/未解决) and **心解** (the person's own
  acceptance: 认可/基本认可/不认可) apart, after at least one visit — which is the ticket's 回访 and closes it
  (`conclude`; the seam refuses any other 回访 of a 信访事项);
- goes back after closing: the **跟踪回访** is due JIESU_PETITION_FOLLOW_UP_DAYS later (`log_visit` with kind
  跟踪回访).

A 重办 (the 信访办, when 事了 or 心解 fell short) reopens it: the conclusion and the follow-up are cleared.
信访事项 are never published and are seen only by those who handle them (tickets.access).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q

from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiesu.core.validators import is_storable_text, is_valid_phone, normalize_phone, parse_day
from jiesu.directory.models import Department
from jiesu.directory.permissions import has_perm
from jiesu.tickets import services as tickets
from jiesu.tickets.models import Channel, Kind, Satisfaction, Ticket
from jiesu.tickets.workflow import Action, State

from .models import Accepted, Petition, PetitionForm, PetitionVisit, Settled

SATISFACTION = {Accepted.YES: Satisfaction.SATISFIED, Accepted.PARTLY: Satisfaction.BASIC,
                Accepted.NO: Satisfaction.UNSATISFIED}
KINDS = (Kind.COMPLAINT, Kind.HELP, Kind.SUGGESTION, Kind.REPORT, Kind.OTHER)
FOLLOW_UP_WINDOW_DAYS = 7  # a 跟踪回访 is a visit some weeks on, not the day of closing


def _text(data, name, label, errors, *, limit, required=True) -> str:
    value = str(data.get(name) or "").replace("\r\n", "\n").strip()
    if required and not value:
        errors[name] = f"请填写{label}"
    elif len(value) > limit or not is_storable_text(value):
        errors[name] = f"{label}不超过{limit}字，且不能含有无法保存的字符"
    return value


def agents():
    """Who may be assigned: active staff with the 代办员 role."""
    from jiesu.directory.models import Role

    return (get_user_model().objects.filter(is_active=True, staff__roles__role=Role.PETITION_AGENT)
            .select_related("staff__department").distinct().order_by("staff__department__code", "username"))


def _agent(errors, username) -> object | None:
    found = agents().filter(username=str(username or "").strip()).first() if username else None
    if found is None:
        errors["agent"] = "请选择代办员（具有信访代办员角色的在岗人员）"
    return found


# ---------------------------------------------------------------- registration and assignment

@transaction.atomic
def register(actor, data) -> Petition:
    """登记: the matter and its ticket, its 代办员, and — when the unit is named — handed to it at once."""
    if not has_perm(actor, "petition.register"):
        raise PermissionDenied("您无权登记信访事项", code="petition_forbidden")
    errors: dict[str, str] = {}
    form = str(data.get("form") or "")
    if form not in PetitionForm.values:
        errors["form"] = "请选择信访形式（来信、来访、网上信访或电话）"
    case_number = _text(data, "case_number", "信访件编号", errors, limit=40, required=False)
    if case_number and Petition.objects.filter(case_number=case_number).exists():
        errors["case_number"] = f"信访件编号 {case_number} 已登记"
    kind = str(data.get("kind") or Kind.COMPLAINT)
    if kind not in KINDS:
        errors["kind"] = "请选择诉求类型（投诉、求助、建议、举报或其他）"
    # in the 信访办's words and in one round (the ticket's own checks would speak of 来电人 and 诉求内容)
    _text(data, "caller_name", "信访人姓名", errors, limit=tickets.MAX_NAME)
    phone = normalize_phone(str(data.get("caller_phone") or "").strip())
    if not phone:
        errors["caller_phone"] = "请填写信访人联系电话"
    elif not is_valid_phone(phone):
        errors["caller_phone"] = "联系电话格式不正确（手机号11位，固话请带区号）"
    _text(data, "content", "信访事项内容", errors, limit=tickets.MAX_CONTENT)
    _text(data, "title", "事项标题", errors, limit=100, required=False)
    _text(data, "address", "地址", errors, limit=200, required=False)
    agent = _agent(errors, data.get("agent"))
    unit = None
    if data.get("department"):
        unit = Department.objects.filter(code=str(data["department"]), active=True).first()
        if unit is None or unit.kind == Department.Kind.HOTLINE_CENTER:
            errors["department"] = "承办单位不存在或已停用"
    if errors:
        raise ValidationFailed(errors, message="信访事项登记有误")
    ticket = tickets.create_ticket(actor=actor, data={
        "channel": Channel.PETITION, "kind": kind, "urgency": data.get("urgency") or "normal",
        "title": data.get("title") or "", "content": data.get("content"), "caller_name": data.get("caller_name"),
        "caller_phone": data.get("caller_phone"), "address": data.get("address") or "",
        "region": data.get("region") or "", "category": data.get("category") or "",
        # the 信访办 and the 代办员 speak with the person; the hotline's SMS (受理回执, 答复 notice) would confuse
        "sms_opt_out": True})
    now = clock.now()
    petition = Petition.objects.create(ticket=ticket, form=form, case_number=case_number, agent=agent,
                                       assigned_at=now, registered_by=actor)
    if unit is not None:
        petition.ticket = tickets.perform(ticket.number, Action.DISPATCH, actor=actor, department=unit.code,
                                          note=str(data.get("note") or "请会同代办员办理，做到事心双解")[:500])
    return petition


def visible(user):
    if not (has_perm(user, "petition.view_all") or has_perm(user, "petition.agent")
            or has_perm(user, "ticket.view_department")):
        raise PermissionDenied("您无权查看信访事项", code="action_forbidden")
    return Petition.objects.filter(ticket__in=Ticket.objects.visible_to(user))


def get(user, number: str) -> Petition:
    found = visible(user).select_related("ticket", "ticket__department", "agent").filter(
        ticket__number=number).first()
    if found is None:
        raise NotFound("信访事项不存在或无权查看", code="petition_not_found")
    return found


@transaction.atomic
def reassign(actor, number: str, username: str) -> Petition:
    """另派代办员 (the 信访办): the new one sees it from now on, the old one no longer."""
    if not has_perm(actor, "petition.register"):
        raise PermissionDenied("只有信访干部可以指派代办员", code="petition_forbidden")
    petition = get(actor, number)
    errors: dict[str, str] = {}
    agent = _agent(errors, username)
    if errors:
        raise ValidationFailed(errors)
    if agent.pk == petition.agent_id:
        raise Conflict("已是该事项的代办员", code="petition_same_agent")
    Petition.objects.filter(pk=petition.pk).update(agent=agent, assigned_at=clock.now())
    petition.refresh_from_db()
    return petition


# ---------------------------------------------------------------- the 代办员's work

def _own(actor, number: str) -> Petition:
    petition = get(actor, number)
    if not has_perm(actor, "petition.agent") or petition.agent_id != actor.pk:
        raise PermissionDenied("只有该事项的代办员可以记录", code="petition_not_agent")
    return petition


@transaction.atomic
def log_visit(actor, number: str, data) -> PetitionVisit:
    """走访/沟通 while the matter is open; the 跟踪回访 once it is closed."""
    petition = _own(actor, number)
    ticket = Ticket.objects.select_for_update().get(pk=petition.ticket_id)
    errors: dict[str, str] = {}
    kind = str(data.get("kind") or "")
    if kind not in PetitionVisit.Kind.values:
        errors["kind"] = "请选择方式"
    held_on = parse_day(data.get("held_on"))
    if held_on is None:
        errors["held_on"] = "请填写有效日期"
    elif held_on > clock.today():
        errors["held_on"] = "日期不能晚于今天"
    elif held_on < clock.local_day(ticket.created_at):
        errors["held_on"] = "日期不能早于登记之日"
    note = _text(data, "note", "情况", errors, limit=2000)
    if errors:
        raise ValidationFailed(errors, message="走访记录有误")
    closed = ticket.state == State.CLOSED
    if kind == PetitionVisit.Kind.FOLLOW_UP and not closed:
        raise Conflict("跟踪回访在事项办结之后进行", code="petition_not_closed")
    if (kind == PetitionVisit.Kind.FOLLOW_UP and petition.follow_up_due is not None and held_on is not None
            and held_on < petition.follow_up_due - timedelta(days=FOLLOW_UP_WINDOW_DAYS)):
        raise Conflict(f"跟踪回访于 {petition.follow_up_due:%Y-%m-%d} 到期，可在到期前{FOLLOW_UP_WINDOW_DAYS}天内进行；"
                       "办结后的沟通请在到期后一并记入", code="petition_follow_up_early")
    if closed and kind != PetitionVisit.Kind.FOLLOW_UP:
        raise Conflict("事项已办结：请记录跟踪回访", code="petition_closed")
    if ticket.state in (State.INVALID, State.MERGED, State.TRANSFERRED):
        raise Conflict("事项已终止，不能再记录", code="petition_ended")
    now = clock.now()
    visit = PetitionVisit.objects.create(petition=petition, kind=kind, held_on=held_on, note=note, by=actor, at=now)
    if kind == PetitionVisit.Kind.FOLLOW_UP and petition.followed_up_at is None:
        Petition.objects.filter(pk=petition.pk).update(followed_up_at=now)
    return visit


@transaction.atomic
def conclude(actor, number: str, data) -> Petition:
    """事心双解: the matter (事了) and the person's acceptance (心解), recorded apart, after the unit's answer and at
    least one visit; this is the ticket's 回访 and closes it, and the 跟踪回访 falls due."""
    petition = _own(actor, number)
    if petition.ticket.state != State.PENDING_CALLBACK:
        raise Conflict("承办单位答复后才能确认事了、心解", code="petition_not_answered")
    if not petition.visits.exists():
        raise Conflict("请先记录至少一次走访或沟通", code="petition_no_visit")
    errors: dict[str, str] = {}
    settled, accepted = str(data.get("settled") or ""), str(data.get("accepted") or "")
    if settled not in Settled.values:
        errors["settled"] = "请选择事了情况"
    if accepted not in Accepted.values:
        errors["accepted"] = "请选择心解情况（信访人本人的认可）"
    settled_note = _text(data, "settled_note", "事了情况说明", errors, limit=2000)
    accepted_note = _text(data, "accepted_note", "心解情况说明", errors, limit=2000)
    if errors:
        raise ValidationFailed(errors, message="事心双解确认有误")
    now = clock.now()
    due = clock.today() + timedelta(days=settings.JIESU_PETITION_FOLLOW_UP_DAYS)
    Petition.objects.filter(pk=petition.pk).update(
        settled=settled, settled_note=settled_note, accepted=accepted, accepted_note=accepted_note,
        concluded_at=now, follow_up_due=due, followed_up_at=None)
    tickets.perform(number, Action.CALLBACK, actor=actor, status="reached", satisfaction=SATISFACTION[accepted],
                    resolved=settled == Settled.YES,
                    note=f"事了：{Settled(settled).label}；心解：{Accepted(accepted).label}")
    petition.refresh_from_db()
    return petition


# ---------------------------------------------------------------- on the lifecycle seam

def before_move(ticket, action):
    """A 信访事项 is closed only by its 代办员's 事心双解 (`conclude`), never by an ordinary 回访."""
    if ticket.channel != Channel.PETITION or action not in (Action.CALLBACK, Action.EVALUATE):
        return None
    if not Petition.objects.filter(ticket=ticket, concluded_at__isnull=False).exists():
        raise Conflict("信访事项由代办员确认事了、心解后办结", code="petition_not_concluded")
    return None


def moved(ticket, transition, before, actor) -> None:
    """重办 reopens the matter: its conclusion and follow-up are cleared (the 代办员 concludes it again)."""
    if transition.action == Action.REDO and ticket.channel == Channel.PETITION:
        Petition.objects.filter(ticket=ticket).update(settled="", settled_note="", accepted="", accepted_note="",
                                                      concluded_at=None, follow_up_due=None, followed_up_at=None)


def worklist_q(code: str, user) -> Q:
    """The 代办员's worklists (tickets.worklists)."""
    mine = Petition.objects.filter(agent=user)
    if code == "petition_visit":
        return Q(state__in=[State.PENDING_DISPATCH, State.PENDING_SIGN, State.IN_PROGRESS],
                 pk__in=mine.filter(visits__isnull=True).values("ticket_id"))
    if code == "petition_conclude":
        return Q(state=State.PENDING_CALLBACK, pk__in=mine.values("ticket_id"))
    if code == "petition_follow_up":
        return Q(state=State.CLOSED, pk__in=mine.filter(follow_up_due__lte=clock.today(),
                                                         followed_up_at__isnull=True).values("ticket_id"))
    raise ValueError(code)


# ---------------------------------------------------------------- figures

@dataclass
class Figures:
    label: str
    matters: int = 0
    concluded: int = 0
    settled: int = 0  # 事了 (已解决)
    accepted: int = 0  # 心解 (认可)
    both: int = 0  # 事心双解
    due: int = 0  # concluded, or past the 60 days
    on_time: int = 0
    follow_ups_due: int = 0
    followed_up: int = 0
    visits: int = 0

    def rate(self, part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def settled_rate(self):
        return self.rate(self.settled, self.concluded)

    @property
    def accepted_rate(self):
        return self.rate(self.accepted, self.concluded)

    @property
    def both_rate(self):
        return self.rate(self.both, self.concluded)

    @property
    def on_time_rate(self):
        return self.rate(self.on_time, self.due)

    @property
    def follow_up_rate(self):
        return self.rate(self.followed_up, self.follow_ups_due)


def figures(rows, now=None) -> tuple[Figures, list[Figures]]:
    """The total and one line per 代办员: 件数, 事了率, 心解率, 事心双解率 (of those concluded), 按期办结率 (concluded
    within the 答复 deadline — the rule's 60 days — of those concluded or past it), 跟踪回访 done of those due."""
    now = now or clock.now()
    today = clock.local_day(now)
    total, lines = Figures("合计"), {}
    rows = rows.select_related("ticket", "agent").annotate(n_visits=Count("visits"))
    for p in rows:
        t = p.ticket
        if t.state in (State.INVALID, State.MERGED, State.TRANSFERRED):
            continue
        name = p.agent.get_full_name() or p.agent.username
        line = lines.setdefault(name, Figures(name))
        for f in (total, line):
            f.matters += 1
            f.visits += p.n_visits
            if p.concluded_at is not None:
                f.concluded += 1
                f.settled += p.settled == Settled.YES
                f.accepted += p.accepted == Accepted.YES
                f.both += p.settled == Settled.YES and p.accepted == Accepted.YES
            if p.concluded_at is not None or (t.reply_due_at is not None and t.reply_due_at < now):
                f.due += 1
                f.on_time += p.concluded_at is not None and (t.reply_due_at is None or
                                                             (t.replied_at or p.concluded_at) <= t.reply_due_at)
            if p.follow_up_due is not None and (p.follow_up_due <= today or p.followed_up_at is not None):
                f.follow_ups_due += 1
                f.followed_up += p.followed_up_at is not None
    return total, sorted(lines.values(), key=lambda line: (-line.matters, line.label))
