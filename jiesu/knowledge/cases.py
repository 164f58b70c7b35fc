"""Similar cases (相似案例): past tickets closed as resolved that read like this one, with their answers and
handling departments, so what worked is reused. The same text model as the duplicate finder
(`hotspots.text`), over every resolved ticket instead of a window."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count

from jiesu.core.masking import mask_text
from jiesu.hotspots import services as hotspots
from jiesu.hotspots import text as T
from jiesu.tickets import access
from jiesu.tickets.models import ReplyResult, Ticket

from .models import CaseKey

logger = logging.getLogger(__name__)

CANDIDATES = 30
RESOLVED = (ReplyResult.RESOLVED, ReplyResult.EXPLAINED)  # what worked: solved, or answered by the policy


def is_case(ticket) -> bool:
    """A ticket worth reusing: answered as resolved or explained, and not called back as unresolved."""
    return ticket.state == "closed" and ticket.reply_result in RESOLVED and ticket.resolved is not False


def index(ticket) -> None:
    """Add a closed ticket to the cases if it qualifies (called in the closing transaction)."""
    if not is_case(ticket) or CaseKey.objects.filter(ticket=ticket).exists():
        return
    signature = T.signature(hotspots.ticket_text(ticket), hotspots.stats())
    CaseKey.objects.bulk_create([CaseKey(key=k, ticket=ticket) for k in signature.keys])


def moved(ticket, transition, before, actor) -> None:
    """The lifecycle observer (registered in apps.py): a ticket closed as resolved becomes a case others can reuse.
    Indexing must never stop the closing: a failure is logged, inside its own savepoint."""
    from jiesu.tickets.workflow import Action

    if transition.action not in (Action.CALLBACK, Action.INSTANT_CLOSE):
        return
    try:
        with transaction.atomic():
            index(ticket)
    except Exception:
        logger.exception("相似案例索引失败，工单 %s 照常办结", ticket.number)


@dataclass
class Case:
    number: str
    title: str
    reply_text: str
    department: str
    closed_at: datetime | None
    score: float


def similar(text: str, *, user, exclude: int | None = None, limit: int = 5) -> list[Case]:
    """The resolved tickets most like `text` that `user` may see (tickets.access), best first; their texts masked
    (a case is reference material: nobody needs its caller)."""
    signature = T.signature(text, hotspots.stats())
    if not signature.keys:
        return []
    ids = list(
        CaseKey.objects.filter(key__in=signature.keys).exclude(ticket_id=exclude).values("ticket_id")
        .annotate(n=Count("id")).order_by("-n", "-ticket_id").values_list("ticket_id", flat=True)[:CANDIDATES]
    )
    found = []
    for t in Ticket.objects.filter(pk__in=access.visible_ids(user, ids)).select_related("department"):
        score = T.text_similarity(signature, hotspots.stored_signature(t.pk, hotspots.ticket_text(t)))
        if score > 0:
            names = [t.caller_name]
            found.append(Case(t.number, mask_text(t.title, names=names), mask_text(t.reply_text, names=names),
                              t.department.name if t.department_id else "", t.closed_at, score))
    found.sort(key=lambda c: -c.score)
    return found[:limit]


def similar_to(ticket, *, user, limit: int = 5) -> list[Case]:
    return similar(hotspots.ticket_text(ticket), user=user, exclude=ticket.pk, limit=limit)
