"""110 ↔ 12345 联动 over the API (/api/v1/police110/): what 110's system sends us (docs/channels.md).

Its account (role 110联动系统, an API token of its own) and, on every request, a signature with the shared secret
(X-Jiesu-Timestamp, X-Jiesu-Signature: `sha256=` HMAC-SHA256 of "<timestamp>.<body>"); a session is not enough.
"""

from datetime import datetime

from django.http import JsonResponse
from ninja import Router, Schema
from ninja.security import HttpBearer

from jiesu.core import idempotency
from jiesu.core.models import ApiToken
from jiesu.core.tokens import user_for_key

from . import police


class PeerAuth(HttpBearer):
    """110's token, and the request signed with JIESU_POLICE110_SECRET (a wrong signature: 401 bad_signature)."""

    def authenticate(self, request, token):
        user = user_for_key(token, kind=ApiToken.Kind.API)
        if user is None:
            return None
        police.verify(request)
        request.user = user
        return user


router = Router(tags=["110联动"], auth=PeerAuth())


class TransferIn(Schema):
    event_number: str  # 110警情编号
    content: str  # 报警内容
    caller_phone: str
    caller_name: str | None = None
    address: str | None = None
    category: str | None = None  # 110's 警情类别, e.g. 噪音扰民
    kind: str | None = None  # 求助（默认）/投诉/咨询/举报/建议/其他
    urgency: str | None = None  # normal（默认）/urgent/critical
    reported_at: datetime | None = None


class TransferOut(Schema):
    ticket: str  # 12345工单编号
    event_number: str
    received_at: datetime
    ack_due_at: datetime  # 12345 签收 by then
    duplicate: bool  # True: this 警情编号 came before; the ticket it made


class MessageIn(Schema):
    id: str  # the message's own id: sent twice, taken once
    type: str  # ack（签收）/ result（处警结果）/ return（退回，非警情）
    ticket: str  # 12345工单编号 (sent in our 转110)
    text: str | None = None
    receipt: str | None = None  # 110's 接警编号


class MessageOut(Schema):
    ticket: str
    receipt: str
    state: str
    duplicate: bool


def _transfer(link, status: int, duplicate: bool) -> JsonResponse:
    return JsonResponse({"ticket": link.ticket.number, "event_number": link.event_number,
                         "received_at": link.transferred_at.isoformat(), "ack_due_at": link.ack_due_at.isoformat(),
                         "duplicate": duplicate}, status=status, json_dumps_params={"ensure_ascii": False})


@router.post("/transfers", response={200: TransferOut, 201: TransferOut}, summary="110转办（非警务类警情转12345）",
             description="同一警情编号只登记一次：再次发送返回原工单（200，`duplicate: true`）。可带 `Idempotency-Key`。"
                         "12345 须在 JIESU_POLICE110_ACK_MINUTES 分钟内签收，签收、派单、答复（回传）、办结均回推110。")
def receive_transfer(request, payload: TransferIn):
    data = payload.dict()
    if data.get("reported_at") is not None:
        data["reported_at"] = data["reported_at"].isoformat()
    claim = idempotency.claim(request, f"police110:{request.auth.pk}", data)
    received = {}

    def create():
        result = police.receive(request.auth, data, claim)
        received["duplicate"] = not result.created
        return result.link.ticket

    def answer(ticket):
        return _transfer(ticket.police, 200 if received.get("duplicate") else 201, received.get("duplicate", True))

    return idempotency.respond_once(claim, create, answer, lambda ticket: _transfer(ticket.police, 200, True))


@router.post("/messages", response=MessageOut, summary="110回传（转110警情的签收、处警结果、退回）",
             description="对12345转110的警情：`ack` 签收（`receipt` 为接警编号），`result` 处警结果，"
                         "`return` 非警情退回12345（工单回到待派单）。同一消息编号只处理一次。")
def receive_message(request, payload: MessageIn):
    link, new = police.peer_message(request.auth, payload.dict())
    return {"ticket": link.ticket.number, "receipt": link.event_number, "state": link.ticket.state,
            "duplicate": not new}
