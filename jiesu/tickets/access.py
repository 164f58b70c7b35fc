"""Who may see which tickets and act on them. The only place these rules live; services and views call it.

- 派单员, 督办员, 管理员, 领导 (ticket.view_all) see every ticket but 信访事项.
- 信访事项 (channel 信访) are seen only by those who handle them: the 信访办 (petition.view_all), the matter's
  代办员, and the units it was given to (jiesu.channels.petitions). Never published.
- 话务员 (ticket.view_intake) see tickets waiting for dispatch or callback, and those they registered.
- 承办人 (ticket.view_department) see tickets that are or were assigned to their department or its sub-units.
- 帮办员 (enterprise.help) see the 政企直通车 requests of the enterprises assigned to them, and the matters (single
  tickets) assigned to them, while the assignment lasts (jiesu.enterprise.helpers).
A user with several roles sees the union. Everyone else sees nothing.

An enterprise's own accounts (政企直通车) never reach these pages: `enterprise_requests` is what their portal
shows, in the citizen's words (jiesu.portal.services.citizen_view).
"""

from django.db.models import Exists, OuterRef, Q

from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied
from jiesu.directory.models import Department
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.services import subtree_ids
from jiesu.directory.snapshot import directory

from .workflow import Action, Scope, State, Transition

INTAKE_STATES = (State.PENDING_DISPATCH, State.PENDING_CALLBACK)  # what 话务员 see besides what they registered
_UNIT_WORK = frozenset({Action.SIGN, Action.SUBDISPATCH, Action.RETURN, Action.REQUEST_EXTENSION, Action.REPLY,
                        Action.SUBMIT_REPLY})
_GATED = _UNIT_WORK | {Action.APPROVE_RETURN, Action.REJECT_RETURN, Action.APPROVE_REPLY, Action.REJECT_REPLY,
                       Action.ADD_ASSIST, Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION}


def visibility(user) -> Q | None:
    """The condition on tickets this user may see; None when they see every ticket."""
    from .models import PROPOSAL_CHANNELS, Channel, TicketAssignment

    every_petition = has_perm(user, "petition.view_all")
    if has_perm(user, "ticket.view_all"):
        # 信访事项 are seen only by those who handle them: not by the centre or leaders as such
        return None if every_petition else ~Q(channel=Channel.PETITION) | handles_petitions(user)
    condition = Q(pk__in=[])
    if has_perm(user, "ticket.view_intake"):
        condition |= Q(state__in=INTAKE_STATES)
        condition |= Q(created_by=user)
    if has_perm(user, "ticket.view_own"):  # a partner system: what it registered
        condition |= Q(created_by=user)
    if has_perm(user, "enterprise.help"):
        condition |= helped(user)
    if has_perm(user, "proposal.view_all"):
        condition |= Q(channel__in=PROPOSAL_CHANNELS)
    if has_perm(user, "police110.peer"):  # 110's system: its transfers, and the 警情 handed to it
        from jiesu.channels.models import PoliceTransfer

        condition |= Q(pk__in=PoliceTransfer.objects.values("ticket_id"))
    if every_petition:
        condition |= Q(channel=Channel.PETITION)
    else:
        condition = (condition & ~Q(channel=Channel.PETITION)) | handles_petitions(user)
    department = department_of(user)
    if has_perm(user, "ticket.view_department") and department is not None:
        assigned = TicketAssignment.objects.filter(
            ticket=OuterRef("pk"), department_id__in=subtree_ids(department)
        )
        condition |= Q(Exists(assigned))  # a unit handles what it is given, 信访事项 too
    return condition


def handles_petitions(user) -> Q:
    """信访代办: the matters assigned to this 代办员 (none for anyone else)."""
    if not has_perm(user, "petition.agent"):
        return Q(pk__in=[])
    from jiesu.channels.models import Petition

    return Q(pk__in=Petition.objects.filter(agent=user).values("ticket_id"))


