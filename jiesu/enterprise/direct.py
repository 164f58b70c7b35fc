"""政企直通车: an enterprise's contacts file 涉企诉求 in the enterprise category tree, follow them and rate the
answers. A request is filed by the 政企直通车 account (a partner system of the hotline centre, like the citizens'
website) with the contact as caller and the enterprise's name and code, then handled as any other, under the
stricter 涉企 time limits (sla). What an enterprise reads is `tickets.access.enterprise_requests`, in the words a
citizen reads (portal.services.citizen_view): no staff names, internal notes or other units' work."""

from django.db.models import Q

from jiesu.core.errors import Conflict, NotFound, ValidationFailed
from jiesu.core.masking import mask_text
from jiesu.directory.models import Category
from jiesu.portal.services import CitizenView, citizen_view, system_account
from jiesu.tickets import services as tickets
from jiesu.tickets.access import enterprise_requests
from jiesu.tickets.models import Channel, Kind, Ticket
from jiesu.tickets.workflow import Action

from . import defaults
from .models import Contact, Enterprise

CATEGORY_ROOT = defaults.CATEGORY_ROOT[0]  # 涉企服务 (migration enterprise 0003; defaults.py)
KINDS = (Kind.HELP, Kind.CONSULT, Kind.COMPLAINT, Kind.SUGGESTION)  # what an enterprise brings (举报 goes to 12345)


def desk_user():
    """The account 政企直通车 files and rates requests as."""
    from jiesu.tickets.worklists import ENTERPRISE_ACCOUNT

    return system_account(ENTERPRISE_ACCOUNT, "政企直通车")


def categories() -> list[Category]:
    """The enterprise category tree's leaves (and any level below them), in code order."""
    return list(Category.objects.filter(Q(parent__code=CATEGORY_ROOT) | Q(parent__parent__code=CATEGORY_ROOT),
                                        active=True).select_related("parent").order_by("code"))


def file_request(contact: Contact, data: dict, *, idempotency=None) -> Ticket:
    """涉企诉求 from the portal: kind and category from the enterprise's choices, the text, and the place (the
    enterprise's own address unless another is given). The contact is the caller."""
    errors = {}
    kind = (data.get("kind") or "").strip()
    if kind not in KINDS:
        errors["kind"] = "请选择诉求类型"
    category = (data.get("category") or "").strip()
    if category not in {c.code for c in categories()}:
        errors["category"] = "请选择诉求分类"
    if not (data.get("content") or "").strip():
        errors["content"] = "请填写诉求内容"
    if errors:
        raise ValidationFailed(errors)
    enterprise: Enterprise = contact.enterprise
    return tickets.create_ticket(actor=desk_user(), data={
        "channel": Channel.ENTERPRISE, "kind": kind, "category": category,
        "title": data.get("title", ""), "content": data.get("content", ""),
        "region": enterprise.region.code if enterprise.region_id else "",
        "address": (data.get("address") or "").strip() or enterprise.address,
        "caller_name": contact.name, "caller_phone": contact.phone,
        "enterprise_name": enterprise.name, "credit_code": enterprise.credit_code,
    }, idempotency=idempotency)


def requests_of(enterprise: Enterprise, *, limit: int = 50) -> list[tuple[Ticket, CitizenView]]:
    """The enterprise's requests, newest first, as it may read them."""
    rater = desk_user()
    rows = enterprise_requests(enterprise.credit_code).select_related("department").order_by("-created_at")[:limit]
    return [(t, citizen_view(t, rater=rater)) for t in rows]


def request_of(enterprise: Enterprise, number: str) -> CitizenView:
    """One of the enterprise's requests; NotFound for any other number (whether it exists or not)."""
    ticket = (enterprise_requests(enterprise.credit_code).select_related("department", "category")
              .filter(number=(number or "").strip()[:20]).first())
    if ticket is None:
        raise NotFound("未找到该诉求", code="ticket_not_found")
    view = citizen_view(ticket, rater=desk_user())
    # What it asked, as it asked it (masked as the citizens' pages mask: the page may be shown to others).
    view.content = mask_text(ticket.content, names=[ticket.caller_name])
    view.category = ticket.category.name if ticket.category_id else ""
    return view


def rate(enterprise: Enterprise, number: str, data: dict) -> Ticket:
    """网上评价 of one of its requests filed through 政企直通车 (once; after JIESU_EVALUATION_DAYS an operator calls
    instead). Requests an operator registered for the enterprise are called back as usual."""
    found = request_of(enterprise, number)
    if not found.can_rate:
        raise Conflict("该诉求现在不能网上评价（未答复、已评价、已过评价期，或由话务员回访）", code="evaluation_closed")
    return tickets.perform(found.number, Action.EVALUATE, actor=desk_user(),
                           satisfaction=data.get("satisfaction", ""), resolved=data.get("resolved", ""),
                           note=(data.get("note") or "").strip()[:500])
