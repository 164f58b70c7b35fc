"""`{% wage_panel ticket %}`: the ticket page's 欠薪线索 panel (facts, 处理结果, and the forms of who may use them)."""

from django import template

from jiesu.directory.permissions import has_perm
from jiesu.tickets import access
from jiesu.tickets.workflow import TRANSITIONS, Action, State

from .. import wages
from ..models import WageClue

register = template.Library()


@register.inclusion_tag("channels/wages/panel.html", takes_context=True)
def wage_panel(context, ticket):
    if not wages.is_clue(ticket):
        return {"show": False}
    request = context["request"]
    user = request.user
    clue = WageClue.objects.filter(ticket=ticket).first()
    open_ = ticket.state in wages.OPEN_FOR_FACTS
    kept = request.session.pop("wage_form", None) or {}
    values = kept.get("values") if kept.get("action") else None
    if values is None and clue is not None:
        values = {"wage_employer": clue.employer, "wage_credit_code": clue.credit_code, "wage_project": clue.project,
                  "wage_amount": clue.amount_owed, "wage_workers": clue.workers,
                  "wage_from": f"{clue.period_from:%Y-%m}" if clue.period_from else "",
                  "wage_to": f"{clue.period_to:%Y-%m}" if clue.period_to else "",
                  "recovered_amount": clue.recovered_amount if clue.recovered_amount is not None else "",
                  "workers_paid": clue.workers_paid if clue.workers_paid is not None else "",
                  "outcome_note": clue.outcome_note}
    return {
        "show": True, "ticket": ticket, "clue": clue, "values": values or {}, "errors": kept.get("errors") or {},
        "failed": kept.get("action", ""),
        "can_record": open_ and has_perm(user, "wage.record"),
        "can_settle": (clue is not None and ticket.state == State.IN_PROGRESS
                       and access.can_act(user, ticket, TRANSITIONS[Action.REPLY])),
        "can_ledger": has_perm(user, "wage.view"), "csrf_token": context.get("csrf_token"),
    }
