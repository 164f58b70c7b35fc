"""The citizen side (12345 网站 / 移动端): what a citizen may see of their own request.

`track(number, code)` answers a 进度查询 by ticket number and 查询码 — the same `None` for a wrong code as for a
number that does not exist, so the page reveals nothing to someone guessing. `citizen_view` turns a ticket and its
history into the citizen's timeline: 已受理 / 已派至某单位 / 办理中 / 已答复 / 已办结, with dates, the handling
unit's name, the answer and any 延期 with its reason; never internal notes, staff names, other units' work
(协办, 督办, 退单审核) or anyone else's data.
"""

import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F

from jiesu.core import clock, ratelimit
from jiesu.core.errors import ServiceError, ValidationFailed
from jiesu.core.masking import mask_text
from jiesu.core.storage import files_follow_transaction
from jiesu.tickets import services as tickets
from jiesu.tickets.models import Channel, ExtensionRequest, Ticket
from jiesu.tickets.queries import search_q
from jiesu.tickets.services import evaluation_open
from jiesu.tickets.workflow import FINAL_STATES, Action, State

from .models import PhoneCode

# What a citizen is told the request's state is (their words, not the back office's).
PUBLIC_STATE = {
    State.PENDING_DISPATCH: "已受理",
    State.MERGED: "已受理（与相同诉求合并办理）",
    State.PENDING_SIGN: "办理中",
    State.IN_PROGRESS: "办理中",
    State.PENDING_CALLBACK: "已答复",
    State.CLOSED: "已办结",
    State.INVALID: "已终止",
    State.TRANSFERRED: "已转110处理",
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
    can_rate: bool = False  # 网上评价 open: a website request, answered, within JIESU_EVALUATION_DAYS
    rated: str = ""  # the 满意度 given, once rated or called back


def track(number: str, code: str) -> CitizenView | None:
    """The citizen's view of the request with this number, if `code` is its 查询码; otherwise None (either way the
    same work: the code is compared in constant time even when there is no such ticket)."""
    number, code = (number or "").strip()[:20], (code or "").strip()[:8]
    tickets = Ticket.objects.exclude(channel=Channel.PETITION)  # 信访事项: the 代办员 keeps the person informed
    ticket = tickets.filter(number=number).select_related("department").first() if number.isdigit() else None
    expected = ticket.query_code if ticket is not None and ticket.query_code else "\x00" * 6
    if not (hmac.compare_digest(expected.encode(), code.encode()) and ticket is not None and code):
        return None
    return citizen_view(ticket)


def citizen_view(ticket: Ticket, *, rater=None) -> CitizenView:
    """`rater`: the account that rates online for this reader (the website's, or 政企直通车's for an enterprise)."""
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
            case Action.EVALUATE:
                steps.append(Step(e.created_at, "已办结", "感谢您的评价"))
            case Action.REDO:
                steps.append(Step(e.created_at, "重新办理", "根据您的意见，已要求承办单位重新办理"))
            case Action.MERGE:
                steps.append(Step(e.created_at, "与相同诉求合并办理", "办理结果将同样答复您"))
            case Action.UNMERGE:
                steps.append(Step(e.created_at, "恢复单独办理"))
            case Action.INVALIDATE:
                steps.append(Step(e.created_at, "已终止办理"))
            case Action.TRANSFER_110:
                steps.append(Step(e.created_at, "已转110处理", "您反映的情况属于警情，已移交110处理"))
            case Action.POLICE_RETURN:
                steps.append(Step(e.created_at, "恢复办理", "110已转回12345热线办理"))
    answered = ticket.state in (State.PENDING_CALLBACK, State.CLOSED) and bool(ticket.reply_text)
    return CitizenView(
        number=ticket.number, kind=ticket.get_kind_display(), title=mask_text(ticket.title, names=names),
        created_at=ticket.created_at, state=PUBLIC_STATE[State(ticket.state)],
        done=ticket.state in FINAL_STATES,
        unit=ticket.department.name if ticket.department and ticket.state != State.PENDING_DISPATCH else "",
        reply=mask_text(ticket.reply_text, names=names) if answered else "",
        replied_at=ticket.replied_at if answered else None, steps=steps,
        # The account is looked up only for an answer still open to rating (a list of requests asks it rarely).
        can_rate=evaluation_open(ticket, clock.now()) and ticket.created_by_id == (rater or portal_user()).pk,
        rated=ticket.get_satisfaction_display() if ticket.satisfaction else "",
    )


def requests_of(phone: str, limit: int = 20) -> list[tuple[Ticket, CitizenView]]:
    """Every request filed with this (verified) phone number, newest first, as its citizen sees it."""
    tickets = Ticket.objects.filter(caller_phone=phone).select_related("department").order_by("-created_at")[:limit]
    return [(t, citizen_view(t)) for t in tickets]


def evaluate(number: str, code: str, data: dict) -> Ticket | None:
    """网上评价 by the citizen who holds the 查询码: it closes the ticket as its 回访 (once; a second is a 409)."""
    if track(number, code) is None:
        return None
    return tickets.perform(number.strip(), Action.EVALUATE, actor=portal_user(),
                           satisfaction=data.get("satisfaction", ""), resolved=data.get("resolved", ""),
                           note=(data.get("note") or "").strip()[:500])


# ---------------------------------------------------------------- 诉求提交 with an SMS-verified phone

CODE_MINUTES = 10  # a code is good for this long
CODE_ATTEMPTS = 5  # wrong tries before a code is spent
KINDS = ("consult", "help", "complaint", "report", "suggestion", "praise")


def _hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


class TooMany(ServiceError):
    status = 429
    code = "too_many"


class SmsFailed(ServiceError):
    status = 503  # the gateway, not the citizen: try again later


def portal_user():
    """The account the website files requests as (市民网站), a partner system of the hotline centre."""
    from jiesu.tickets.worklists import PORTAL_ACCOUNT

    return system_account(PORTAL_ACCOUNT, "市民网站")


def system_account(username: str, name: str):
    """An account a public channel files and rates requests as (a partner system of the hotline centre, no
    password): made on first use."""
    from django.contrib.auth import get_user_model

    from jiesu.directory.models import Department, Role, Staff, StaffRole

    user, created = get_user_model().objects.get_or_create(username=username,
                                                           defaults={"first_name": name, "is_active": True})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        centre = Department.objects.filter(kind=Department.Kind.HOTLINE_CENTER).order_by("pk").first()
        staff, _ = Staff.objects.get_or_create(user=user, defaults={"department": centre})
        StaffRole.objects.get_or_create(staff=staff, role=Role.PARTNER)
    return user


def send_code(phone: str, address: str) -> None:
    """Send a 6-digit code to this mobile number, now (the citizen is waiting): through the same SMS gateway client
    as every other SMS. Limited per number (one a minute, five an hour) and per address."""
    from jiesu.notifications.channels import Message, PermanentFailure, TemporaryFailure, sms_gateway
    from jiesu.notifications.services import MOBILE

    phone = (phone or "").strip()
    if not MOBILE.match(phone):
        raise ValidationFailed({"caller_phone": "请填写11位手机号"})
    per_address, per_phone = settings.JIESU_PORTAL_CODE_LIMITS
    if not (ratelimit.hit(f"code:ip:{address}", per_address, 3600) and ratelimit.hit(f"code:min:{phone}", 1, 60)
            and ratelimit.hit(f"code:no:{phone}", per_phone, 3600)):
        raise TooMany("验证码发送过于频繁，请稍后再试（每分钟最多一次）")
    code = f"{secrets.randbelow(10**6):06d}"
    now = clock.now()
    record = PhoneCode.objects.create(phone=phone, code_hash=_hash(phone, code), created_at=now)
    text = f"【12345】您的验证码为{code}，{CODE_MINUTES}分钟内有效，用于12345网上提交或查询诉求。如非本人操作请忽略。"
    try:
        # Sent once, now (no retry by a deliverer): a key of its own for the gateway's idempotency.
        sms_gateway().send(Message(key=f"code-{secrets.token_hex(8)}", to=phone, text=text))
    except (TemporaryFailure, PermanentFailure, OSError) as exc:
        record.delete()
        raise SmsFailed("短信发送失败，请稍后再试，或拨打12345", code="sms_failed") from exc


def verify_code(phone: str, code: str) -> bool:
    """True once for the latest unused code of this number, if it matches within its time and tries."""
    now = clock.now()
    record = (PhoneCode.objects.filter(phone=phone, used_at__isnull=True, attempts__lt=CODE_ATTEMPTS,
                                       created_at__gte=now - timedelta(minutes=CODE_MINUTES))
              .order_by("-created_at", "-id").first())
    if record is None:
        return False
    if not hmac.compare_digest(record.code_hash, _hash(phone, (code or "").strip())):
        PhoneCode.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1)
        return False
    # Spent once: two submissions racing with the same code, only one wins.
    return PhoneCode.objects.filter(pk=record.pk, used_at__isnull=True).update(used_at=now) == 1