def helped(user) -> Q:
    """帮办代办: the tickets a 帮办员 follows — their enterprises' 政企直通车 requests and the matters assigned to them."""
    from jiesu.enterprise.models import HelperAssignment

    active = HelperAssignment.objects.filter(helper=user, ended_at__isnull=True)
    return (enterprise_requests_q(active.filter(ticket__isnull=True).values("enterprise__credit_code"))
            | Q(pk__in=active.filter(ticket__isnull=False).values("ticket_id")))


def helps(user, ticket) -> bool:
    """Whether this user follows this ticket as its 帮办员 now."""
    from .models import Ticket

    return (bool(ticket.credit_code) and has_perm(user, "enterprise.help")
            and Ticket.objects.filter(helped(user), pk=ticket.pk).exists())


def enterprise_requests_q(codes) -> Q:
    """The requests enterprises filed as themselves: on channel 政企直通车 with their code (through their accounts,
    or registered for them by an operator). Never a request that merely names one — a complaint *about* an
    enterprise is not the enterprise's to read, nor its 帮办员's to follow. `codes`: a list or a subquery."""
    from .models import Channel

    return Q(channel=Channel.ENTERPRISE, credit_code__in=codes)


def enterprise_requests(credit_code: str):
    """One enterprise's own requests (`enterprise_requests_q`)."""
    from .models import Ticket

    return Ticket.objects.filter(enterprise_requests_q([credit_code]))


def visible_tickets(queryset, user):
    condition = visibility(user)
    return queryset if condition is None else queryset.filter(condition)


def readable_among(user, rows) -> set[int]:
    """Which of these ticket rows (dicts with id, state, created_by_id and channel) the user may open: the same
    rule as `visibility`, decided from the rows where it needs nothing more (every ticket; the intake rule), else
    by one query (a unit's tickets depend on their assignments; a 信访事项 on who handles it)."""
    from .models import Channel

    rows = list(rows)
    ids = {r["id"] for r in rows}
    if not ids or visibility(user) is None:
        return ids
    if any("channel" not in r for r in rows):
        return visible_ids(user, ids)
    petitions = {r["id"] for r in rows if r["channel"] == Channel.PETITION}
    found = visible_ids(user, petitions) if petitions else set()  # rare among candidates: a query only then
    rows = [r for r in rows if r["id"] not in petitions]
    if has_perm(user, "ticket.view_all"):
        return found | {r["id"] for r in rows}
    if (has_perm(user, "ticket.view_department") and department_of(user) is not None) or any(
            has_perm(user, p) for p in ("enterprise.help", "proposal.view_all", "police110.peer")):
        return found | visible_ids(user, {r["id"] for r in rows})
    if has_perm(user, "ticket.view_intake"):
        return found | {r["id"] for r in rows if r["state"] in INTAKE_STATES or r["created_by_id"] == user.pk}
    if has_perm(user, "ticket.view_own"):
        return found | {r["id"] for r in rows if r["created_by_id"] == user.pk}
    return found


def access_ticket(user, number: str, *, for_update: bool = False):
    """The ticket with this number if the user may see it; NotFound otherwise (hiding whether it exists)."""
    from .models import Ticket

    if not number or "\x00" in number:
        raise NotFound("工单不存在或无权查看", code="ticket_not_found")
    queryset = Ticket.objects.visible_to(user)
    if for_update:
        queryset = queryset.select_for_update()
    ticket = queryset.filter(number=number).first()
    if ticket is None:
        raise NotFound("工单不存在或无权查看", code="ticket_not_found")
    directory().attach(ticket, "region", "category", "department")
    return ticket


