"""来电弹屏: the telephony system (CTI) announces a call to an operator (`POST /api/v1/calls/incoming`); the operator's
open 来电登记 page asks every JIESU_CALL_POLL_MS for a call not yet shown, and pops it up with the caller's history
and a form filled with the number. A call is shown once, and only within JIESU_CALL_SHOW_SECONDS of ringing."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model

from jiesu.core import clock
from jiesu.core.errors import PermissionDenied, ValidationFailed
from jiesu.core.validators import normalize_phone
from jiesu.directory.permissions import has_perm

from .models import IncomingCall


def announce(actor, *, phone: str, agent: str) -> IncomingCall:
    if not has_perm(actor, "call.announce"):
        raise PermissionDenied("您无权推送来电弹屏", code="action_forbidden")
    errors = {}
    number = normalize_phone(phone or "")
    digits = number.replace("-", "")
    if not digits:
        errors["phone"] = "请填写来电号码"
    elif not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15):
        errors["phone"] = "来电号码格式不正确"
    else:
        number = as_registered(digits)
    agent = (agent or "").strip() if isinstance(agent, str) else ""
    shown = agent if len(agent) <= 30 else agent[:30] + "…"
    user = get_user_model().objects.filter(username=agent, is_active=True).first() if agent else None
    if not agent:
        errors["agent"] = "请填写坐席（接听来电的话务员用户名）"
    elif user is None:
        errors["agent"] = f"坐席不存在：{shown}"
    elif not (has_perm(user, "ticket.create") and has_perm(user, "ticket.view_caller")):
        errors["agent"] = f"坐席 {shown} 不能登记来电（需要话务员或派单员）"
    if errors:
        raise ValidationFailed(errors)
    return IncomingCall.objects.create(agent=user, phone=number, created_at=clock.now())


def as_registered(digits: str) -> str:
    """The number as 来电登记 stores it, from the digits a switch sends: a mobile as 11 digits, a landline with
    its area code and a dash (010 and 02x have three digits, the others four)."""
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4
        return f"{digits[:area]}-{digits[area:]}"
    return digits


def next_for(user) -> IncomingCall | None:
    """The newest call announced to this operator and not yet shown (recent ones only); marked shown."""
    now = clock.now()
    since = now - timedelta(seconds=settings.JIESU_CALL_SHOW_SECONDS)
    call = IncomingCall.objects.filter(agent=user, shown_at__isnull=True, created_at__gte=since).first()
    if call is None:
        return None
    # Only the request that marks it shows it (two open tabs, one pop-up); older unshown calls are let go.
    if IncomingCall.objects.filter(pk=call.pk, shown_at__isnull=True).update(shown_at=now) != 1:
        return None
    IncomingCall.objects.filter(agent=user, shown_at__isnull=True, created_at__lt=call.created_at).update(shown_at=now)
    return call