MAX_PHOTOS = 3
MAX_PIXELS = 40_000_000  # larger is a decompression bomb, not a phone photo


def clean_photos(uploads) -> list:
    """Each photo decoded (so a renamed program or a broken file is refused, not stored) and written anew as JPEG
    or PNG from its pixels only: no EXIF (GPS position, device, time), turned upright first. ValidationFailed
    names what is wrong; nothing is stored here."""
    from PIL import Image, ImageOps, UnidentifiedImageError  # only when a citizen sends photos

    uploads = [u for u in uploads if u is not None and getattr(u, "size", 0)]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed({"photos": f"最多上传{MAX_PHOTOS}张照片"})
    cleaned = []
    for n, upload in enumerate(uploads, start=1):
        if upload.size > settings.JIESU_ATTACHMENT_MAX_BYTES:
            raise ValidationFailed({"photos": f"第{n}张照片过大（上限 {settings.JIESU_ATTACHMENT_MAX_BYTES // 2**20} MB）"})
        try:
            with Image.open(upload) as image:
                if image.format not in ("JPEG", "PNG") or image.width * image.height > MAX_PIXELS:
                    raise ValidationFailed({"photos": f"第{n}张不是可用的照片（请上传 JPG 或 PNG）"})
                image.load()
                upright = ImageOps.exif_transpose(image)
                fmt = image.format
                if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                elif fmt == "PNG" and upright.mode not in ("RGB", "RGBA", "L", "LA"):
                    upright = upright.convert("RGBA")  # a palette would not survive the copy below
                pixels = Image.new(upright.mode, upright.size)
                pixels.paste(upright)  # the pixels alone: no EXIF, no text chunks, no ICC comments
                out = io.BytesIO()
                if fmt == "JPEG":
                    pixels.save(out, format=fmt, quality=85)
                else:
                    pixels.save(out, format=fmt)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
            raise ValidationFailed({"photos": f"第{n}张不是可用的照片（请上传 JPG 或 PNG）"}) from None
        extension = "jpg" if fmt == "JPEG" else "png"
        cleaned.append(SimpleUploadedFile(f"现场照片{n}.{extension}", out.getvalue(),
                                          content_type=f"image/{'jpeg' if fmt == 'JPEG' else 'png'}"))
    return cleaned


