"""Open311 GeoReport v2 as an adapter over the ticket services: it translates, it does not decide. Tickets are
created by `tickets.services.create_ticket` as the partner's service account; statuses come from the
workflow's OPEN311_STATUS. Specification: http://wiki.open311.org/GeoReport_v2 (docs/open311.md)."""

import re
import uuid
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jiesu.core import clock, idempotency
from jiesu.core.errors import ServiceError
from jiesu.core.masking import mask_text
from jiesu.core.models import ApiToken
from jiesu.core.tokens import user_for_key
from jiesu.core.validators import parse_day, parse_moment
from jiesu.directory.models import Category
from jiesu.tickets import services as tickets
from jiesu.tickets.models import Channel, Kind, Ticket
from jiesu.tickets.workflow import OPEN311_STATUS, State

from .models import Partner, ServiceAttribute, Submission

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_DESCRIPTION = 4000
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000


class Open311Error(Exception):
    """An error as the specification lists them: HTTP status and a description."""

    def __init__(self, status: int, description: str):
        self.status = status
        self.description = description
        super().__init__(description)


def check_jurisdiction(value: str | None) -> None:
    if value and value != settings.JIESU_OPEN311_JURISDICTION:
        raise Open311Error(404, f"jurisdiction_id 不存在：{value}（本服务为 {settings.JIESU_OPEN311_JURISDICTION}）")


def partner_for(api_key: str | None) -> Partner:
    user = user_for_key(api_key, kind=ApiToken.Kind.OPEN311) if api_key else None
    partner = getattr(user, "open311_partner", None) if user else None
    if partner is None or not partner.active:
        raise Open311Error(403, "api_key 无效或缺失")
    return partner


# ------------------------------------------------------------------ services


def _services():
    return Category.objects.filter(active=True).select_related("parent__parent").prefetch_related(
        "open311_attributes").order_by("code")


def services_list() -> list[dict]:
    out = []
    for category in _services():
        path = category.path_name.split(" › ")
        out.append({
            "service_code": category.code,
            "service_name": category.name,
            "description": category.path_name,
            "metadata": bool(category.open311_attributes.all()),
            "type": "realtime",
            "keywords": ",".join(dict.fromkeys(path)),
            "group": path[0],  # the top-level category
        })
    return out


def _service(code: str) -> Category:
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(404, f"service_code 不存在：{code}")
    return category


def service_definition(code: str) -> dict:
    category = _service(code)
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [{"key": str(v.get("key", "")), "name": str(v.get("name", ""))} for v in a.values or []],
            }
            for a in category.open311_attributes.all()
        ],
    }


# ------------------------------------------------------------------ filing


def _attribute_answers(category: Category, params) -> dict[str, object]:
    """attribute[CODE] and attribute[CODE][] from the form, checked against the service's definition."""
    given: dict[str, list[str]] = {}
    for key in params:
        match = re.fullmatch(r"attribute\[([^\]]+)\](\[\])?", key)
        if match:
            given.setdefault(match[1], []).extend(v for v in params.getlist(key) if v != "")
    definitions = {a.code: a for a in category.open311_attributes.all()}
    for code in given:
        if code not in definitions:
            raise Open311Error(400, f"该服务没有附加问题 {code}")
    answers: dict[str, object] = {}
    for code, attribute in definitions.items():
        values = given.get(code, [])
        if not values:
            if attribute.required:
                raise Open311Error(400, f"缺少必填的附加问题 {code}（{attribute.description}）")
            continue
        keys = {str(v.get("key")) for v in attribute.values or []}
        if attribute.datatype == ServiceAttribute.Datatype.MULTI:
            unknown = [v for v in values if v not in keys]
            if unknown:
                raise Open311Error(400, f"附加问题 {code} 的选项无效：{'、'.join(unknown)}")
            answers[code] = values
            continue
        if len(values) > 1:
            raise Open311Error(400, f"附加问题 {code} 只能有一个值")
        value = values[0]
        if attribute.datatype == ServiceAttribute.Datatype.SINGLE and value not in keys:
            raise Open311Error(400, f"附加问题 {code} 的选项无效：{value}")
        if attribute.datatype == ServiceAttribute.Datatype.NUMBER:
            try:
                Decimal(value)
            except ArithmeticError:
                raise Open311Error(400, f"附加问题 {code} 应为数字：{value}") from None
        if attribute.datatype == ServiceAttribute.Datatype.DATETIME and _parse_when(value) is None:
            raise Open311Error(400, f"附加问题 {code} 应为日期时间（ISO 8601）：{value}")
        answers[code] = value
    return answers