def can_act(user, ticket, transition: Transition) -> bool:
    if not has_perm(user, transition.perm):
        return False
    if transition.scope is Scope.ASSIGNEE:
        department = department_of(user)
        return department is not None and ticket.department_id == department.pk
    if transition.scope is Scope.CREATOR:
        return ticket.created_by_id == user.pk
    if transition.scope is Scope.PARTICIPANT:
        # A unit the ticket has left can still read it, but no longer adds to it.
        department = department_of(user)
        return (has_perm(user, "ticket.view_all") or ticket.created_by_id == user.pk
                or (department is not None and (department.kind == Department.Kind.HOTLINE_CENTER
                                                or ticket.department_id == department.pk)))
    if transition.scope is Scope.ASSISTANT:
        department = department_of(user)
        # The lead unit is never its own assistant: no query for it (nor for anyone without the permission).
        if department is None or ticket.department_id == department.pk:
            return False
        status = assisting_units(ticket).get(department.pk)
        # 协办签收 once; 协办反馈 signed or not (sending the part signs it).
        return status == "pending_sign" if transition.action == Action.SIGN_ASSIST else status is not None
    return True


def _had_part(user, ticket) -> bool:
    from .models import AssistPart

    department = department_of(user)
    return department is not None and AssistPart.objects.filter(ticket_id=ticket.pk, department=department).exists()


def assisting_units(ticket) -> dict[int, str]:
    """The units with an open 协办 part of the ticket and its status (cached on this ticket object; the 协办
    actions forget it)."""
    cached = getattr(ticket, "_assisting_units", None)
    if cached is None:
        from .models import AssistPart

        cached = dict(AssistPart.objects.filter(ticket_id=ticket.pk, status__in=AssistPart.OPEN)
                      .values_list("department_id", "status"))
        ticket._assisting_units = cached
    return cached


def check_can_act(user, ticket, transition: Transition) -> None:
    if not can_act(user, ticket, transition):
        if transition.scope is Scope.ASSISTANT and has_perm(user, transition.perm) and _had_part(user, ticket):
            raise Conflict("本单位在该工单的协办已签收、已反馈或已结束", code="assist_closed")
        raise PermissionDenied(f"您无权对该工单执行“{transition.action.label}”", code="action_forbidden")


def actions_for(user, ticket) -> list[Transition]:
    """The transitions this user may take on this ticket now (what the UI offers)."""
    from .workflow import TRANSITIONS

    offered = [t for t in TRANSITIONS.values() if t.manual and ticket.state in t.sources and can_act(user, ticket, t)]
    if ticket.reply_due_at is not None and clock.now() > ticket.reply_due_at:  # too late to ask (409 otherwise)
        offered = [t for t in offered if t.action != Action.REQUEST_EXTENSION]
    codes = {t.action for t in offered}
    if codes & _GATED:
        drop = _not_now(ticket, codes)
        offered = [t for t in offered if t.action not in drop]
    return offered


def _not_now(ticket, codes) -> set:
    """Actions the state allows that the ticket's open requests do not: while a 退单 or an answer waits for the
    centre the unit only contacts the caller; a decision needs something to decide; 答复 or 提交答复审核, as the
    答复审核 rules say (the service refuses the other with a 409)."""
    from .services import pending_facts, review_rule

    waiting_return, waiting_review, any_rule, waiting_extension, *_ = pending_facts(ticket)
    drop = set()
    if waiting_return or waiting_review:  # the unit's work waits, and so does adding to it
        drop |= _UNIT_WORK | {Action.ADD_ASSIST}
    if not waiting_return:
        drop |= {Action.APPROVE_RETURN, Action.REJECT_RETURN}
    if not waiting_review:
        drop |= {Action.APPROVE_REPLY, Action.REJECT_REPLY}
    if not waiting_extension:
        drop |= {Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION}
    if codes & {Action.REPLY, Action.SUBMIT_REPLY}:
        drop.add(Action.REPLY if review_rule(ticket, any_rule=any_rule) is not None else Action.SUBMIT_REPLY)
    return drop