def submit(data: dict, *, mobile: bool, photos=(), idempotency=None) -> Ticket:
    """诉求提交: the phone must carry a valid code; then the request is registered as any other (one rule), and its
    photos, checked and cleaned before anything is written, attached to it. `idempotency`: the form's submission
    key (core.idempotency), written with the ticket."""

    kind = (data.get("kind") or "").strip()
    if kind not in KINDS:
        raise ValidationFailed({"kind": "请选择诉求类型"})
    phone = (data.get("caller_phone") or "").strip()
    if not (data.get("sms_code") or "").strip():
        raise ValidationFailed({"sms_code": "请填写短信验证码"})
    cleaned = clean_photos(photos)
    ticket = _register(data, kind, phone, mobile, cleaned, idempotency)
    if ticket is None:
        raise ValidationFailed({"sms_code": "验证码不正确或已过期，请重新获取"})
    return ticket


@files_follow_transaction
@transaction.atomic
def _register(data, kind, phone, mobile, cleaned, idempotency) -> Ticket | None:
    """The code spent, the request registered and its photos stored, in one transaction: if a photo cannot be
    stored (disk full, object store down: 507), the request is not left registered without it behind an error
    page; nothing stays written, the photos already stored are deleted, and the same form can be sent again with
    the same code. None for a wrong code (the try is counted)."""
    from jiesu.tickets.models import Channel

    if not verify_code(phone, data.get("sms_code")):
        return None
    ticket = tickets.create_ticket(actor=portal_user(), data={
        "channel": Channel.MOBILE if mobile else Channel.WEB,
        "kind": kind,
        "content": data.get("content", ""),
        "region": data.get("region", ""),
        "address": data.get("address", ""),
        "caller_name": data.get("caller_name", ""),
        "caller_phone": phone,
        "caller_confidential": bool(data.get("caller_confidential")),
        "public": bool(data.get("public")),
    }, idempotency=idempotency)
    for photo in cleaned:
        ticket = tickets.perform(ticket.number, Action.ATTACH, actor=portal_user(), file=photo, purpose="request")
    return ticket


# ---------------------------------------------------------------- 公开信件


@dataclass
class Letter:
    number: str
    kind: str
    title: str
    content: str
    unit: str
    created_at: datetime
    reply: str
    replied_at: datetime | None


def letters(query: str = "", *, page: int = 1, per_page: int = 20) -> tuple[list[Letter], int]:
    """Answered requests whose submitters chose 公开 (never 保密 ones), newest answer first, masked through the one
    masking module. A search matches the *masked* text only, so it cannot tell whether a letter names someone."""
    if not settings.JIESU_PUBLIC_LETTERS:
        return [], 0
    rows = (Ticket.objects.filter(public=True, caller_confidential=False,
                                  state__in=[State.PENDING_CALLBACK, State.CLOSED])
            .exclude(channel=Channel.PETITION)  # 信访事项 are never published, whatever was ticked
            .select_related("department").order_by("-replied_at", "-id"))
    words = query.split()[:5]
    if words:
        rows = rows.filter(search_q(" ".join(words)))[:500]
    found = []
    for t in rows if words else rows[(page - 1) * per_page: page * per_page]:
        names = [t.caller_name]
        letter = Letter(t.number, t.get_kind_display(), mask_text(t.title, names=names),
                        mask_text(t.content, names=names), t.department.name if t.department else "", t.created_at,
                        mask_text(t.reply_text, names=names), t.replied_at)
        if all(any(w in text for text in (letter.title, letter.content, letter.reply)) for w in words):
            found.append(letter)
    if words:
        return found[(page - 1) * per_page: page * per_page], len(found)
    return found, rows.count()