def _answer_text(category: Category, answers: dict) -> str:
    lines = []
    for attribute in category.open311_attributes.all():
        if attribute.code not in answers:
            continue
        names = {str(v.get("key")): str(v.get("name")) for v in attribute.values or []}
        value = answers[attribute.code]
        shown = "、".join(names.get(v, v) for v in value) if isinstance(value, list) else names.get(value, value)
        lines.append(f"{attribute.description}：{shown}")
    return "\n".join(lines)


# ticket field → Open311 parameter, for error messages
_PARAMETER = {"caller_phone": "phone", "caller_name": "first_name", "content": "description", "lat": "lat",
              "lng": "long", "address": "address_string", "category": "service_code"}


def idempotency_claim(request, partner: Partner, params) -> "idempotency.Claim | None":
    """The partner's Idempotency-Key (header, or the `idempotency_key` field), over the request's parameters."""
    field = params.get("idempotency_key")
    body = {k: params.getlist(k) for k in sorted(params) if k not in ("api_key", "idempotency_key")}
    try:
        return idempotency.claim(request, f"partner:{partner.pk}", body, key=field)
    except ServiceError as exc:
        raise Open311Error(400, f"{exc.message}：{exc.detail}") from None


def filed_answer(ticket: Ticket) -> dict:
    """The answer to the POST that filed this ticket, read again (for a repeat whose first answer was lost)."""
    submission = Submission.objects.get(ticket=ticket)
    return {"service_request_id": ticket.number, "token": submission.token, "service_notice": "",
            "account_id": submission.account_id}


