"""Idempotent creation (issue 19): a client that retries a POST after a timeout or a broken connection — a partner
system, the telephony bridge, the citizen pages — must not file the same request twice.

The client sends an `Idempotency-Key` header (any printable ASCII, at most 255 characters; a UUID is usual). The
key is kept per client (`owner`: an API user, an Open311 partner), with a fingerprint of the request:

- the first request with a key writes the key **in the same transaction** as the ticket it creates (`record`,
  called inside that transaction): either both are committed or neither;
- a repeat with the same key and the same request gets the first answer back (`Idempotent-Replayed: true`) and
  writes nothing; if the first answer was lost before it could be stored, it is built again from the ticket;
- the same key with a different request is refused (422 `idempotency_key_reused`);
- two copies at once: the database's unique (owner, key) lets one insert win; the other finds the key on its
  `INSERT … ON CONFLICT DO NOTHING`, its transaction is rolled back (`Repeated`) and it answers as a repeat.

Keys are kept at least JIESU_IDEMPOTENCY_HOURS (24), then forgotten (`purge`, now and then on a new key).
"""

import hashlib
import json
import random
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpResponse

from . import clock
from .errors import ServiceError, ValidationFailed
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
_VALID = re.compile(r"[\x21-\x7e]{1,255}")


class KeyReused(ServiceError):
    status = 422
    code = "idempotency_key_reused"


class Repeated(Exception):
    """Raised inside the write transaction when the key is already there: roll back, then answer as a repeat."""


@dataclass(frozen=True)
class Claim:
    owner: str
    key: str
    fingerprint: str


def claim(request, owner: str, body=None, *, key: str | None = None) -> Claim | None:
    """The request's key: `key` if given (Open311 also takes it as a field), else the header; None without one.
    `body` is what identifies the request (the parsed payload); by default the raw body."""
    key = key if key is not None else request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not _VALID.fullmatch(key):
        raise ValidationFailed({HEADER: "幂等键须为1至255个可打印ASCII字符"}, message="幂等键格式无效")
    if body is None:
        content = request.body
    else:
        content = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode() + content).hexdigest()
    return Claim(owner=owner, key=key, fingerprint=digest)


def earlier(found: Claim | None) -> IdempotencyKey | None:
    """The stored key of an earlier request with this key, or None. The same key for another request is refused."""
    if found is None:
        return None
    row = IdempotencyKey.objects.filter(owner=found.owner, key=found.key).select_related("ticket").first()
    if row is not None and row.fingerprint != found.fingerprint:
        raise KeyReused("该幂等键已用于另一个请求，请为新请求使用新的幂等键")
    return row


def record(found: Claim | None, ticket) -> None:
    """Inside the transaction that creates `ticket`: write the key with it. Raises Repeated if the key is there."""
    if found is None:
        return
    now = clock.now()
    table, quote = IdempotencyKey._meta.db_table, connection.ops.quote_name
    created = IdempotencyKey._meta.get_field("created_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('owner')}, {quote('key')}, {quote('fingerprint')}, {quote('ticket_id')}, "
            f"{quote('response')}, {quote('content_type')}, {quote('created_at')}) "
            f"VALUES (%s, %s, %s, %s, '', '', %s) ON CONFLICT ({quote('owner')}, {quote('key')}) DO NOTHING "
            f"RETURNING {quote('id')}",
            [found.owner, found.key, found.fingerprint, ticket.pk, created],
        )
        if cursor.fetchone() is None:
            raise Repeated()
    if random.random() < 0.01:
        purge(now=now)


def remember(found: Claim | None, response: HttpResponse) -> HttpResponse:
    """After the commit: keep the answer for repeats (a failure here loses nothing: a repeat then rebuilds it)."""
    if found is not None and response.status_code < 300:
        try:
            IdempotencyKey.objects.filter(owner=found.owner, key=found.key).update(
                status=response.status_code, response=response.content.decode(),
                content_type=response.get("Content-Type", ""))
        except Exception:  # noqa: BLE001 - the ticket is committed; the answer must still reach the client
            pass
    return response


def once(found: Claim | None, create):
    """`create()` (which calls `record` inside its transaction) unless this key was seen before. Returns
    `(created, None)` the first time, and `(None, the stored key)` for a repeat, a copy that lost the race at the
    same moment included. Raises KeyReused for the same key with another request."""
    row = earlier(found)
    if row is None:
        try:
            return create(), None
        except Repeated:
            row = earlier(found)
    return None, row


def respond_once(found: Claim | None, create, answer, rebuild=None) -> HttpResponse:
    """`once`, answered: `answer(created)` the first time (kept for repeats), the kept answer for a repeat, or
    `rebuild(ticket)` (by default `answer(ticket)`) when the first answer was never kept."""
    created, row = once(found, create)
    if row is None:
        return remember(found, answer(created))
    return replay(row, rebuild or answer)


def replay(row: IdempotencyKey, rebuild) -> HttpResponse:
    """The first answer again; `rebuild(ticket)` makes it anew when it was never stored."""
    if row.status:
        response = HttpResponse(row.response, status=row.status, content_type=row.content_type or "application/json")
    else:
        response = rebuild(row.ticket)
    response["Idempotent-Replayed"] = "true"
    return response


def _kept() -> timedelta:
    return timedelta(hours=settings.JIESU_IDEMPOTENCY_HOURS)


def purge(*, now=None) -> int:
    """Forget keys older than JIESU_IDEMPOTENCY_HOURS."""
    return IdempotencyKey.objects.filter(created_at__lt=(now or clock.now()) - _kept()).delete()[0]
