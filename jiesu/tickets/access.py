"""Who may see which tickets and act on them. The only place these rules live; services and views call it.

- 派单员, 督办员, 管理员 (ticket.view_all) see every ticket.
- 话务员 (ticket.view_intake) see tickets waiting for dispatch or callback, and those they registered.
- 承办人 (ticket.view_department) see tickets that are or were assigned to their department or its sub-units.
A user with several roles sees the union. Everyone else sees nothing.
"""

from django.db.models import Exists, OuterRef, Q

from jiesu.core.errors import NotFound, PermissionDenied
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.services import subtree_ids

from .workflow import Scope, State, Transition


def visible_tickets(queryset, user):
    from .models import TicketAssignment

    if has_perm(user, "ticket.view_all"):
        return queryset
    condition = Q(pk__in=[])
    if has_perm(user, "ticket.view_intake"):
        condition |= Q(state__in=[State.PENDING_DISPATCH, State.PENDING_CALLBACK])
        condition |= Q(created_by=user)
    department = department_of(user)
    if has_perm(user, "ticket.view_department") and department is not None:
        assigned = TicketAssignment.objects.filter(
            ticket=OuterRef("pk"), department_id__in=subtree_ids(department)
        )
        condition |= Q(Exists(assigned))
    return queryset.filter(condition)


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
    return ticket


def can_act(user, ticket, transition: Transition) -> bool:
    if not has_perm(user, transition.perm):
        return False
    if transition.scope is Scope.ASSIGNEE:
        department = department_of(user)
        return department is not None and ticket.department_id == department.pk
    if transition.scope is Scope.CREATOR:
        return ticket.created_by_id == user.pk
    return True


def check_can_act(user, ticket, transition: Transition) -> None:
    if not can_act(user, ticket, transition):
        raise PermissionDenied(f"您无权对该工单执行“{transition.action.label}”", code="action_forbidden")


def actions_for(user, ticket) -> list[Transition]:
    """The transitions this user may take on this ticket now (what the UI offers)."""
    from .workflow import TRANSITIONS

    return [
        t for t in TRANSITIONS.values() if t.manual and ticket.state in t.sources and can_act(user, ticket, t)
    ]