def visible_ids(user, ids) -> set[int]:
    """Which of these tickets the user may see: for features that name other tickets (similar cases, duplicates,
    hotspot members), so that none shows a unit a ticket it could not open."""
    from .models import Ticket

    ids = {i for i in ids if i}
    if not ids:
        return set()
    return set(Ticket.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def visible_numbers_by_id(user, ids) -> dict[int, str]:
    """The numbers of those of these tickets the user may see (to name a 母单, 子单 or earlier call)."""
    from .models import Ticket

    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(Ticket.objects.visible_to(user).filter(pk__in=ids).values_list("pk", "number"))


def duplicates_for(user, ticket):
    """The 疑似重复/相似 matches of a ticket whose other ticket this user may see (one query)."""
    from .models import Ticket

    matches = ticket.duplicate_matches.select_related("other")
    if visibility(user) is not None:
        matches = matches.filter(other__in=Ticket.objects.visible_to(user).values("pk"))
    return list(matches)


# ---------------------------------------------------------------- the caller's personal data

CONFIDENTIAL = "（保密）"


def caller_access(user, ticket) -> str:
    """How much of the caller this user may see on this ticket:
    "full" — the hotline centre (ticket.view_caller): everything, not logged;
    "logged" — staff of the unit that holds the ticket now, and the ticket's 帮办员, caller not 保密: everything on
    the ticket itself, each view recorded (CallerDataView); masked in lists;
    "masked" — everyone else: neither name nor phone, anywhere."""
    if has_perm(user, "ticket.view_caller"):
        return "full"
    department = department_of(user)
    if (not ticket.caller_confidential and has_perm(user, "ticket.view_department") and department is not None
            and ticket.department_id in subtree_ids(department)):
        return "logged"
    if not ticket.caller_confidential and helps(user, ticket):  # the 帮办员 calls the enterprise's contact
        return "logged"
    return "masked"


def shown(user, ticket, *, detail: bool = False, via: str = "page"):
    """The ticket as this user may see it. Masked fields are replaced on this instance, which then refuses to
    be saved; with `detail`, a "logged" view of the caller is recorded. Every page, API answer and export that
    shows a ticket's caller or text goes through here."""
    from jiesu.core.masking import mask_name, mask_phone, mask_text

    from .models import CallerDataView

    level = caller_access(user, ticket)
    if level == "full" or (level == "logged" and detail):
        if level == "logged" and (ticket.caller_name or ticket.caller_phone):
            CallerDataView.objects.create(ticket=ticket, user=user, department=department_of(user), via=via,
                                          viewed_at=clock.now())
        return ticket
    names = [ticket.caller_name]
    ticket.title = mask_text(ticket.title, names=names)
    ticket.content = mask_text(ticket.content, names=names)
    ticket.address = mask_text(ticket.address, names=names)
    ticket.reply_text = mask_text(ticket.reply_text, names=names)
    ticket.query_code = ""  # the caller's key to the request, not the unit's
    if ticket.caller_confidential:
        ticket.caller_name = CONFIDENTIAL if ticket.caller_name else ""
        ticket.caller_phone = CONFIDENTIAL if ticket.caller_phone else ""
    else:
        ticket.caller_name, ticket.caller_phone = mask_name(ticket.caller_name), mask_phone(ticket.caller_phone)
    ticket.masked_for = user
    return ticket


# History entries name the other ticket of a 并单 by number; a reader who may not see it gets the entry without it.
LINK_KEYS = ("parent", "child", "detached_from")


def linked_numbers(data: dict) -> list[str]:
    found = [data[k] for k in LINK_KEYS if isinstance(data.get(k), str)]
    return found + [n for n in data.get("children") or [] if isinstance(n, str)]


def visible_numbers(user, numbers) -> set[str]:
    from .models import Ticket

    numbers = set(numbers)
    if not numbers:
        return set()
    return set(Ticket.objects.visible_to(user).filter(number__in=numbers).values_list("number", flat=True))


def without_hidden_numbers(data: dict, shown: set[str]) -> dict:
    """A history entry's data with the numbers of tickets the reader may not see left out (None)."""
    if not linked_numbers(data):
        return data
    out = {k: (None if k in LINK_KEYS and isinstance(v, str) and v not in shown else v) for k, v in data.items()}
    if "children" in out:
        out["children"] = [n for n in out["children"] or [] if n in shown]
    return out