@transaction.atomic
def file_request(partner: Partner, params, *, claim=None) -> dict:
    code = (params.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "缺少 service_code")
    category = _service(code)
    lat, lng = (params.get("lat") or "").strip(), (params.get("long") or "").strip()
    address, address_id = (params.get("address_string") or "").strip(), (params.get("address_id") or "").strip()
    if not ((lat and lng) or address or address_id):
        raise Open311Error(400, "需要位置：lat 与 long，或 address_string，或 address_id")
    description = (params.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description 不能超过 {MAX_DESCRIPTION} 个字符（现为 {len(description)}）")
    answers = _attribute_answers(category, params)
    content = "\n".join(part for part in (description or category.name, _answer_text(category, answers)) if part)
    name = "".join((params.get(k) or "").strip() for k in ("last_name", "first_name"))
    media_url = (params.get("media_url") or "").strip()
    if media_url and not re.match(r"https?://", media_url):
        raise Open311Error(400, "media_url 应为 http(s) 地址")
    try:
        ticket = tickets.create_ticket(actor=partner.user, data={
            "channel": Channel.OPEN311,
            "kind": Kind.COMPLAINT,
            "content": content,
            "caller_name": name,
            "caller_phone": (params.get("phone") or "").strip(),
            "address": address,
            "lat": lat or None,
            "lng": lng or None,
            "category": category.code,
        }, idempotency=claim)
    except ServiceError as exc:
        detail = "；".join(f"{_PARAMETER.get(field, field)}: {message}" for field, message in exc.fields.items())
        raise Open311Error(403 if exc.status == 403 else 400, f"{exc.message}{'：' + detail if detail else ''}") from None
    submission = Submission.objects.create(
        ticket=ticket, partner=partner, token=str(uuid.uuid4()),
        email=(params.get("email") or "").strip()[:254], device_id=(params.get("device_id") or "").strip()[:100],
        account_id=(params.get("account_id") or "").strip()[:100], address_id=address_id[:100],
        media_url=media_url[:500], attributes=answers,
    )
    return {"service_request_id": ticket.number, "token": submission.token, "service_notice": "",
            "account_id": submission.account_id}


def token_lookup(token: str) -> dict:
    submission = Submission.objects.select_related("ticket").filter(token=token).first()
    if submission is None:
        raise Open311Error(404, f"token 不存在：{token}")
    return {"service_request_id": submission.ticket.number, "token": token}


# ------------------------------------------------------------------ reading


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def redact(text: str, ticket: Ticket) -> str:
    """Free text as published: personal data masked (jiesu.core.masking), the caller's name included."""
    return mask_text(text, names=[ticket.caller_name])


def _coordinate(value) -> float | None:
    if value is None:
        return None
    places = Decimal(1).scaleb(-settings.JIESU_OPEN311_COORD_DECIMALS)
    return float(Decimal(value).quantize(places, rounding=ROUND_HALF_UP))


def record(ticket: Ticket, *, extensions: bool = False) -> dict:
    submission = getattr(ticket, "open311", None)
    status = OPEN311_STATUS[State(ticket.state)]
    answered = ticket.state in (State.PENDING_CALLBACK, State.CLOSED) and ticket.reply_text
    if settings.JIESU_OPEN311_ADDRESS_PRECISION == "region":
        address = ticket.region.name if ticket.region else ""
    else:
        address = redact(ticket.address, ticket)
    out = {
        "service_request_id": ticket.number,
        "status": status,
        "status_notes": redact(ticket.reply_text, ticket) if answered else (
            "已作废" if ticket.state == State.INVALID else "已转110处理" if ticket.state == State.TRANSFERRED else ""),
        "service_name": ticket.category.name if ticket.category else "",
        "service_code": ticket.category.code if ticket.category else "",
        "description": redact(ticket.content, ticket),
        "agency_responsible": ticket.department.name if ticket.department else "",
        "service_notice": "",
        "requested_datetime": _iso(ticket.created_at),
        "updated_datetime": _iso(ticket.updated_at),
        "expected_datetime": _iso(ticket.reply_due_at),
        "address": address,
        "address_id": submission.address_id if submission else "",
        "zipcode": "",
        "lat": _coordinate(ticket.lat),
        "long": _coordinate(ticket.lng),
        "media_url": submission.media_url if submission else "",
    }
    if extensions:
        out["extended_attributes"] = {
            "channel": ticket.channel,
            "channel_name": ticket.get_channel_display(),
            "kind": ticket.kind,
            "kind_name": ticket.get_kind_display(),
            "department_code": ticket.department.code if ticket.department else "",
        }
    return out


# Never published, whoever asks: 举报 (a whistle-blower's report), and what came through 信访 or 110. The
# partner that filed a ticket can always read it back.
UNPUBLISHED_KINDS = (Kind.REPORT,)
UNPUBLISHED_CHANNELS = (Channel.PETITION, Channel.POLICE_110)


def _queryset():
    published = Q(open311__isnull=False) | (~Q(kind__in=UNPUBLISHED_KINDS) & ~Q(channel__in=UNPUBLISHED_CHANNELS))
    return Ticket.objects.filter(published).select_related("category", "department", "region", "open311")


def one_request(number: str, *, extensions: bool = False) -> dict:
    ticket = _queryset().filter(number=number).first()
    if ticket is None:
        raise Open311Error(404, f"service_request_id 不存在：{number}")
    return record(ticket, extensions=extensions)


def _parse_when(value: str) -> datetime | None:
    # A "+08:00" offset in an unencoded query string arrives as " 08:00".
    value = re.sub(r"(\d) (\d{2}:?\d{2})$", r"\1+\2", (value or "").strip())
    parsed = parse_moment(value)
    if parsed is None:
        day = parse_day(value)
        if day is None:
            return None
        parsed = datetime.combine(day, datetime.min.time())
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def flag(params, name: str) -> bool:
    return (params.get(name) or "").strip().lower() in ("true", "1", "yes")


def _positive(params, name: str, default: int, highest: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdecimal() or not 1 <= int(raw) <= highest:
        raise Open311Error(400, f"{name} 应为 1 到 {highest} 之间的整数")
    return int(raw)


def find_requests(params) -> list[dict]:
    """GET requests: by id list, or by service, time span (at most 90 days, the last 90 by default) and status;
    newest first, at most 1,000 (or `page`/`page_size` with extensions)."""
    extensions = flag(params, "extensions")
    ids = [i.strip() for i in (params.get("service_request_id") or "").split(",") if i.strip()]
    queryset = _queryset()
    if ids:  # the specification: a list of ids overrides every other parameter
        found = {t.number: t for t in queryset.filter(number__in=ids[:MAX_RESULTS])}
        return [record(found[i], extensions=extensions) for i in ids if i in found]
    queryset = queryset.exclude(state=State.INVALID)
    codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
    if codes:
        queryset = queryset.filter(category__code__in=codes)
    start_raw, end_raw = params.get("start_date"), params.get("end_date")
    start, end = _parse_when(start_raw) if start_raw else None, _parse_when(end_raw) if end_raw else None
    if start_raw and start is None:
        raise Open311Error(400, f"start_date 格式无效（应为 W3C 日期时间，如 2026-10-01T00:00:00+08:00）：{start_raw}")
    if end_raw and end is None:
        raise Open311Error(400, f"end_date 格式无效（应为 W3C 日期时间，如 2026-10-31T23:59:59+08:00）：{end_raw}")
    if start and end and end < start:
        raise Open311Error(400, "end_date 不能早于 start_date")
    if start and end and end - start > MAX_SPAN:
        raise Open311Error(400, "start_date 与 end_date 的间隔不能超过 90 天")
    if start is None and end is None:
        end = clock.now()
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    queryset = queryset.filter(created_at__gte=start, created_at__lte=end)
    statuses = [s.strip() for s in (params.get("status") or "").split(",") if s.strip()]
    for status in statuses:
        if status not in ("open", "closed"):
            raise Open311Error(400, f"status 只能是 open 或 closed：{status}")
    if statuses:
        queryset = queryset.filter(state__in=[s for s, b in OPEN311_STATUS.items() if b in statuses])
    queryset = queryset.order_by("-created_at", "-id")
    if extensions:
        size = _positive(params, "page_size", MAX_RESULTS, MAX_RESULTS)
        page = _positive(params, "page", 1, 10**6)
        rows = queryset[(page - 1) * size: page * size]
    else:
        rows = queryset[:MAX_RESULTS]
    return [record(t, extensions=extensions) for t in rows]


def discovery(base_url: str) -> dict:
    return {
        "changeset": "2026-11-23T00:00:00+08:00",
        "contact": "12345政务服务便民热线",
        "key_service": "api_key 由热线中心发放：jiesu open311 add-partner <名称>",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base_url,
            "changeset": "2026-11-23T00:00:00+08:00",
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    }


@transaction.atomic
def add_partner(name: str) -> tuple[Partner, str]:
    """A partner with its service account (role 合作方系统, in the hotline centre) and a new api_key, returned
    once: only its digest is stored."""
    from django.contrib.auth import get_user_model

    from jiesu.core.tokens import create_token
    from jiesu.directory.models import Department, Role, Staff, StaffRole

    name = name.strip()
    if not name:
        raise Open311Error(400, "请填写合作方名称")
    if Partner.objects.filter(name=name).exists():
        raise Open311Error(400, f"合作方已存在：{name}")
    hotline = Department.objects.filter(kind=Department.Kind.HOTLINE_CENTER).order_by("pk").first()
    if hotline is None:
        raise Open311Error(400, "请先建立热线服务中心（承办单位类型：热线服务中心）")
    user = get_user_model().objects.create(username=f"open311-{uuid.uuid4().hex[:12]}", first_name=name[:150])
    user.set_unusable_password()
    user.save()
    staff = Staff.objects.create(user=user, department=hotline)
    StaffRole.objects.create(staff=staff, role=Role.PARTNER)
    partner = Partner.objects.create(name=name, user=user)
    _, key = create_token(user=user, name=f"Open311 {name}", kind=ApiToken.Kind.OPEN311)
    return partner, key
